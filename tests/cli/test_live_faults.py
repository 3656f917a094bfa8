"""Transport faults on the factory line, through the real adbutils client against the fake adb
server (tests/fakeadb): a unit whose collection was cut short — a command that hangs, an adb
server that dies — is ``ERROR serial model: what failed`` on stdout and stderr, never FAIL, and
the run exits 2. The example device is the KS-60 Secure replay (Android 14, user build)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.adb.replay import example_outputs
from tests.cli_runner import invoke
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, ReplySource, fixtures

fake_adb = fixtures.fake_adb


def phone(serial: str, **extra: Reply) -> FakeDevice:
    replies: dict[str, ReplySource] = {
        command: Reply(stdout=output) if isinstance(output, bytes) else output
        for command, output in {**example_outputs(), **extra}.items()
    }
    return FakeDevice(serial, replies=replies, model="KS_60_Secure")


@pytest.fixture(autouse=True)
def _no_host_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))


def _by_serial(out: str) -> dict[str, str]:
    return {line.split()[1]: line for line in out.splitlines()}


def test_all_with_a_hung_command_is_error_not_fail(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone("UNIT0001"))
    fake_adb.add(phone("UNIT0002", **{"dumpsys package": Reply(hang=True)}))
    start = time.monotonic()
    code, out, err = invoke("check", "--all", "--profile", "factory", "--timeout", "1")
    assert time.monotonic() - start < 20
    assert code == 2
    lines = _by_serial(out)
    assert lines["UNIT0001"].startswith(
        ("PASS UNIT0001 KS-60_Secure", "FAIL UNIT0001 KS-60_Secure")
    )
    hung = lines["UNIT0002"]
    assert hung.startswith("ERROR UNIT0002 KS-60_Secure: ")
    assert "dumpsys package" in hung and "timed out after 1 s" in hung
    # The same line on stderr, for the operator watching the line controller's log.
    assert f"error: {hung}" in err.splitlines()
    assert "UNIT0001" not in err


def test_all_json_and_text_say_error(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone("UNIT0002", **{"dumpsys package": Reply(hang=True)}))
    code, out, _ = invoke("check", "--all", "--profile", "factory", "--timeout", "1", "-f", "json")
    assert code == 2
    [row] = json.loads(out)
    assert row["verdict"] == "ERROR" and row["failing"] == []
    assert "dumpsys package" in row["error"]
    code, out, _ = invoke("check", "--all", "--timeout", "1", "--fail-on", "fail")
    assert code == 2
    assert "ERROR" in out and "FAIL" not in out
    # The table's error column says what the verdict line says.
    assert "'dumpsys package' timed out after 1 s" in " ".join(out.replace("│", " ").split())
    assert "collection incomplete" not in out


# adbutils' AdbConnection._create_socket does not close its socket when connect() is refused
# (adbutils/_adb.py), so each command tried after the server died leaks one until it is
# collected. That is adbutils' bug, not a verdict problem: tolerated here, and only here.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_all_when_the_adb_server_dies(fake_adb: FakeAdbServer) -> None:
    # UNIT0001 answers every command slowly, so the server dies under all of them;
    # UNIT0002 only under 'dumpsys package'.
    slow = {
        c: Reply(stdout=o, delay=0.8) for c, o in example_outputs().items() if isinstance(o, bytes)
    }
    fake_adb.add(phone("UNIT0001", **slow))
    fake_adb.add(phone("UNIT0002", **{"dumpsys package": Reply(stdout=b"Packages:\n", delay=0.8)}))
    killer = threading.Timer(0.4, fake_adb.stop)
    killer.start()
    try:
        code, out, err = invoke("check", "--all", "--profile", "factory", "--fail-on", "fail")
    finally:
        killer.join()
    assert code == 2, out + err
    lines = _by_serial(out)
    assert sorted(lines) == ["UNIT0001", "UNIT0002"]
    for serial, line in lines.items():
        assert line.startswith(f"ERROR {serial} "), line
        assert f"error: {line}" in err.splitlines()
    # Every command was cut short on UNIT0001: the line names three, then counts the rest.
    assert lines["UNIT0001"].endswith("more command(s) cut short")
    assert len(lines["UNIT0001"]) < 400
    assert "'dumpsys package' connection lost" in lines["UNIT0002"]
    assert "FAIL" not in out and "Traceback" not in err


def test_single_factory_unit_cut_short_is_error(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone("UNIT0002", **{"dumpsys package": Reply(hang=True)}))
    code, out, err = invoke("check", "adb", "--profile", "factory", "--timeout", "1")
    assert code == 2
    assert out.startswith("ERROR UNIT0002 KS-60_Secure: ") and out.count("\n") == 1
    assert "dumpsys package" in out and "timed out after 1 s" in out
    assert err.splitlines() == [f"error: {out.strip()}"]
    # --fail-on cannot turn it into a FAIL (exit 3) either.
    code, out, _ = invoke(
        "check", "adb", "--profile", "factory", "--timeout", "1", "--fail-on", "warn"
    )
    assert code == 2 and out.startswith("ERROR ")


def test_cut_short_snapshot_rechecked_offline_is_error_too(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    # The example's own serial (ro.serialno), which the offline check reads from getprop.
    fake_adb.add(phone("KS60IN0042", **{"dumpsys package": Reply(hang=True)}))
    saved = tmp_path / "snap"
    args = ("--profile", "factory", "--timeout", "1", "--save", str(saved))
    live_code, live, _ = invoke("check", "adb", *args)
    code, offline, err = invoke("check", str(saved), "--profile", "factory")
    assert (code, offline) == (live_code, live) == (2, live)
    assert offline.startswith("ERROR KS60IN0042 ")
    assert err.splitlines() == [f"error: {live.strip()}"]


@pytest.mark.parametrize(
    "args",
    [
        ("--profile", "factory"),  # a [gate] profile, without --fail-on
        ("--format", "verdict"),  # the one-line format gates at fail
        ("--fail-on", "fail"),
    ],
)
def test_all_exits_3_on_a_fail_whenever_a_gate_is_asked_for(
    fake_adb: FakeAdbServer, args: tuple[str, ...]
) -> None:
    fake_adb.add(phone("UNIT0001"))  # the example fails verify_adb_installs, among others
    code, out, _ = invoke("check", "--all", *args)
    assert code == 3, out
    assert "FAIL" in out
    # Without a gate the table is information, not a threshold.
    code, _, _ = invoke("check", "--all")
    assert code == 0


def test_device_strings_are_shown_not_obeyed(fake_adb: FakeAdbServer) -> None:
    # The model in the verdict is the phone's own ro.product.model: anything the device likes.
    getprop = example_outputs()["getprop"]
    assert isinstance(getprop, bytes) and b"[ro.product.model]: [KS-60 Secure]" in getprop
    hostile = getprop.replace(b"[KS-60 Secure]", "[KS\x1b]0;owned\x07\u202e60]".encode())
    fake_adb.add(
        phone("UNIT0009", getprop=Reply(stdout=hostile), **{"dumpsys package": Reply(hang=True)})
    )
    code, out, err = invoke("check", "--all", "--timeout", "1", "--format", "verdict")
    assert code == 2
    assert out.startswith("ERROR UNIT0009 KS\\x1b]0;owned\\x07\\u202e60: ")
    assert "\x1b" not in out + err and "\u202e" not in out + err
    code, out, err = invoke("check", "--all", "--timeout", "1")
    assert "\x1b" not in out + err and "\\x1b" in out
    code, out, err = invoke("check", "adb", "--timeout", "1", "--profile", "factory")
    assert code == 2 and out.startswith("ERROR UNIT0009 KS\\x1b]0;owned")
    assert "\x1b" not in out + err


@pytest.mark.parametrize(
    ("target", "line"),
    [
        ("adb:UNIT0003", "ERROR UNIT0003 -: device UNIT0003: unauthorized"),
        ("adb", "ERROR - -: device UNIT0003: unauthorized"),
    ],
)
def test_single_unit_that_cannot_be_collected_still_gets_its_line(
    fake_adb: FakeAdbServer, tmp_path: Path, target: str, line: str
) -> None:
    fake_adb.add(FakeDevice("UNIT0003", state="unauthorized"))
    code, out, err = invoke("check", target, "--profile", "factory")
    assert (code, out) == (2, line + "\n")
    assert err.startswith("error: device UNIT0003: unauthorized")
    written = tmp_path / "verdict.txt"
    code, out, _ = invoke("check", target, "--profile", "factory", "-o", str(written))
    assert (code, out, written.read_text()) == (2, "", line + "\n")
    # Other formats print no report for a unit never collected: the error says it.
    code, out, _ = invoke("check", target, "--profile", "factory", "--format", "json")
    assert (code, out) == (2, "")
