"""HandsetGuard never writes to a phone: a live check (here of the bundled example device behind
the protocol-level fake adb server, with --safe-output as a survivor would run it) sends read
commands only — no install, uninstall, push, setting change, reboot, root or remount — so that
checking a phone leaves nothing whoever installed an app could notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handsetguard.adb.collect import BASE_PLAN, settings_commands
from tests.adb.replay import example_outputs
from tests.cli_runner import invoke
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, fixtures

fake_adb = fixtures.fake_adb
SERIAL = "KS60IN0042"

_READ = [
    re.compile(pattern)
    for pattern in (
        r"getprop",
        r"date \+%Y-%m-%dT%H:%M:%S%z",
        r"getenforce",
        r"cat /proc/mounts",
        r"ps -A",
        r"pm list users",
        r"pm list packages( -[fiUu])*",
        r"dumpsys [a-z_]+( [a-z_]+)?",
        r"settings --user [0-9]+ list (global|secure|system)",
    )
]
# The root probe: an existence test of fixed paths (and of what `command -v su` finds).
_PROBE_START, _PROBE_END = "for p in ", '; do [ -e "$p" ] && echo "$p"; done; true'
_LOOKUP = "$(command -v su 2>/dev/null)"
_PATHS = re.compile(r"[A-Za-z0-9_./ -]+")
# Host services of the adb protocol that only list or select a device.
_HOST = re.compile(
    r"host:devices(-l)?|host-serial:[A-Za-z0-9]+:features|host:transport:[A-Za-z0-9]+"
)


def is_read_only(command: str) -> bool:
    if any(pattern.fullmatch(command) for pattern in _READ):
        return True
    if command.startswith(_PROBE_START) and command.endswith(_PROBE_END):
        middle = command[len(_PROBE_START) : -len(_PROBE_END)].replace(_LOOKUP, "")
        return _PATHS.fullmatch(middle) is not None
    return False


@pytest.mark.parametrize(
    "command",
    [
        "settings put global adb_enabled 0",
        "pm uninstall com.tracker.familylocator",
        "pm disable-user com.tracker.familylocator",
        "dumpsys package; rm -rf /sdcard",
        "getprop > /sdcard/x",
        "cat /proc/mounts | tee /data/local/tmp/x",
        'for p in /system/bin/su; do rm "$p"; done; true',
        'for p in /a; touch /b; do [ -e "$p" ] && echo "$p"; done; true',
        "am start -n com.android.settings/.Settings",
    ],
)
def test_the_allow_list_refuses_writes(command: str) -> None:
    assert not is_read_only(command)


def test_every_command_of_the_plan_only_reads() -> None:
    plan = [*BASE_PLAN, *settings_commands(0), *settings_commands(10)]
    assert [c.command for c in plan if not is_read_only(c.command)] == []


def test_a_live_check_sends_only_read_commands(
    fake_adb: FakeAdbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))
    replies = {command: Reply(stdout=output) if isinstance(output, bytes) else output
               for command, output in example_outputs().items()}  # fmt: skip
    fake_adb.add(FakeDevice(SERIAL, replies=replies, model="KS_60_Secure"))
    code, out, _ = invoke("check", "adb", "--safe-output", "--format", "json")
    assert code == 0 and '"safe_output": true' in out
    requests = fake_adb.requests
    shell = [r.split(":", 1)[1] for r in requests if r.startswith(("shell", "exec"))]
    others = [r for r in requests if not r.startswith(("shell", "exec"))]
    assert len(shell) >= len(BASE_PLAN)  # the whole plan ran, each command through the shell
    assert [c for c in shell if not is_read_only(c)] == []
    assert [r for r in others if not _HOST.fullmatch(r)] == []  # no sync:, root:, reboot:…
