"""Humane Ai Pin (Android 12L, user/release-keys, freshly reset): its published `getprop`,
`settings list` and `dumpsys package` outputs, laid out as an AndroidQF collection."""

from __future__ import annotations

from pathlib import Path

from handsetguard.engine import run_check
from handsetguard.gate import failing_checks
from tests.conftest import corpus_path

HUMANE = "device/humane-aipin-android12-dumps"


def _fences(text: str) -> list[str]:
    """The bodies of the markdown code fences, in order."""
    blocks, inside, current = [], False, []
    for line in text.split("\n"):
        if line.startswith("```"):
            if inside:
                blocks.append("\n".join(current) + "\n")
                current = []
            inside = not inside
        elif inside:
            current.append(line)
    return blocks


def _collection(tmp_path: Path) -> Path:
    base = corpus_path(HUMANE)
    (tmp_path / "getprop.txt").write_bytes((base / "props.md").read_bytes())
    system, global_, secure = _fences((base / "user_settings.md").read_text())
    (tmp_path / "settings_system.txt").write_text(system)
    (tmp_path / "settings_global.txt").write_text(global_)
    (tmp_path / "settings_secure.txt").write_text(secure)
    package = _fences((base / "packages.md").read_text())[0]
    (tmp_path / "dumpsys.txt").write_text("DUMP OF SERVICE package:\n" + package)
    return tmp_path


def test_humane_ai_pin_posture(tmp_path: Path) -> None:
    report = run_check(_collection(tmp_path), as_of=None)
    got = {r.id: r for r in report.checks}
    for check in (
        "verified_boot",
        "bootloader_locked",
        "encryption",
        "production_build",
        "auto_time",
        "root_indicators",
    ):
        assert got[check].status.value == "pass", check
    assert got["usb_debugging"].status.value == "fail"
    assert got["usb_debugging"].evidence[0].fact == "global adb_enabled=1"
    assert str(got["usb_debugging"].evidence[0].location).endswith("settings_global.txt:2")
    assert got["lockscreen_notifications"].status.value == "fail"
    # Android 12L left the security bulletins in March 2025; its patch is from April 2023.
    assert got["os_version"].status.value == "fail"
    assert got["os_patch_level"].status.value == "fail"
    assert report.device.model == "Ai Pin"
    assert report.device.sdk == 32
    assert report.time_basis.value == "now"


def test_humane_ai_pin_through_the_factory_gate(tmp_path: Path) -> None:
    """A locked user build with OEM unlock off, but built 2024-11-05 on the April 2023 patch;
    and a collection without getenforce, appops, accessibility or device policy, which the
    factory gate counts against the unit."""
    report = run_check(_collection(tmp_path), "factory")
    assert failing_checks(report.checks, "fail", True) == [
        "os_version",
        "patch_vs_build_date",
        "selinux_enforcing(not_assessed)",
        "unknown_sources(not_assessed)",
        "verify_apps(not_assessed)",
        "verify_adb_installs(not_assessed)",
        "accessibility_services(not_assessed)",
        "notification_listeners(not_assessed)",
        "device_admins(not_assessed)",
    ]
    patch = next(r for r in report.checks if r.id == "patch_vs_build_date")
    assert patch.detail == (
        "built 2024-11-05 with patch 2023-04-01 (584 days older); the policy allows 60"
    )
