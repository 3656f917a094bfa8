"""The check pipeline in one call: source → evidence → device state → checks + threats →
rating / gate → report.

Threats are the indicator matches (when a compiled indicator set is given) and the behaviour
findings, most serious first: certain, then probable indicator matches, then behaviour findings,
each by score. With ``safe_output`` the report carries no safety advice and no fix lines for the
checks about the same powers (:mod:`handsetguard.threats.advice`). Nothing here, nor anywhere in
HandsetGuard, writes to a phone: the live collector only runs read commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from handsetguard import __version__
from handsetguard.checks.model import STATUS_ORDER, CheckContext, CheckResult
from handsetguard.checks.registry import ALL_CHECKS, run_checks
from handsetguard.device import DeviceState, TimeBasis, Unavailable
from handsetguard.evidence import Evidence
from handsetguard.gate import gate_verdict
from handsetguard.inventory import inventory
from handsetguard.privacy import app_privacy
from handsetguard.profiles.profile import Profile, load_profile
from handsetguard.profiles.rating import rate
from handsetguard.records import replace
from handsetguard.report.model import Report
from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats.advice import SAFE_OUTPUT_CHECKS, SAFETY_ADVICE
from handsetguard.threats.behaviour import behaviour_threats
from handsetguard.threats.model import Confidence, IndicatorMatcher, Threat, ThreatKind

__all__ = ["KNOWN_CHECKS", "evaluate", "evaluation_time", "run_check"]

KNOWN_CHECKS = frozenset(check.id for check in ALL_CHECKS)


def evaluation_time(
    state: DeviceState, as_of: datetime | None, now: datetime | None = None
) -> tuple[datetime, TimeBasis]:
    """The time checks evaluate at: ``as_of`` when given, else the acquisition time, else now."""
    if as_of is not None:
        return as_of, TimeBasis.OVERRIDE
    if state.acquired_at is not None:
        return state.acquired_at, TimeBasis.ACQUISITION
    return (now or datetime.now(UTC)), TimeBasis.NOW


_SERIOUSNESS = {
    (ThreatKind.INDICATOR, Confidence.CERTAIN): 0,
    (ThreatKind.INDICATOR, Confidence.PROBABLE): 1,
    (ThreatKind.INDICATOR, Confidence.HEURISTIC): 2,
}


def order_threats(threats: Iterable[Threat]) -> tuple[Threat, ...]:
    """Most serious first: certain, then probable indicator matches, then behaviour findings;
    higher score first within each; then by package."""
    return tuple(
        sorted(
            threats,
            key=lambda t: (_SERIOUSNESS.get((t.kind, t.confidence), 3), -t.score, t.package or ""),
        )
    )


def find_threats(state: DeviceState, indicators: IndicatorMatcher | None) -> tuple[Threat, ...]:
    matched = indicators.match(state) if indicators is not None else []
    return order_threats([*matched, *behaviour_threats(state)])


def _without_fix(results: Iterable[CheckResult]) -> tuple[CheckResult, ...]:
    """--safe-output: no "remove this app" lines for the checks about stalkerware's powers."""
    return tuple(replace(r, remediation="") if r.id in SAFE_OUTPUT_CHECKS else r for r in results)


def evaluate(
    state: DeviceState,
    profile: Profile,
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    fail_on: str | None = None,
    indicators: IndicatorMatcher | None = None,
    safe_output: bool = False,
) -> Report:
    """Run every check of ``profile`` on ``state``, find threats, and assemble the report; the
    gate verdict is part of it when the profile has a ``[gate]`` or ``fail_on`` ("warn" /
    "fail") is given."""
    when, basis = evaluation_time(state, as_of, now)
    context = CheckContext(when, basis, profile.params)
    enabled = frozenset(
        check.id
        for check in ALL_CHECKS
        if (check.default_enabled or check.id in profile.enabled)
        and check.id not in profile.disabled
    )
    results = run_checks(state, context, enabled, profile.severities)
    threats = find_threats(state, indicators)
    if safe_output:
        results = _without_fix(results)
    ordered = tuple(sorted(results, key=lambda r: STATUS_ORDER[r.status]))
    apps = app_privacy(state)
    gate = (
        gate_verdict(results, fail_on, profile.not_assessed_fails, state.collection_errors, threats)
        if profile.has_gate or fail_on is not None
        else None
    )
    return Report(
        tool_version=__version__,
        source_kind=state.source_kind,
        source_path=state.source_path,
        acquired_at=state.acquired_at,
        acquired_at_origin=state.acquired_at_origin,
        evaluated_as_of=when,
        time_basis=basis,
        timezone=state.timezone,
        device=state.identity,
        profile=profile.name,
        rating=rate(results, profile, threats),
        checks=ordered,
        apps=() if isinstance(apps, Unavailable) else apps,
        apps_unavailable=apps.reason if isinstance(apps, Unavailable) else None,
        coverage=state.coverage,
        gate=gate,
        collection_errors=state.collection_errors,
        clock_unset=state.recorded_clock_unset,
        threats=threats,
        advice=() if safe_output or not threats else SAFETY_ADVICE,
        safe_output=safe_output,
        inventory=inventory(state),
    )


def run_check(
    source: str | Path | Evidence,
    profile: str | Profile = "consumer",
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    fail_on: str | None = None,
    indicators: IndicatorMatcher | None = None,
    safe_output: bool = False,
) -> Report:
    """Check one input (a path or already-acquired evidence) under a profile name or object."""
    evidence = source if isinstance(source, Evidence) else open_source(source)
    if isinstance(profile, str):
        profile = load_profile(profile, KNOWN_CHECKS)
    return evaluate(
        build_state(evidence),
        profile,
        as_of=as_of,
        now=now,
        fail_on=fail_on,
        indicators=indicators,
        safe_output=safe_output,
    )
