"""The factory gate: production-line checks, the factory profile and its one-line verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.checks.model import Status
from handsetguard.engine import run_check
from handsetguard.gate import Verdict, failing_checks, verdict_line
from handsetguard.profiles.profile import load_profile
from tests.checks.test_checks import EXAMPLE
from tests.cli_runner import run

# The example with its one factory failure (adb installs not verified) fixed.
# A unit as the line should see it: the example with adb installs verified and without the
# planted third-party powers (install permission, accessibility service, device admin).
CLEAN = (
    EXAMPLE.replace(
        "name:verifier_verify_adb_installs pkg:android value:0",
        "name:verifier_verify_adb_installs pkg:android value:1",
    )
    .replace("      REQUEST_INSTALL_PACKAGES (allow): \n", "")
    .replace(
        "Enabled services:{{com.tracker.familylocator/com.tracker.familylocator."
        "SyncAccessibilityService}}",
        "Enabled services:{}",
    )
    .replace("    com.tracker.familylocator/.AdminReceiver:\n", "    ")
    .replace(
        ":com.tracker.familylocator/com.tracker.familylocator.NotifyListener default:",
        " default:",
    )
)


def factory(tmp_path: Path, text: str = CLEAN) -> dict[str, Status]:
    path = tmp_path / "unit.txt"
    path.write_text(text)
    report = run_check(path, "factory")
    return {r.id: r.status for r in report.checks}


def test_factory_profile_enables_line_checks_and_drops_owner_checks(tmp_path: Path) -> None:
    got = factory(tmp_path)
    for check in ("adb_secure", "oem_unlock_disallowed", "patch_vs_build_date", "test_packages"):
        assert got[check] is Status.PASS, check
    for check in ("usb_debugging", "screen_lock", "developer_options", "os_patch_level"):
        assert check not in got
    consumer = run_check(_write(tmp_path, CLEAN), "consumer")
    assert "adb_secure" not in {r.id for r in consumer.checks}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "unit.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("old", "new", "check"),
    [
        ("[ro.adb.secure]: [1]", "[ro.adb.secure]: [0]", "adb_secure"),
        ("[sys.oem_unlock_allowed]: [0]", "[sys.oem_unlock_allowed]: [1]", "oem_unlock_disallowed"),
        # Built 2025-06-12 with a March patch: 103 days behind, over the 60 the profile allows.
        (
            "[ro.build.version.security_patch]: [2025-06-05]",
            "[ro.build.version.security_patch]: [2025-03-01]",
            "patch_vs_build_date",
        ),
        ("Package [net.quickshare.files]", "Package [com.mediatek.engineermode]", "test_packages"),
        ("Package [net.quickshare.files]", "Package [com.android.cts.ctsshim]", "test_packages"),
    ],
)
def test_each_line_check_fails_its_unit(tmp_path: Path, old: str, new: str, check: str) -> None:
    text = CLEAN.replace(old, new)
    assert text != CLEAN
    assert factory(tmp_path, text)[check] is Status.FAIL


def test_profile_allow_list_exempts_a_package(tmp_path: Path) -> None:
    text = CLEAN.replace("Package [net.quickshare.files]", "Package [com.mediatek.engineermode]")
    profile = Path(__file__).resolve().parents[2] / "src/handsetguard/profiles/factory.toml"
    custom = tmp_path / "line3.toml"
    custom.write_text(
        profile.read_text().replace("allow = []", 'allow = ["com\\\\.mediatek\\\\..*"]')
    )
    report = run_check(_write(tmp_path, text), load_profile(str(custom), _known()))
    assert {r.id: r.status for r in report.checks}["test_packages"] is Status.PASS


def _known() -> frozenset[str]:
    from handsetguard.engine import KNOWN_CHECKS

    return KNOWN_CHECKS


def test_verdict_line_and_not_assessed_fails(tmp_path: Path) -> None:
    report = run_check(_write(tmp_path, CLEAN), "factory")
    assert report.gate is not None and report.gate.verdict is Verdict.PASS
    assert verdict_line(report.gate, "KS60IN0042", "KS-60 Secure") == "PASS KS60IN0042 KS-60_Secure"
    text = CLEAN.replace("[sys.oem_unlock_allowed]: [0]\n", "").replace(
        "[ro.debuggable]: [0]", "[ro.debuggable]: [1]"
    )
    report = run_check(_write(tmp_path, text), "factory")
    assert report.gate is not None
    assert report.gate.failing == ("production_build", "oem_unlock_disallowed(not_assessed)")
    assert failing_checks(report.checks, "fail", True) == list(report.gate.failing)
    assert verdict_line(report.gate, report.device.serial, report.device.model) == (
        "FAIL KS60IN0042 KS-60_Secure production_build,oem_unlock_disallowed(not_assessed)"
    )
    assert report.gate.reasons[0].startswith("production_build: not a production build")


def test_cli_factory_default_format_and_exit_code(tmp_path: Path) -> None:
    path = _write(tmp_path, EXAMPLE)
    result = run("check", str(path), "--profile", "factory", "--fail-on", "fail")
    assert result.exit_code == 3
    assert result.stdout == (
        "FAIL KS60IN0042 KS-60_Secure "
        "unknown_sources,verify_adb_installs,accessibility_services,notification_listeners,"
        "device_admins,threat:com.tracker.familylocator\n"
    )
    # The verdict format is a gate on its own: FAIL exits 3 without --fail-on too.
    result = run("check", str(path), "--profile", "factory")
    assert result.exit_code == 3
    assert result.stdout.startswith("FAIL KS60IN0042 KS-60_Secure unknown_sources,")
    path = _write(tmp_path, CLEAN)
    result = run("check", str(path), "--profile", "factory", "--fail-on", "fail")
    assert result.exit_code == 0
    assert result.stdout == "PASS KS60IN0042 KS-60_Secure\n"


def test_pixel1_userdebug_unit_is_refused(corpus: Path) -> None:
    """Pixel 1, AOSP 10 userdebug, unlocked: everything a factory must refuse."""
    from tests.conftest import PIXEL1_BUGREPORT

    report = run_check(corpus / PIXEL1_BUGREPORT, "factory")
    failing = failing_checks(report.checks, "fail", True)
    for check in (
        "production_build",
        "verified_boot",
        "bootloader_locked",
        "oem_unlock_disallowed",
    ):
        assert check in failing
