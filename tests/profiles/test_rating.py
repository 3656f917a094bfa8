"""The rating under a profile: the score formula, caps, and the coverage floor that turns a
level the missing evidence could still lower into ``incomplete``."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.checks.model import CheckId, CheckResult, Severity, Status
from handsetguard.engine import KNOWN_CHECKS
from handsetguard.errors import PolicyError
from handsetguard.profiles.profile import load_profile
from handsetguard.profiles.rating import Level, rate

CONSUMER = load_profile("consumer", KNOWN_CHECKS)


def result(check_id: str, severity: Severity, status: Status) -> CheckResult:
    return CheckResult(CheckId(check_id), status, severity, check_id, "", (), "", ())


def test_everything_assessed_rates_as_before() -> None:
    results = (
        result("a", Severity.CRITICAL, Status.PASS),
        result("b", Severity.HIGH, Status.PASS),
        result("c", Severity.MEDIUM, Status.WARN),
    )
    rating = rate(results, CONSUMER)
    # 100 * (10 + 6 + 1.5) / 19 = 92.1
    assert (rating.level, rating.score) == (Level.EXCELLENT, 92)
    assert rating.coverage is not None and rating.coverage.floor_met
    assert rating.coverage.percent == 100


def test_an_unassessed_critical_check_makes_a_green_level_incomplete() -> None:
    results = (
        result("a", Severity.CRITICAL, Status.NOT_ASSESSED),
        result("b", Severity.CRITICAL, Status.PASS),
        result("c", Severity.HIGH, Status.PASS),
        result("d", Severity.HIGH, Status.PASS),
    )
    rating = rate(results, CONSUMER)
    assert rating.level is Level.INCOMPLETE
    assert rating.score == 100  # over what was assessed
    assert rating.coverage is not None
    assert rating.coverage.unassessed_critical == ("a",)
    assert (rating.coverage.assessed, rating.coverage.total) == (3, 4)
    assert rating.coverage.percent == 68  # 22 of 32


def test_too_little_weight_is_incomplete_even_with_every_critical_check() -> None:
    results = (
        result("a", Severity.CRITICAL, Status.PASS),
        *(result(f"m{i}", Severity.MEDIUM, Status.NOT_ASSESSED) for i in range(4)),
    )
    # 10 of 22 weight assessed: 45% < 60%
    assert rate(results, CONSUMER).level is Level.INCOMPLETE


def test_a_level_the_evidence_forces_stands_below_the_floor() -> None:
    results = (
        result("a", Severity.CRITICAL, Status.FAIL),
        result("b", Severity.CRITICAL, Status.NOT_ASSESSED),
        result("c", Severity.HIGH, Status.NOT_ASSESSED),
    )
    rating = rate(results, CONSUMER)
    assert rating.level is Level.POOR  # capped by the failed critical check
    assert rating.forced
    assert rating.capped_by == ("a",)


def test_a_fair_level_the_missing_checks_could_lower_is_incomplete() -> None:
    # A failed high check caps at fair; a missing critical one could still make it poor.
    results = (
        result("a", Severity.HIGH, Status.FAIL),
        result("b", Severity.CRITICAL, Status.PASS),
        result("c", Severity.CRITICAL, Status.PASS),
        result("d", Severity.CRITICAL, Status.NOT_ASSESSED),
    )
    assert rate(results, CONSUMER).level is Level.INCOMPLETE


def test_nothing_assessed_is_not_rated() -> None:
    rating = rate((result("a", Severity.CRITICAL, Status.NOT_ASSESSED),), CONSUMER)
    assert (rating.level, rating.score) == (Level.NOT_RATED, None)


def test_profile_sets_the_floor(tmp_path: Path) -> None:
    path = tmp_path / "lenient.toml"
    path.write_text('name = "lenient"\n[coverage]\ncritical = "any"\nmin_weight = 30\n')
    lenient = load_profile(str(path), KNOWN_CHECKS)
    results = (
        result("a", Severity.CRITICAL, Status.NOT_ASSESSED),
        result("b", Severity.CRITICAL, Status.PASS),
    )
    assert rate(results, lenient).level is Level.EXCELLENT
    assert rate(results, CONSUMER).level is Level.INCOMPLETE


@pytest.mark.parametrize(
    "table",
    ['critical = "some"', "min_weight = 101", "min_weight = true", "floor = 1"],
)
def test_bad_coverage_tables_are_refused(tmp_path: Path, table: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f"[coverage]\n{table}\n")
    with pytest.raises(PolicyError, match="coverage"):
        load_profile(str(path), KNOWN_CHECKS)
