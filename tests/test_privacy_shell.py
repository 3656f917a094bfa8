"""App ops of com.android.shell: camera, microphone and location use over adb (scrcpy,
screenrecord, cmd) is reported by the app privacy view and by watch, live or offline; only an
op that one of our own collection's commands declares, inside that collection's window, is not.

The shell block is the layout of the corpus's Android 14 emulator bugreport (sdk_google_atv64,
``Uid 2000:`` with ``foregroundOps``/``hasForegroundWatchers`` and a ``VIBRATE`` access under
``Package com.android.shell:``), with camera, microphone and location accesses added in the same
attribution-tagged form; it is appended to the bundled example device (Android 14, Asia/Kolkata,
device clock 2025-11-20T14:02:11+0530 during collection).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handsetguard.adb.collect import BASE_PLAN, Command, collect
from handsetguard.adb.transport import AdbServer
from handsetguard.engine import run_check
from handsetguard.privacy import SHELL_PACKAGE, Category, app_privacy
from handsetguard.sources.snapshot import snapshot_evidence
from handsetguard.state import build_state
from tests.adb.replay import EXAMPLE_PATH, example_outputs
from tests.cli_runner import run
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, ReplySource, fixtures

fake_adb = fixtures.fake_adb
SERIAL = "KS60IN0042"
KOLKATA = ZoneInfo("Asia/Kolkata")
# What the fake device's `date` prints: the device clock while we collect.
DEVICE_NOW = datetime(2025, 11, 20, 14, 2, 11, tzinfo=KOLKATA)


def shell_block(*ops: tuple[str, str, str]) -> bytes:
    """A ``Uid 2000`` block (Android 14 layout) with ``(op, uid state, device-local time)``
    accesses under com.android.shell, after the VIBRATE access every such block has."""
    lines = [
        "  Uid 2000:",
        "    state=top",
        "    capability=------",
        "    appWidgetVisible=false",
        "    foregroundOps:",
        "      BODY_SENSORS: SILENT",
        "    hasForegroundWatchers=false",
        "      BODY_SENSORS: mode=foreground",
        "      LEGACY_STORAGE: mode=ignore",
        f"    Package {SHELL_PACKAGE}:",
        "      VIBRATE (allow): ",
        "        null=[",
        "          Access: [cch-s] 2025-11-20 10:26:56.304 (-3h35m14s696ms) duration=+79ms",
        "        ]",
    ]
    for op, state, when in ops:
        lines += [
            f"      {op} (allow): ",
            "        null=[",
            f"          Access: [{state}] {when} (-1s) duration=+2s",
            "        ]",
        ]
    return ("\n".join(lines) + "\n").encode()


def appops_with(*ops: tuple[str, str, str]) -> bytes:
    base = example_outputs()["dumpsys appops"]
    assert isinstance(base, bytes)
    return base + shell_block(*ops)


# Inside the collection window: the device clock read 14:02:11 while we collected.
DURING = "2025-11-20 14:02:11.500"
CAPTURE = (
    ("CAMERA", "top-s", DURING),
    ("RECORD_AUDIO", "top-s", DURING),
    ("FINE_LOCATION", "fgsvc-s", DURING),
)


def phone(**extra: bytes | Reply | list[Reply]) -> FakeDevice:
    replies: dict[str, ReplySource] = {
        command: Reply(stdout=output) if isinstance(output, bytes) else output
        for command, output in {**example_outputs(), **extra}.items()
    }
    return FakeDevice(SERIAL, replies=replies, model="KS_60_Secure")


@pytest.fixture(autouse=True)
def _no_host_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))


def invoke(*args: str) -> tuple[int, str]:
    result = run(*args)
    return result.exit_code, result.stdout


def shell_access(report: dict[str, object]) -> dict[str, dict[str, object]]:
    apps = report["apps"]
    assert isinstance(apps, list)
    entry = next((a for a in apps if a["package"] == SHELL_PACKAGE), None)
    return {} if entry is None else entry["access"]


def test_live_shell_capture_is_reported_and_offline_recheck_agrees(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    """Android 14 (example device over the fake adb server): shell camera, microphone and
    location accesses made *during* our collection are still reported: no command of ours
    is charged to those ops."""
    fake_adb.add(phone(**{"dumpsys appops": appops_with(*CAPTURE)}))
    saved = tmp_path / "snap"
    code, live = invoke("check", "adb", "--format", "json", "--save", str(saved))
    assert code == 0
    expected = {
        "count": 1,
        "last": "2025-11-20T14:02:11.500000+05:30",
        "rejected": 0,
    }
    access = shell_access(json.loads(live))
    assert set(access) == {"camera", "microphone", "location"}
    for category in ("camera", "microphone"):
        assert access[category] == {**expected, "foreground": 1, "background": 0}
    assert access["location"] == {**expected, "foreground": 1, "background": 0}
    # The manifest records the window those accesses fall in, on the device's clock.
    acquired = json.loads((saved / "snapshot.json").read_text())["acquired_at"]
    start = datetime.fromisoformat(acquired["device_window"]["start"])
    end = datetime.fromisoformat(acquired["device_window"]["end"])
    assert start <= DEVICE_NOW < DEVICE_NOW + timedelta(seconds=1) <= end
    assert end - start < timedelta(seconds=30)
    during = datetime(2025, 11, 20, 14, 2, 11, 500_000, tzinfo=KOLKATA)
    assert start <= during <= end
    code, offline = invoke("check", str(saved), "--format", "json")
    assert code == 0
    assert json.loads(offline)["apps"] == json.loads(live)["apps"]


def test_watch_notices_shell_camera_microphone_location(fake_adb: FakeAdbServer) -> None:
    before = appops_with(
        ("CAMERA", "top-s", "2025-11-20 13:10:00.000"),
        ("RECORD_AUDIO", "top-s", "2025-11-20 13:10:00.000"),
        ("FINE_LOCATION", "fgsvc-s", "2025-11-20 13:10:00.000"),
    )
    later = appops_with(
        ("CAMERA", "top-s", "2025-11-20 14:05:00.000"),
        ("RECORD_AUDIO", "top-s", "2025-11-20 14:05:01.000"),
        ("FINE_LOCATION", "fgsvc-s", "2025-11-20 14:05:02.000"),
    )
    fake_adb.add(
        phone(
            **{
                "dumpsys appops": [Reply(stdout=before), Reply(stdout=later)],
                "getprop persist.sys.timezone": b"Asia/Kolkata\n",
            }
        )
    )
    code, out = invoke("watch", "adb", "--json", "--polls", "2", "--interval", "0.2")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["package"], e["category"], e["op"], e["time"]) for e in events] == [
        (SHELL_PACKAGE, "camera", "CAMERA", "2025-11-20T14:05:00+05:30"),
        (SHELL_PACKAGE, "microphone", "RECORD_AUDIO", "2025-11-20T14:05:01+05:30"),
        (SHELL_PACKAGE, "location", "FINE_LOCATION", "2025-11-20T14:05:02+05:30"),
    ]


# A command that *is* charged to an op under com.android.shell: `content query` on the contacts
# provider goes through ContentProvider.Transport.query, which notes the provider's read
# permission's app op (READ_CONTACTS) against the calling package (AOSP
# core/java/android/content/ContentProvider.java, enforceReadPermission).
CONTACTS_QUERY = Command(
    "content_contacts",
    "content query --uri content://com.android.contacts/contacts --projection _id",
    "content:contacts",
    10.0,
    shell_ops=frozenset({"READ_CONTACTS"}),
)


@pytest.mark.parametrize(
    ("when", "reported"),
    [
        (DURING, False),  # inside the window: our own query did it
        ("2025-11-20 13:40:00.000", True),  # 22 minutes before we started: not us
        ("2025-11-20 14:09:00.000", True),  # after we finished: not us
    ],
)
def test_own_command_op_is_discounted_only_inside_the_window(
    fake_adb: FakeAdbServer, tmp_path: Path, when: str, reported: bool
) -> None:
    fake_adb.add(
        phone(
            **{
                "dumpsys appops": appops_with(("READ_CONTACTS", "top-s", when), *CAPTURE),
                CONTACTS_QUERY.command: b"Row: 0 _id=1\n",
            }
        )
    )
    server = AdbServer()
    manifest = collect(
        server.phone(server.select(SERIAL)), tmp_path / "snap", plan=(*BASE_PLAN, CONTACTS_QUERY)
    )
    record = next(r for r in manifest.commands if r.name == "content_contacts")
    assert record.shell_ops == ("READ_CONTACTS",)
    # Offline, from the snapshot on disk, as `check DIR` reads it.
    state = build_state(snapshot_evidence(tmp_path / "snap"))
    assert state.collection_window is not None
    assert state.collection_window.shell_ops == frozenset({"READ_CONTACTS"})
    apps = app_privacy(state)
    assert isinstance(apps, tuple)
    shell = next(a for a in apps if a.package == SHELL_PACKAGE)
    assert (Category.CONTACTS in shell.access) is reported
    # Ops no command of ours declares stay, inside the window too.
    assert {Category.CAMERA, Category.MICROPHONE, Category.LOCATION} <= set(shell.access)


def test_shell_camera_in_a_bugreport_is_a_finding(tmp_path: Path) -> None:
    """A bugreport is not our collection: nothing under com.android.shell is discounted."""
    text = EXAMPLE_PATH.read_bytes()
    marker = b"--------- 0.004s was the duration of dumpsys appops"
    assert text.count(marker) == 1
    dump = tmp_path / "bugreport-shell-camera.txt"
    dump.write_bytes(text.replace(marker, shell_block(*CAPTURE) + marker))
    apps = run_check(dump).apps
    assert isinstance(apps, tuple)
    shell = next(a for a in apps if a.package == SHELL_PACKAGE)
    assert set(shell.access) == {Category.CAMERA, Category.MICROPHONE, Category.LOCATION}
    assert shell.access[Category.CAMERA].count == 1
