"""The rating: a 0–100 score from check results under a profile, a level, and caps.

score = round(100 × Σ weight(severity) × credit(status) / Σ weight(severity)) over the assessed
checks, with credit pass = 1, warn = ½, fail = 0; not-assessed checks are left out. The level is
the highest whose threshold the score reaches; a failed check whose severity has a cap lowers
the level to that cap and the score to just below the next level's threshold.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from handsetguard.checks.model import CheckResult, Status
from handsetguard.profiles.profile import Profile

__all__ = ["FORMULA", "Level", "Rating", "rate"]

FORMULA = (
    "score = round(100 x sum(weight x credit) / sum(weight)) over assessed checks; "
    "credit: pass 1, warn 0.5, fail 0; not-assessed checks excluded; a failed check "
    "whose severity has a cap limits the level"
)


class Level(enum.Enum):
    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    NOT_RATED = "not_rated"


_ORDER = (Level.POOR, Level.FAIR, Level.GOOD, Level.EXCELLENT)
_CREDIT = {Status.PASS: 1.0, Status.WARN: 0.5, Status.FAIL: 0.0}


@dataclass(frozen=True, slots=True)
class Rating:
    level: Level
    score: int | None
    capped_by: tuple[str, ...]
    assessed: int
    formula: str = FORMULA


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


def rate(results: tuple[CheckResult, ...], profile: Profile) -> Rating:
    assessed = [r for r in results if r.status in _CREDIT]
    total = sum(profile.weights[r.severity] for r in assessed)
    if not assessed or total == 0:
        return Rating(Level.NOT_RATED, None, (), len(assessed))
    earned = sum(profile.weights[r.severity] * _CREDIT[r.status] for r in assessed)
    score = round(100 * earned / total)
    level = _level_for(score, profile)
    capped_by: list[str] = []
    for result in assessed:
        cap_name = profile.caps.get(result.severity)
        if result.status is Status.FAIL and cap_name is not None:
            cap = Level(cap_name)
            capped_by.append(result.id)
            if _ORDER.index(cap) < _ORDER.index(level):
                level = cap
    if capped_by:
        score = min(score, _ceiling(level, profile))
    return Rating(level, score, tuple(capped_by), len(assessed))
