"""Live phones through the real adbutils client against the protocol-level fake adb server:
device listing and selection, collection, snapshots, check adb, faults, --all, watch."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from handsetguard.cli.common import parse_as_of
from handsetguard.engine import run_check
from tests.adb.replay import EXAMPLE_PATH, example_outputs
from tests.cli_runner import invoke
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply, ReplySource, fixtures

fake_adb = fixtures.fake_adb
SERIAL = "KS60IN0042"


def phone(serial: str = SERIAL, **extra: bytes | Reply | list[Reply]) -> FakeDevice:
    """The example device; ``extra`` replies (a list is served one per call) override it."""
    replies: dict[str, ReplySource] = {
        command: Reply(stdout=output) if isinstance(output, bytes) else output
        for command, output in {**example_outputs(), **extra}.items()
    }
    return FakeDevice(serial, replies=replies, model="KS_60_Secure")


@pytest.fixture(autouse=True)
def _no_host_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty adb key folder unless it writes one."""
    monkeypatch.setenv("ANDROID_USER_HOME", str(tmp_path / "android-home"))


def test_devices_lists_state_and_model(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone())
    fake_adb.add(FakeDevice("SPARE01", state="unauthorized", model="KS_60"))
    fake_adb.add(FakeDevice("OLD7", state="offline", model="KS_50"))
    code, out, _ = invoke("devices")
    assert code == 0
    assert out.splitlines() == [
        "KS60IN0042\tdevice\tKS_60_Secure",
        # adb reports no model for a device it cannot talk to.
        "SPARE01\tunauthorized\t-",
        "OLD7\toffline\t-",
    ]


def test_several_devices_without_serial_is_an_error_listing_them(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone())
    fake_adb.add(phone("SECOND02"))
    code, out, err = invoke("check", "adb")
    assert code == 2 and out == ""
    assert "2 devices connected" in err and "KS60IN0042" in err and "SECOND02" in err


def test_android_serial_selects(fake_adb: FakeAdbServer, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_adb.add(phone())
    fake_adb.add(phone("SECOND02"))
    monkeypatch.setenv("ANDROID_SERIAL", "SECOND02")
    code, out, _ = invoke("check", "adb", "--format", "json")
    assert code == 0
    assert json.loads(out)["source"]["path"] == "adb:SECOND02"


def test_live_check_equals_offline_check_of_its_snapshot(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    fake_adb.add(phone())
    saved = tmp_path / "snap"
    code, live, _ = invoke("check", f"adb:{SERIAL}", "--format", "json", "--save", str(saved))
    assert code == 0
    code, offline, _ = invoke("check", str(saved), "--format", "json")
    assert code == 0
    live_report, offline_report = json.loads(live), json.loads(offline)
    assert live_report.pop("source") == {
        "kind": "snapshot",
        "path": f"adb:{SERIAL} (saved to {saved})",
    }
    assert offline_report.pop("source") == {"kind": "snapshot", "path": str(saved)}
    assert live_report == offline_report
    manifest = json.loads((saved / "snapshot.json").read_text())
    assert manifest["device"] == {
        "serial": SERIAL,
        "model": "KS-60 Secure",
        "manufacturer": "Kestrel Mobile",
    }
    assert manifest["acquired_at"]["device_local"] == "2025-11-20T14:02:11+0530"
    assert manifest["acquired_at"]["timezone"] == "Asia/Kolkata"
    assert manifest["complete"] is True


def test_live_results_match_the_same_device_read_from_its_dump(fake_adb: FakeAdbServer) -> None:
    """The same facts reached by two routes (dumpsys settings vs settings list, a dumpstate
    vs separate commands) give the same check statuses."""
    fake_adb.add(phone())
    code, out, _ = invoke("check", "adb", "--format", "json", "--as-of", "2025-11-20")
    assert code == 0
    live = {c["id"]: c["status"] for c in json.loads(out)["checks"]}
    as_of = parse_as_of("2025-11-20")
    offline = {r.id: r.status.value for r in run_check(EXAMPLE_PATH, as_of=as_of).checks}
    assert live == offline


def test_refused_command_is_coverage_not_failure(fake_adb: FakeAdbServer) -> None:
    device = phone(
        **{
            "dumpsys lock_settings": Reply(
                stderr=b"Can't find service: lock_settings\n", exit_code=255
            )
        }
    )
    fake_adb.add(device)
    code, out, _ = invoke("check", "adb", "--format", "json")
    assert code == 0
    report = json.loads(out)
    errors = {e["section"]: e["detail"] for e in report["coverage"]["errors"]}
    assert "exited 255: Can't find service: lock_settings" in errors["dumpsys:lock_settings"]
    # The keyguard still answers the screen-lock question.
    lock = next(c for c in report["checks"] if c["id"] == "screen_lock")
    assert lock["status"] == "pass"


def test_hanging_command_times_out_and_run_is_incomplete(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    fake_adb.add(phone(**{"dumpsys package": Reply(hang=True)}))
    saved = tmp_path / "snap"
    start = time.monotonic()
    code, out, err = invoke(
        "check", "adb", "--format", "json", "--timeout", "1", "--save", str(saved)
    )
    assert time.monotonic() - start < 10
    assert code == 2
    report = json.loads(out)  # the report of what was collected is still printed
    assert "dumpsys package" in err and "timed out after 1 s" in err and SERIAL in err
    sideloaded = next(c for c in report["checks"] if c["id"] == "sideloaded_apps")
    assert sideloaded["status"] == "not_assessed"
    manifest = json.loads((saved / "snapshot.json").read_text())
    assert manifest["complete"] is False


def test_unplugged_mid_collection(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(
        phone(
            **{
                "dumpsys appops": Reply(
                    stdout=b"Current AppOps Service state:\n" * 50, disconnect_after=100
                )
            }
        )
    )
    code, _, err = invoke("check", "adb", "--format", "json")
    assert code == 2
    assert "'dumpsys appops' (connection lost" in err


def test_unauthorized_device(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(FakeDevice(SERIAL, state="unauthorized"))
    code, out, err = invoke("check", "adb")
    assert code == 2 and out == ""
    assert f"device {SERIAL}: unauthorized" in err and "Allow USB debugging" in err


def test_no_adb_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADBUTILS_ADB_PATH", fixtures.NO_ADB)
    with FakeAdbServer() as server:
        port = server.port
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(port))
    start = time.monotonic()
    code, _, err = invoke("devices")
    assert code == 2 and "Traceback" not in err
    assert f"adb server at 127.0.0.1:{port}: not running, and" in err
    assert time.monotonic() - start < 15


def test_own_adb_key_is_filtered(fake_adb: FakeAdbServer, tmp_path: Path) -> None:
    """Our adb key is not reported as another trusted computer (shell app ops: see
    tests/test_privacy_shell.py)."""
    home = tmp_path / "android-home"
    home.mkdir()
    key = (
        "QAAAAJ1mDmoZ3XcWvI4kQmd1Rk7c8bq1mWUHd9kRn3JXqGxY3aB9Yr0d0d0Zb2V4YW1wbGVfa2V5X2Zvcl9o"
        "YW5kc2V0Z3VhcmRfZGVtb19vbmx5AQABAA== qa@ks60-line3\n"
    )
    (home / "adbkey.pub").write_text(key)
    fake_adb.add(phone())
    code, out, _ = invoke("check", "adb", "--format", "json")
    report = json.loads(out)
    usb = next(c for c in report["checks"] if c["id"] == "usb_debugging")
    assert not any("trusted adb host key" in e["fact"] for e in usb["evidence"])
    # The same dump read offline keeps the fact.
    offline = run_check(EXAMPLE_PATH)
    usb_offline = next(r for r in offline.checks if r.id == "usb_debugging")
    assert any("trusted adb host key" in e.fact for e in usb_offline.evidence)


def test_collect_writes_a_snapshot_and_refuses_a_used_folder(
    fake_adb: FakeAdbServer, tmp_path: Path
) -> None:
    fake_adb.add(phone())
    out = tmp_path / "snap"
    code, stdout, _ = invoke("collect", "adb", "-o", str(out))
    assert code == 0 and f"snapshot of {SERIAL} saved to {out}" in stdout
    files = {p.name for p in out.iterdir()}
    assert {"snapshot.json", "getprop.txt", "dumpsys_package.txt", "settings_secure_0.txt"} <= files
    code, _, err = invoke("collect", "adb", "-o", str(out))
    assert code == 2 and "not an empty folder" in err
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, _, err = invoke("collect", "adb", "-o", str(a_file))
    assert code == 2 and "not an empty folder" in err and "Traceback" not in err


@pytest.mark.parametrize("port", ["abc", "0", "70000"])
def test_bad_adb_server_port_variable(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", port)
    code, _, err = invoke("devices")
    assert code == 2 and f"ANDROID_ADB_SERVER_PORT='{port}' is not a port number" in err


def _fresh_unit() -> dict[str, bytes]:
    """The example phone as a factory line should see it: adb installs verified, and without
    the planted third-party powers (install permission, accessibility service, notification
    listener, device admin)."""
    outputs = example_outputs()
    edits = {
        "settings --user 0 list global": [
            (b"verifier_verify_adb_installs=0", b"verifier_verify_adb_installs=1")
        ],
        "settings --user 0 list secure": [
            (
                b"enabled_accessibility_services=com.tracker.familylocator/"
                b"com.tracker.familylocator.SyncAccessibilityService",
                b"enabled_accessibility_services=",
            ),
            (b":com.tracker.familylocator/com.tracker.familylocator.NotifyListener", b""),
        ],
        "dumpsys appops": [(b"      REQUEST_INSTALL_PACKAGES (allow): \n", b"")],
        "dumpsys accessibility": [
            (
                b"Enabled services:{{com.tracker.familylocator/"
                b"com.tracker.familylocator.SyncAccessibilityService}}",
                b"Enabled services:{}",
            )
        ],
        "dumpsys device_policy": [(b"    com.tracker.familylocator/.AdminReceiver:\n", b"    ")],
    }
    fresh: dict[str, bytes] = {}
    for command, changes in edits.items():
        text = outputs[command]
        assert isinstance(text, bytes)
        for old, new in changes:
            assert old in text, (command, old)
            text = text.replace(old, new)
        fresh[command] = text
    return fresh


def test_factory_line_all_devices(fake_adb: FakeAdbServer) -> None:
    fresh = _fresh_unit()
    fake_adb.add(phone("UNIT0001", **fresh))
    bad = {
        **fresh,
        "settings --user 0 list global": example_outputs()["settings --user 0 list global"],
    }
    fake_adb.add(phone("UNIT0002", **bad))  # verifier_verify_adb_installs=0
    fake_adb.add(FakeDevice("UNIT0003", state="unauthorized"))
    code, out, _ = invoke("check", "--all", "--profile", "factory", "--fail-on", "fail")
    assert code == 2  # one unit could not be checked
    assert out.splitlines() == [
        "PASS UNIT0001 KS-60_Secure",
        "FAIL UNIT0002 KS-60_Secure verify_adb_installs",
        "ERROR UNIT0003 -: device UNIT0003: unauthorized",
    ]


def _global_with(line: str) -> bytes:
    text = example_outputs()["settings --user 0 list global"]
    assert isinstance(text, bytes)
    return text.replace(b"verifier_verify_adb_installs=0", line.encode())


def test_factory_single_unit_exit_code(fake_adb: FakeAdbServer) -> None:
    fake_adb.add(phone())
    code, out, _ = invoke("check", "adb", "--profile", "factory", "--fail-on", "fail")
    assert code == 3
    assert out == (
        f"FAIL {SERIAL} KS-60_Secure unknown_sources,verify_adb_installs,"
        "accessibility_services,notification_listeners,device_admins,"
        "threat:com.tracker.familylocator\n"
    )


def test_watch_reports_new_camera_use(fake_adb: FakeAdbServer) -> None:
    appops = example_outputs()["dumpsys appops"]
    assert isinstance(appops, bytes)
    later = appops.replace(
        b"Access: [top-s] 2025-11-20 12:31:07.880 (-1h31m3s120ms) duration=+2m44s310ms",
        b"Access: [top-s] 2025-11-20 14:05:00.100 (-1s) duration=+3s",
    )
    assert later != appops
    fake_adb.add(
        phone(
            **{
                "dumpsys appops": [Reply(stdout=appops), Reply(stdout=later)],
                "getprop persist.sys.timezone": b"Asia/Kolkata\n",
            }
        )
    )
    code, out, _ = invoke("watch", "adb", "--json", "--polls", "3", "--interval", "0.2")
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events == [
        {
            "time": "2025-11-20T14:05:00.100000+05:30",
            "package": "com.whatsapp",
            "category": "camera",
            "op": "CAMERA",
            "kind": "access",
            "foreground": True,
            "uid_state": "top-s",
            "duration_ms": 3000,
        }
    ]


def test_watch_text_line_and_app_filter(fake_adb: FakeAdbServer) -> None:
    appops = example_outputs()["dumpsys appops"]
    assert isinstance(appops, bytes)
    later = appops.replace(
        b"Access: [bg-s] 2025-11-20 03:12:44.500", b"Access: [bg-s] 2025-11-20 14:06:00.000"
    )
    fake_adb.add(
        phone(
            **{
                "dumpsys appops": [Reply(stdout=appops), Reply(stdout=later)],
                "getprop persist.sys.timezone": b"Asia/Kolkata\n",
            }
        )
    )
    code, out, _ = invoke(
        "watch",
        "adb",
        "--polls",
        "2",
        "--interval",
        "0.2",
        "--app",
        "com.tracker.familylocator",
        "--category",
        "location",
    )
    assert code == 0
    assert out.strip() == (
        "2025-11-20 14:06:00  com.tracker.familylocator used location (background, 1.11 s)"
    )


def test_adb_server_dies_mid_collection(fake_adb: FakeAdbServer) -> None:
    import threading

    fake_adb.add(phone(**{"dumpsys package": Reply(stdout=b"Packages:\n", delay=0.6)}))
    killer = threading.Timer(0.3, fake_adb.stop)
    killer.start()
    try:
        code, _, err = invoke("check", "adb", "--format", "json")
    finally:
        killer.join()
    assert code == 2
    assert f"device {SERIAL}" in err and "dumpsys package" in err
    assert "Traceback" not in err


def test_watch_device_unplugged(fake_adb: FakeAdbServer) -> None:
    appops = example_outputs()["dumpsys appops"]
    assert isinstance(appops, bytes)
    device = phone(**{"getprop persist.sys.timezone": b"Asia/Kolkata\n"})
    calls = {"n": 0}

    def reply() -> Reply:
        calls["n"] += 1
        if calls["n"] == 2:
            device.unplug()
            return Reply(stdout=appops, disconnect_after=10)
        return Reply(stdout=appops)

    device.set_reply("dumpsys appops", reply)
    fake_adb.add(device)
    code, _, err = invoke("watch", "adb", "--polls", "5", "--interval", "0.2")
    assert code == 2
    assert f"device {SERIAL}" in err and "dumpsys appops" in err


def test_all_devices_verdict_names_the_threat(fake_adb: FakeAdbServer) -> None:
    """--all gives each unit the same findings as a single check: the example phone's
    stalkerware-like app is in its verdict line even without --fail-on."""
    fake_adb.add(phone("UNIT0009"))
    code, out, _ = invoke("check", "--all", "--format", "verdict")
    assert code == 3
    assert out.startswith("FAIL UNIT0009 KS-60_Secure ")
    assert "threat:com.tracker.familylocator" in out
