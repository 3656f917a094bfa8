"""Retail handsets known only by their `getprop` (an AndroidQF collection with that one file):
OnePlus Nord N10 5G (Android 11) and POCO F6 on HyperOS (Android 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.engine import run_check
from handsetguard.gate import failing_checks
from tests.conftest import corpus_path

ONEPLUS = "device/getprop-oneplus-n10-android11/getprop.txt"
POCO = "device/getprop-poco-f6-hyperos-android15/getprop.txt"


def _collection(tmp_path: Path, relative: str) -> Path:
    (tmp_path / "getprop.txt").write_bytes(corpus_path(relative).read_bytes())
    return tmp_path


@pytest.mark.parametrize(("relative", "sdk"), [(ONEPLUS, 30), (POCO, 35)])
def test_locked_retail_builds(tmp_path: Path, relative: str, sdk: int) -> None:
    report = run_check(_collection(tmp_path, relative))
    got = {r.id: r.status.value for r in report.checks}
    for check in ("verified_boot", "bootloader_locked", "encryption", "production_build"):
        assert got[check] == "pass", check
    # Only getprop: adb shows in the persistent USB configuration; settings-based checks say
    # what they lack instead of guessing.
    assert got["usb_debugging"] == "fail"
    assert got["developer_options"] == "not_assessed"
    assert got["screen_lock"] == "not_assessed"
    assert report.device.sdk == sdk


def test_oneplus_allows_oem_unlock_and_poco_does_not_say(tmp_path: Path) -> None:
    (tmp_path / "oneplus").mkdir()
    (tmp_path / "poco").mkdir()
    oneplus = run_check(_collection(tmp_path / "oneplus", ONEPLUS), "factory")
    poco = run_check(_collection(tmp_path / "poco", POCO), "factory")
    assert "oem_unlock_disallowed" in failing_checks(oneplus.checks, "fail", True)
    assert "oem_unlock_disallowed(not_assessed)" in failing_checks(poco.checks, "fail", True)
