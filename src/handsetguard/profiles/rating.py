"""The rating: a 0–100 score from check results under a profile, a level, and caps.

score = round(100 × Σ weight(severity) × credit(status) / Σ weight(severity)) over the assessed
checks, with credit pass = 1, warn = ½, fail = 0; not-assessed checks are left out. The level is
the highest whose threshold the score reaches; a failed check whose severity has a cap lowers
the level to that cap and the score to just below the next level's threshold.

Coverage is part of the verdict: below the profile's floor (default: every critical check
assessed and at least 60% of the weight) the level is ``incomplete`` — unless the evidence
already forces the level, i.e. the checks that could not be assessed could not lower it even if
they all failed (a failed critical check caps at ``poor``: more evidence cannot raise it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from handsetguard.checks.model import CheckResult, Severity, Status
from handsetguard.profiles.profile import Profile
from handsetguard.records import record, replace
from handsetguard.threats.model import Confidence, Threat, ThreatKind

__all__ = ["FORMULA", "Coverage", "Level", "Rating", "rate"]

FORMULA = (
    "score = round(100 x sum(weight x credit) / sum(weight)) over assessed checks; "
    "credit: pass 1, warn 0.5, fail 0; not-assessed checks excluded; a failed check "
    "whose severity has a cap limits the level; a certain indicator match (known stalkerware "
    "or spyware) caps it at poor; below the profile's coverage floor the level "
    "is incomplete unless the assessed checks already force it"
)


class Level(enum.Enum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    INCOMPLETE = "incomplete"  # too little assessed for a level the missing checks could lower
    NOT_RATED = "not_rated"


_ORDER = (Level.POOR, Level.FAIR, Level.GOOD, Level.EXCELLENT)
_CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}


@record
class Coverage:
    """How much of the profile was assessed, counted like the score."""

    assessed: int
    total: int
    assessed_weight: int
    total_weight: int
    unassessed_critical: tuple[str, ...]
    floor_met: bool
    floor: str  # "every critical check and 60% of the weight"

    @property
    def percent(self) -> int:
        if self.total_weight == 0:
            return 0
        return int(100 * self.assessed_weight / self.total_weight)


@record
class Rating:
    level: Level
    score: int | None
    capped_by: tuple[str, ...]
    assessed: int
    formula: str = FORMULA
    coverage: Coverage | None = None
    forced: bool = False  # below the floor, but the assessed checks already force the level


def _level_for(score: int, profile: Profile) -> Level:
    for level in (Level.EXCELLENT, Level.GOOD, Level.FAIR):
        if score >= profile.levels[level.value]:
            return level
    return Level.POOR


def _ceiling(level: Level, profile: Profile) -> int:
    """The highest score that still maps to ``level``."""
    above = _ORDER.index(level) + 1
    if above >= len(_ORDER):
        return 100
    return max(0, profile.levels[_ORDER[above].value] - 1)


def _scored(results: list[CheckResult], profile: Profile) -> tuple[Level, int, list[str]]:
    """Level, score and capping checks over ``results`` (all assessed, total weight > 0)."""
    total = sum(profile.weights[r.severity] for r in results)
    earned = sum(profile.weights[r.severity] * _CREDIT[r.status] for r in results)
    score = round(100 * earned / total)
    level = _level_for(score, profile)
    capped_by: list[str] = []
    for result in results:
        cap_name = profile.caps.get(result.severity)
        if result.status is Status.FAIL and cap_name is not None:
            cap = Level(cap_name)
            capped_by.append(result.id)
            if _ORDER.index(cap) < _ORDER.index(level):
                level = cap
    if capped_by:
        score = min(score, _ceiling(level, profile))
    return level, score, capped_by


def _coverage(results: tuple[CheckResult, ...], profile: Profile) -> Coverage:
    assessed = [r for r in results if r.status in _CREDIT]
    missing_critical = tuple(
        r.id for r in results if r.status is Status.NOT_ASSESSED and r.severity is Severity.CRITICAL
    )
    weight = sum(profile.weights[r.severity] for r in assessed)
    total = sum(profile.weights[r.severity] for r in results)
    floor = profile.floor
    met = (not floor.all_critical or not missing_critical) and (
        total == 0 or 100 * weight >= floor.min_weight * total
    )
    text = f"{floor.min_weight}% of the weight"
    if floor.all_critical:
        text = f"every critical check and {text}"
    return Coverage(len(assessed), len(results), weight, total, missing_critical, met, text)


def _threat_caps(threats: Iterable[Threat]) -> list[str]:
    """``threat:<package>`` for every CERTAIN indicator match (once each)."""
    caps: list[str] = []
    for threat in threats:
        if threat.kind is ThreatKind.INDICATOR and threat.confidence is Confidence.CERTAIN:
            name = f"threat:{threat.package or 'device'}"
            if name not in caps:
                caps.append(name)
    return caps


def _capped_by_threats(
    level: Level, score: int, caps: list[str], profile: Profile
) -> tuple[Level, int]:
    if not caps or level in (Level.INCOMPLETE, Level.NOT_RATED):
        return level, score
    if _ORDER.index(Level.POOR) < _ORDER.index(level):
        level = Level.POOR
    return level, min(score, _ceiling(level, profile))


def rate(
    results: tuple[CheckResult, ...], profile: Profile, threats: Iterable[Threat] = ()
) -> Rating:
    assessed = [r for r in results if r.status in _CREDIT]
    coverage = _coverage(results, profile)
    caps = _threat_caps(threats)
    if not assessed or coverage.assessed_weight == 0:
        return Rating(Level.NOT_RATED, None, tuple(caps), len(assessed), coverage=coverage)
    level, score, capped_by = _scored(assessed, profile)
    level, score = _capped_by_threats(level, score, caps, profile)
    capped_by += caps
    forced = False
    if caps and not coverage.floor_met:
        # Known stalkerware on the phone: no missing evidence can raise the level above poor.
        return Rating(level, score, tuple(capped_by), len(assessed), coverage=coverage, forced=True)
    if not coverage.floor_met:
        # What the level would be if everything that could not be assessed had failed: when
        # that is the same level, the missing evidence cannot change it.
        worst = [r if r.status in _CREDIT else replace(r, status=Status.FAIL) for r in results]
        worst_level, _, _ = _scored(worst, profile)
        if worst_level is level:
            forced = True
        else:
            level = Level.INCOMPLETE
    return Rating(level, score, tuple(capped_by), len(assessed), coverage=coverage, forced=forced)
