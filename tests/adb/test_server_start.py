"""Who starts the adb server, and when: once, explicitly, when nothing answers at the start
(with our port), never during a run; and numbers in device output are bounded.

``adb`` is a recording program first on PATH and in ``ADBUTILS_ADB_PATH`` (where adbutils and
HandsetGuard look for the binary); the server is the protocol-level fake (tests/fakeadb), with
the KS-60 Secure replay (Android 14, user build) as the device.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.adb.replay import example_outputs
from tests.cli_runner import invoke
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, ReplySource, fixtures

fake_adb = fixtures.fake_adb
SERIAL = "KS60IN0042"

# Records each invocation as a JSON line; for `start-server` it returns, as the real adb does,
# once a server answers on the -P port, or after WAIT seconds.
_FAKE_ADB = """#!{python}
import json, os, socket, sys, time
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:],
                          "port_env": os.environ.get("ANDROID_ADB_SERVER_PORT")}}) + "\\n")
if "start-server" in sys.argv and "-P" in sys.argv:
    port = int(sys.argv[sys.argv.index("-P") + 1])
    deadline = time.monotonic() + {wait}
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
"""


@dataclass
class AdbBinary:
    path: Path
    log: Path

    def invocations(self) -> list[dict[str, object]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def _install_adb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wait: float) -> AdbBinary:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "adb-invocations.jsonl"
    script = bin_dir / "adb"
    script.write_text(_FAKE_ADB.format(python=sys.executable, log=str(log), wait=wait))
    script.chmod(0o755)
    monkeypatch.setenv("ADBUTILS_ADB_PATH", str(script))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return AdbBinary(script, log)


@pytest.fixture(autouse=True)
def _no_host_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))


def phone(latency: float = 0.0, **extra: ReplySource) -> FakeDevice:
    replies: dict[str, ReplySource] = {
        command: Reply(stdout=output) if isinstance(output, bytes) else output
        for command, output in example_outputs().items()
    }
    return FakeDevice(SERIAL, replies={**replies, **extra}, model="KS_60_Secure", latency=latency)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_server_dying_mid_run_is_an_error_not_a_restart(
    fake_adb: FakeAdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adb = _install_adb(tmp_path, monkeypatch, wait=0)
    in_flight = threading.Event()

    def slow_package() -> Reply:
        in_flight.set()
        return Reply(stdout=b"Packages:\n", delay=5.0)

    # Every command takes 0.3 s, so with six at a time most start after the server is gone.
    device = phone(latency=0.3, **{"dumpsys package": slow_package})
    fake_adb.add(device)

    def kill() -> None:
        # The reply callable runs before the shell's OKAY is sent; the command is recorded
        # after it, so the server dies with dumpsys package's stream open, not before.
        in_flight.wait(10)
        deadline = time.monotonic() + 10
        while "dumpsys package" not in device.calls and time.monotonic() < deadline:
            time.sleep(0.005)
        fake_adb.stop()

    killer = threading.Thread(target=kill)
    killer.start()
    saved = tmp_path / "snap"
    try:
        code, out, err = invoke(
            "check", "adb", "--profile", "factory", "--format", "verdict", "--save", str(saved)
        )
    finally:
        killer.join()
    assert adb.invocations() == []  # nothing started, before or during the run
    assert code == 2, out + err
    # The gate's line: ERROR, never PASS or FAIL, naming what was cut short (getprop too, so
    # no model).
    assert out.startswith(f"ERROR {SERIAL} -: ") and out.count("\n") == 1, out
    assert err.splitlines() == [f"error: {out.strip()}"]
    assert "Traceback" not in err
    manifest = json.loads((saved / "snapshot.json").read_text())
    errors = {r["command"]: r["error"] for r in manifest["commands"] if r["error"]}
    assert errors["dumpsys package"].startswith("connection lost")
    # Commands were started against the dead server (refused, each named), so a restart had
    # every chance to happen.
    refused = [
        command
        for command, error in errors.items()
        if error == f"device {SERIAL}: cannot open a shell for '{command}' "
        f"(adb server at 127.0.0.1:{fake_adb.port}: Connection refused)"
    ]
    assert len(refused) >= 3, errors


def test_no_server_at_the_start_is_started_once_with_its_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adb = _install_adb(tmp_path, monkeypatch, wait=10)
    port = _free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    server = FakeAdbServer([phone()], port=port)

    def start_when_asked() -> None:  # what the real `adb start-server` would bring up
        _wait_until(adb.invocations)
        server.start()

    starter = threading.Thread(target=start_when_asked)
    starter.start()
    try:
        code, out, err = invoke("check", "adb", "--format", "json")
    finally:
        starter.join()
        server.stop()
    gc.collect()
    assert code == 0, err
    assert json.loads(out)["source"]["path"] == f"adb:{SERIAL}"
    assert adb.invocations() == [{"argv": ["-P", str(port), "start-server"], "port_env": str(port)}]
    assert server.errors == [] and fixtures.fakeadb_threads() == []


def test_a_start_that_brings_up_nothing_is_tried_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    adb = _install_adb(tmp_path, monkeypatch, wait=0)
    port = _free_port()
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    code, out, err = invoke("check", "adb")
    assert code == 2 and out == ""
    assert (
        f"adb server at 127.0.0.1:{port}: not running, and 'adb -P {port} start-server' "
        "did not start it"
    ) in err
    assert [call["argv"] for call in adb.invocations()] == [["-P", str(port), "start-server"]]


def test_a_remote_server_is_never_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    adb = _install_adb(tmp_path, monkeypatch, wait=0)
    port = _free_port()
    # Loopback, but not this machine's adb address: HandsetGuard treats it as another host.
    monkeypatch.setenv("ANDROID_ADB_SERVER_HOST", "127.0.0.2")
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    code, _, err = invoke("devices")
    assert code == 2
    assert f"adb server at 127.0.0.2:{port}: not reachable" in err
    assert adb.invocations() == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("9" * 5000, "'99999999999999999999… (5000 characters)'"),
        ("\uff15\uff10\uff13\uff17", "'\uff15\uff10\uff13\uff17'"),  # full-width 5037
        ("-5037", "'-5037'"),
    ],
)
def test_absurd_server_port_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, shown: str
) -> None:
    monkeypatch.setenv("ADBUTILS_ADB_PATH", fixtures.NO_ADB)
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", value)
    code, _, err = invoke("devices")
    assert code == 2 and "Traceback" not in err
    assert f"ANDROID_ADB_SERVER_PORT={shown} is not a port number" in err


def test_absurd_user_ids_are_a_coverage_note_not_a_crash(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    """A 5,000-digit user id (int() refuses more than 4,300 digits) and one in Arabic-Indic
    digits next to real users 0 and 10: the real ones' settings are collected, the others are
    each a note, and the saved snapshot says the same offline."""
    huge = "9" * 5000
    users = (
        "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n"
        f"\tUserInfo{{{huge}:Hidden:0}}\n\tUserInfo{{\u0661\u0660:Other:0}}\n"
    )
    device = phone(**{"pm list users": Reply(stdout=users.encode())})
    fake_adb.add(device)
    saved = tmp_path / "snap"
    code, live, err = invoke("check", "adb", "--format", "json", "--save", str(saved))
    assert code == 0, err
    settings = sorted(c for c in device.calls if c.startswith("settings "))
    assert settings == [
        f"settings --user {user} list {namespace}"
        for user in (0, 10)
        for namespace in ("global", "secure", "system")
    ]
    notes = [e for e in json.loads(live)["coverage"]["sections"] if e["name"] == "snapshot.json"]
    assert notes == [
        {
            "name": "snapshot.json",
            "status": "skipped",
            "location": "snap/snapshot.json",
            "detail": f"'pm list users' listed user {user}, not a user id (0-21473): "
            "that user's settings were not collected",
        }
        for user in ("'999999999999… (5000 characters)'", "'\u0661\u0660'")
    ]
    code, offline, _ = invoke("check", str(saved), "--format", "json")
    assert code == 0
    assert json.loads(offline)["coverage"] == json.loads(live)["coverage"]
