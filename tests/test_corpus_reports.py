"""Whole-pipeline results on the real corpus dumps, as read by hand from each dump."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from handsetguard.engine import run_check
from handsetguard.report.json_report import to_dict
from tests.conftest import ATV_BUGREPORT, LEGACY_BUGREPORT, PIXEL1_BUGREPORT, corpus_path

SCHEMA = json.loads(
    resources.files("handsetguard.report").joinpath("report.schema.json").read_text()
)


def statuses(relative: str) -> dict[str, str]:
    report = run_check(corpus_path(relative))
    return {r.id: r.status.value for r in report.checks}


def test_pixel1_android10_userdebug_unlocked() -> None:
    """Google Pixel (sailfish), AOSP 10 userdebug/test-keys, bootloader unlocked (orange)."""
    report = run_check(corpus_path(PIXEL1_BUGREPORT))
    got = {r.id: r for r in report.checks}
    assert got["bootloader_locked"].status.value == "fail"
    assert got["bootloader_locked"].evidence[0].fact == "ro.boot.flash.locked=0"
    assert got["verified_boot"].status.value == "fail"
    assert got["production_build"].status.value == "fail"
    assert "test-keys" in got["production_build"].detail
    assert got["usb_debugging"].status.value == "fail"
    assert got["encryption"].status.value == "pass"
    # Android 10 was still in the security bulletins when this dump was taken (2020-01-08).
    assert got["os_version"].status.value == "pass"
    # Android 10's lock_settings does not name the credential; the keyguard says it is not secure.
    assert got["screen_lock"].status.value == "fail"
    assert got["screen_lock"].evidence[0].fact == "window keyguard secure=false"
    # Patch 2019-10-06 was 94 days old when the dump was taken (2020-01-08).
    assert got["os_patch_level"].status.value == "warn"
    assert "94 days old as of 2020-01-08 (acquisition)" in got["os_patch_level"].detail
    # A userdebug build can setenforce 0 at runtime; the dump does not record the mode.
    assert got["selinux_enforcing"].status.value == "not_assessed"
    assert report.device.model == "Pixel"
    assert report.device.android_version == "10"
    assert report.device.sdk == 29
    assert report.device.build_type == "userdebug"
    assert report.timezone == "Europe/Stockholm"
    assert report.acquired_at is not None
    assert report.acquired_at.isoformat() == "2020-01-08T15:30:07+01:00"
    assert report.rating.level.value == "poor"


def test_atv_emulator_android14_dev_keys() -> None:
    """Android 14 TV emulator: user build with dev-keys, no lock, adb on, patch 2024-03-01."""
    report = run_check(corpus_path(ATV_BUGREPORT))
    got = {r.id: r.status.value for r in report.checks}
    assert got["production_build"] == "fail"
    assert got["screen_lock"] == "fail"
    assert got["usb_debugging"] == "fail"
    assert got["os_patch_level"] == "fail"
    assert got["os_version"] == "pass"
    # Emulators have no verified boot or flash lock properties: not a guess either way.
    assert got["verified_boot"] == "not_assessed"
    assert got["bootloader_locked"] == "not_assessed"
    assert report.device.sdk == 34
    assert report.device.build_tags == "dev-keys"
    assert report.timezone == "Europe/Moscow"


def test_legacy_android23_runs_and_says_what_it_cannot_assess() -> None:
    report = run_check(corpus_path(LEGACY_BUGREPORT))
    got = {r.id: r for r in report.checks}
    assert got["os_version"].status.value == "fail"
    assert got["usb_debugging"].status.value == "not_assessed"
    assert report.time_basis.value == "now"


def test_androidqf_root_binaries_fail_root_check() -> None:
    got = statuses("device/mvt-tests/androidqf")
    assert got["root_indicators"] == "fail"


@pytest.mark.parametrize(
    "relative",
    [
        ATV_BUGREPORT,
        PIXEL1_BUGREPORT,
        LEGACY_BUGREPORT,
        "device/mvt-tests/androidqf",
        "device/mvt-tests/androidqf.zip",
        "device/mvt-tests/android_data/bugreport",
    ],
)
def test_every_corpus_dump_gives_a_schema_valid_report(relative: str) -> None:
    data = to_dict(run_check(corpus_path(relative)))
    jsonschema.validate(data, SCHEMA)
    assert {c["id"] for c in data["checks"]} >= {"screen_lock", "usb_debugging", "encryption"}
    for check in data["checks"]:
        if check["status"] == "not_assessed":
            assert check["detail"], check["id"]
