"""Each check on the bundled example device and on single-fact variations of it.

The example is a realistic Android 14 dump; each variation edits one line, so a test fails if
the check reads the wrong fact, ignores it, or guesses when the fact is absent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from handsetguard.checks.model import CheckResult, Status
from handsetguard.engine import run_check

EXAMPLE = resources.files("handsetguard.examples").joinpath("example-bugreport.txt").read_text()


def results(
    tmp_path: Path, text: str = EXAMPLE, profile: str = "consumer", as_of: datetime | None = None
) -> dict[str, CheckResult]:
    path = tmp_path / "dump.txt"
    path.write_text(text)
    report = run_check(path, profile, as_of=as_of)
    return {result.id: result for result in report.checks}


def edit(old: str, new: str) -> str:
    assert EXAMPLE.count(old) == 1, old
    return EXAMPLE.replace(old, new)


def test_example_statuses(tmp_path: Path) -> None:
    got = {check_id: result.status.value for check_id, result in results(tmp_path).items()}
    assert got == {
        "os_patch_level": "warn",
        "os_version": "pass",
        "encryption": "pass",
        "verified_boot": "pass",
        "bootloader_locked": "pass",
        "selinux_enforcing": "pass",
        "production_build": "pass",
        "auto_time": "pass",
        "screen_lock": "pass",
        "developer_options": "fail",
        "usb_debugging": "fail",
        "lockscreen_notifications": "fail",
        "unknown_sources": "fail",
        "verify_apps": "pass",
        "verify_adb_installs": "fail",
        "root_indicators": "pass",
        "sideloaded_apps": "fail",
        "accessibility_services": "fail",
        "notification_listeners": "fail",
        "device_admins": "fail",
    }


def test_evidence_points_at_the_line(tmp_path: Path) -> None:
    result = results(tmp_path)["usb_debugging"]
    fact = result.evidence[0]
    assert fact.fact == "global adb_enabled=1"
    assert fact.location is not None and fact.location.line is not None
    assert EXAMPLE.split("\n")[fact.location.line - 1].split()[1] == "name:adb_enabled"
    patch = results(tmp_path)["os_patch_level"].evidence[0]
    assert patch.location is not None and patch.location.line is not None
    assert EXAMPLE.split("\n")[patch.location.line - 1] == (
        "[ro.build.version.security_patch]: [2025-06-05]"
    )


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2025-07-01", Status.PASS),
        ("2025-09-03", Status.PASS),
        ("2025-09-04", Status.WARN),
        ("2025-12-02", Status.WARN),
        ("2025-12-03", Status.FAIL),
    ],
)
def test_patch_age_boundaries(tmp_path: Path, as_of: str, status: Status) -> None:
    when = datetime.fromisoformat(as_of).replace(tzinfo=UTC)
    assert results(tmp_path, as_of=when)["os_patch_level"].status is status


def test_patch_age_uses_acquisition_time_not_now(tmp_path: Path) -> None:
    detail = results(tmp_path)["os_patch_level"].detail
    assert "168 days old as of 2025-11-20 (acquisition)" in detail


def test_patch_age_falls_back_to_now_without_a_recorded_time(tmp_path: Path) -> None:
    text = edit("== dumpstate: 2025-11-20 14:02:11\n", "")
    result = results(tmp_path, text)["os_patch_level"]
    assert "(now)" in result.detail
    assert result.status is Status.FAIL  # June 2025 is long past by any "now" of this code


@pytest.mark.parametrize(
    ("old", "new", "check", "status"),
    [
        (
            "[ro.boot.verifiedbootstate]: [green]",
            "[ro.boot.verifiedbootstate]: [orange]",
            "verified_boot",
            Status.FAIL,
        ),
        (
            "[ro.boot.verifiedbootstate]: [green]",
            "[ro.boot.verifiedbootstate]: [yellow]",
            "verified_boot",
            Status.WARN,
        ),
        (
            "[ro.boot.flash.locked]: [1]",
            "[ro.boot.flash.locked]: [0]",
            "bootloader_locked",
            Status.FAIL,
        ),
        (
            "[ro.crypto.state]: [encrypted]",
            "[ro.crypto.state]: [unencrypted]",
            "encryption",
            Status.FAIL,
        ),
        ("[ro.crypto.state]: [encrypted]\n", "", "encryption", Status.NOT_ASSESSED),
        (
            "[ro.build.type]: [user]",
            "[ro.build.type]: [userdebug]",
            "production_build",
            Status.FAIL,
        ),
        (
            "[ro.build.tags]: [release-keys]",
            "[ro.build.tags]: [test-keys]",
            "production_build",
            Status.FAIL,
        ),
        ("[ro.debuggable]: [0]", "[ro.debuggable]: [1]", "production_build", Status.FAIL),
        # As of the example's acquisition (2025-11-20): Android 13's last bulletin is expected
        # 2026-03-01 (within 180 days), Android 12's was 2025-03-01, Android 16's is years away.
        ("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [33]", "os_version", Status.WARN),
        ("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [31]", "os_version", Status.FAIL),
        ("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [40]", "os_version", Status.PASS),
        ("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [29]", "os_version", Status.FAIL),
        ("CredentialType: PIN", "CredentialType: NONE", "screen_lock", Status.FAIL),
        (
            "name:adb_enabled pkg:android value:1 default:1",
            "name:adb_enabled pkg:android value:0 default:0",
            "usb_debugging",
            Status.PASS,
        ),
        (
            "name:adb_wifi_enabled pkg:android value:0 default:0",
            "name:adb_wifi_enabled pkg:android value:1 default:0",
            "usb_debugging",
            Status.FAIL,
        ),
        (
            "name:development_settings_enabled pkg:android value:1 default:1",
            "name:development_settings_enabled pkg:android value:0 default:0",
            "developer_options",
            Status.PASS,
        ),
        (
            "name:verifier_verify_adb_installs pkg:android value:0 default:0",
            "name:verifier_verify_adb_installs pkg:android value:1 default:1",
            "verify_adb_installs",
            Status.PASS,
        ),
        (
            "name:auto_time pkg:android value:1 default:1",
            "name:auto_time pkg:android value:0 default:0",
            "auto_time",
            Status.FAIL,
        ),
        (
            "name:lock_screen_allow_private_notifications pkg:android value:1 default:1",
            "name:lock_screen_allow_private_notifications pkg:android value:0 default:0",
            "lockscreen_notifications",
            Status.PASS,
        ),
        (
            "installerPackageName=com.google.android.packageinstaller",
            "installerPackageName=com.android.vending",
            "sideloaded_apps",
            Status.PASS,
        ),
        (
            "Package [net.quickshare.files]",
            "Package [com.topjohnwu.magisk]",
            "root_indicators",
            Status.FAIL,
        ),
        ("    com.tracker.familylocator/.AdminReceiver:\n", "", "device_admins", Status.PASS),
    ],
)
def test_single_fact_variations(
    tmp_path: Path, old: str, new: str, check: str, status: Status
) -> None:
    assert results(tmp_path, edit(old, new))[check].status is status


def test_selinux_permissive_boot_flag_is_ignored_on_a_user_build(tmp_path: Path) -> None:
    # init honours androidboot.selinux=permissive only on userdebug/eng builds.
    text = edit(
        'androidboot.veritymode = "enforcing"\n',
        'androidboot.veritymode = "enforcing"\nandroidboot.selinux = "permissive"\n',
    )
    result = results(tmp_path, text)["selinux_enforcing"]
    assert result.status is Status.PASS
    assert "ignored by init on a user build" in result.detail
    assert "androidboot.selinux=permissive" in result.evidence[0].fact


def test_selinux_permissive_boot_flag_fails_on_userdebug(tmp_path: Path) -> None:
    text = edit(
        'androidboot.veritymode = "enforcing"\n',
        'androidboot.veritymode = "enforcing"\nandroidboot.selinux = "permissive"\n',
    ).replace("[ro.build.type]: [user]", "[ro.build.type]: [userdebug]")
    result = results(tmp_path, text)["selinux_enforcing"]
    assert result.status is Status.FAIL
    assert result.title == "SELinux is permissive"
    assert "androidboot.selinux=permissive" in result.evidence[0].fact


def test_selinux_not_assessed_on_userdebug_without_runtime_reading(tmp_path: Path) -> None:
    text = edit("[ro.build.type]: [user]", "[ro.build.type]: [userdebug]")
    assert results(tmp_path, text)["selinux_enforcing"].status is Status.NOT_ASSESSED


def test_boot_state_read_from_kernel_command_line_when_getprop_lacks_it(tmp_path: Path) -> None:
    text = edit("[ro.boot.verifiedbootstate]: [green]\n", "")
    result = results(tmp_path, text)["verified_boot"]
    assert result.status is Status.PASS
    assert "kernel command line" in result.evidence[0].fact


def test_missing_sections_are_not_assessed_with_reason(tmp_path: Path) -> None:
    start = EXAMPLE.index("DUMP OF SERVICE settings:")
    end = EXAMPLE.index("Historical operations")
    text = EXAMPLE[:start] + "DUMP OF SERVICE nothing:\n" + EXAMPLE[end:]
    got = results(tmp_path, text)
    for check in (
        "developer_options",
        "auto_time",
        "verify_apps",
        "lockscreen_notifications",
        "notification_listeners",
    ):
        assert got[check].status is Status.NOT_ASSESSED, check
    assert "no dumpsys:settings" in got["developer_options"].detail
    # Without settings, the USB configuration property still shows adb is on.
    assert got["usb_debugging"].status is Status.FAIL
    assert got["usb_debugging"].evidence[0].fact == "persist.sys.usb.config=mtp,adb"


def test_enterprise_profile_is_stricter(tmp_path: Path) -> None:
    consumer = results(tmp_path)
    enterprise = results(tmp_path, profile="enterprise")
    assert consumer["usb_debugging"].severity.value == "high"
    assert enterprise["usb_debugging"].severity.value == "critical"


def _zip_with_mounts(tmp_path: Path, mounts: str) -> Path:
    import zipfile

    path = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("main_entry.txt", "bugreport-ks60.txt")
        archive.writestr("bugreport-ks60.txt", EXAMPLE)
        archive.writestr("FS/proc/mounts", mounts)
    return path


def test_root_tool_mount_in_the_bugreport_fs_tree(tmp_path: Path) -> None:
    stock = "/dev/block/dm-0 / ext4 ro,seclabel,relatime 0 0\ntmpfs /dev tmpfs rw 0 0\n"
    report = run_check(_zip_with_mounts(tmp_path, stock))
    root = next(r for r in report.checks if r.id == "root_indicators")
    assert root.status is Status.PASS and "mounts" in root.detail
    rooted = stock + "magisk /sbin/.magisk tmpfs rw,relatime 0 0\n"
    report = run_check(_zip_with_mounts(tmp_path, rooted))
    root = next(r for r in report.checks if r.id == "root_indicators")
    assert root.status is Status.FAIL
    assert root.evidence[0].fact == "root tool mount: magisk on /sbin/.magisk (tmpfs)"
    assert str(root.evidence[0].location) == "bugreport.zip!FS/proc/mounts:3"


def test_screen_lock_falls_back_to_the_keyguard(tmp_path: Path) -> None:
    """Android 10-style lock_settings (no credential type): the window keyguard decides."""
    text = edit("    CredentialType: PIN\n", "")
    result = results(tmp_path, text)["screen_lock"]
    assert result.status is Status.PASS
    assert result.evidence[0].fact == "window keyguard secure=true"
    text = text.replace("      secure=true\n", "      secure=false\n")
    assert results(tmp_path, text)["screen_lock"].status is Status.FAIL
    text = text.replace("      secure=false\n", "")
    assert results(tmp_path, text)["screen_lock"].status is Status.NOT_ASSESSED


def test_os_version_support_is_judged_at_evaluation_time(tmp_path: Path) -> None:
    text = edit("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [29]")
    early = datetime(2021, 6, 1, tzinfo=UTC)
    assert results(tmp_path, text, as_of=early)["os_version"].status is Status.PASS
    detail = results(tmp_path, text)["os_version"].detail
    assert "last bulletin was 2023-02-01" in detail


def test_enterprise_minimum_api_floor(tmp_path: Path) -> None:
    text = edit("[ro.build.version.sdk]: [34]", "[ro.build.version.sdk]: [32]")
    result = results(tmp_path, text, profile="enterprise")["os_version"]
    assert result.status is Status.FAIL and "minimum API 33" in result.detail


def test_package_verification_off_fails_both_findings(tmp_path: Path) -> None:
    text = edit(
        "name:package_verifier_enable pkg:android value:1 default:1",
        "name:package_verifier_enable pkg:android value:0 default:1",
    )
    got = results(tmp_path, text)
    assert got["verify_apps"].status is Status.FAIL
    assert got["verify_apps"].title == "The package verifier is off"
    assert got["verify_adb_installs"].status is Status.FAIL
    assert "package verification is off" in got["verify_adb_installs"].detail


def test_only_adb_install_verification_off_leaves_package_verification_passing(
    tmp_path: Path,
) -> None:
    got = results(tmp_path)  # the example has verifier_verify_adb_installs=0 only
    assert got["verify_apps"].status is Status.PASS
    assert got["verify_adb_installs"].status is Status.FAIL
    assert got["verify_adb_installs"].title == "Apps installed over adb are not verified"


def test_orange_boot_state_alone_means_unlocked(tmp_path: Path) -> None:
    text = edit("[ro.boot.verifiedbootstate]: [green]", "[ro.boot.verifiedbootstate]: [orange]")
    text = text.replace("[ro.boot.flash.locked]: [1]\n", "").replace(
        "[ro.boot.vbmeta.device_state]: [locked]\n", ""
    )
    text = text.replace('androidboot.flash.locked = "1"\n', "").replace(
        'androidboot.vbmeta.device_state = "locked"\n', ""
    )
    got = results(tmp_path, text)
    assert got["bootloader_locked"].status is Status.FAIL
    assert got["bootloader_locked"].title == "Bootloader is unlocked"
    assert "orange" in got["bootloader_locked"].detail
    assert got["verified_boot"].title == "Verified boot state is orange"


@pytest.mark.parametrize(
    ("check_id", "passed", "failed"),
    [
        ("bootloader_locked", "Bootloader is locked", "Bootloader is unlocked"),
        ("developer_options", "Developer options are off", "Developer options are on"),
        ("encryption", "Storage is encrypted", "Storage is not encrypted"),
    ],
)
def test_titles_state_the_finding(tmp_path: Path, check_id: str, passed: str, failed: str) -> None:
    from handsetguard.checks.registry import ALL_CHECKS

    check = next(c for c in ALL_CHECKS if c.id == check_id)
    assert check.titles.for_status(Status.PASS) == passed
    assert check.titles.for_status(Status.FAIL) == failed
    assert check.titles.for_status(Status.NOT_ASSESSED) not in (passed, failed)
    got = results(tmp_path)[check_id]
    assert got.title == check.titles.for_status(got.status)
    assert got.name == check.titles.name


def test_every_check_has_four_distinct_outcome_titles() -> None:
    from handsetguard.checks.registry import ALL_CHECKS

    for check in ALL_CHECKS:
        titles = {
            check.titles.for_status(s) for s in (Status.PASS, Status.FAIL, Status.NOT_ASSESSED)
        }
        assert len(titles) == 3, check.id
        assert check.titles.name not in titles, check.id
