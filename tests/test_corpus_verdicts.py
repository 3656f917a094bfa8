"""Verdicts on every corpus input: no report claims more than its evidence, failing checks say
what was found, and a gate profile leads with its verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.checks.model import Severity, Status
from handsetguard.engine import run_check
from handsetguard.errors import SourceError
from handsetguard.gate import Verdict
from handsetguard.profiles.rating import Level
from tests.conftest import CORPUS, PIXEL1_BUGREPORT, corpus_path


def _inputs() -> list[str]:
    """Each device folder of the corpus, each file in it, and every file and folder of
    device/mvt-tests/ (recursively): everything a user might point the tool at."""
    device = CORPUS / "device"
    if not device.is_dir():
        return []
    found: set[Path] = set()
    for folder in sorted(p for p in device.iterdir() if p.is_dir()):
        found.add(folder)
        found.update(folder.iterdir())
    tests = device / "mvt-tests"
    if tests.is_dir():
        found.update(tests.rglob("*"))
    return sorted(str(p.relative_to(CORPUS)) for p in found)


INPUTS = _inputs() or ["device (corpus absent)"]


@pytest.mark.parametrize("relative", INPUTS)
@pytest.mark.parametrize("profile", ["consumer", "enterprise"])
def test_no_green_level_while_a_critical_check_is_unassessed(relative: str, profile: str) -> None:
    path = corpus_path(relative)
    try:
        report = run_check(path, profile)
    except SourceError as exc:
        # A refusal must say what the input is and why it cannot be graded, in one line.
        assert "\n" not in exc.message and str(path.name) in exc.message
        return
    unassessed_critical = [
        r.id
        for r in report.checks
        if r.status is Status.NOT_ASSESSED and r.severity is Severity.CRITICAL
    ]
    if unassessed_critical:
        assert report.rating.level not in (Level.GOOD, Level.EXCELLENT), unassessed_critical
    coverage = report.rating.coverage
    assert coverage is not None and coverage.total == len(report.checks)
    if not coverage.floor_met and report.rating.level is not Level.NOT_RATED:
        # Below the floor a level stands only when the evidence already forces it.
        assert report.rating.level is Level.INCOMPLETE or report.rating.forced


def test_pixel1_failing_checks_state_the_finding() -> None:
    report = run_check(corpus_path(PIXEL1_BUGREPORT))
    titles = {r.id: r.title for r in report.checks if r.status is Status.FAIL}
    assert titles["bootloader_locked"] == "Bootloader is unlocked"
    assert titles["verified_boot"] == "Verified boot state is orange"
    assert titles["usb_debugging"] == "USB debugging is on"
    assert titles["developer_options"] == "Developer options are on"


def test_mvt_android_data_folder_is_not_rated_green() -> None:
    """MVT's per-section excerpts: one or two checks can be assessed; that is no rating."""
    report = run_check(corpus_path("device/mvt-tests/android_data"))
    assert report.rating.level in (Level.INCOMPLETE, Level.NOT_RATED)
    assert report.rating.coverage is not None and not report.rating.coverage.floor_met


def test_factory_example_leads_with_its_fail(tmp_path: Path) -> None:
    from importlib import resources

    example = resources.files("handsetguard.examples").joinpath("example-bugreport.txt")
    path = tmp_path / "unit.txt"
    path.write_text(example.read_text())
    report = run_check(path, "factory")
    assert report.gate is not None and report.gate.verdict is Verdict.FAIL
    assert "verify_adb_installs" in report.gate.failing
