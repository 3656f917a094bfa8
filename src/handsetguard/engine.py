"""The check pipeline in one call: source → evidence → device state → checks → rating → report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from handsetguard import __version__
from handsetguard.checks.model import STATUS_ORDER, CheckContext
from handsetguard.checks.registry import ALL_CHECKS, run_checks
from handsetguard.device import DeviceState, TimeBasis, Unavailable
from handsetguard.evidence import Evidence
from handsetguard.gate import gate_verdict
from handsetguard.privacy import app_privacy
from handsetguard.profiles.profile import Profile, load_profile
from handsetguard.profiles.rating import rate
from handsetguard.report.model import Report
from handsetguard.sources import open_source
from handsetguard.state import build_state

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


def evaluate(
    state: DeviceState,
    profile: Profile,
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    fail_on: str | None = None,
) -> Report:
    """Run every check of ``profile`` on ``state`` and assemble the report; the gate verdict is
    part of it when the profile has a ``[gate]`` or ``fail_on`` ("warn" / "fail") is given."""
    when, basis = evaluation_time(state, as_of, now)
    context = CheckContext(when, basis, profile.params)
    enabled = frozenset(
        check.id
        for check in ALL_CHECKS
        if (check.default_enabled or check.id in profile.enabled)
        and check.id not in profile.disabled
    )
    results = run_checks(state, context, enabled, profile.severities)
    ordered = tuple(sorted(results, key=lambda r: STATUS_ORDER[r.status]))
    apps = app_privacy(state)
    gate = (
        gate_verdict(results, fail_on, profile.not_assessed_fails, state.collection_errors)
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
        rating=rate(results, profile),
        checks=ordered,
        apps=() if isinstance(apps, Unavailable) else apps,
        apps_unavailable=apps.reason if isinstance(apps, Unavailable) else None,
        coverage=state.coverage,
        gate=gate,
        collection_errors=state.collection_errors,
        clock_unset=state.recorded_clock_unset,
    )


def run_check(
    source: str | Path | Evidence,
    profile: str | Profile = "consumer",
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    fail_on: str | None = None,
) -> Report:
    """Check one input (a path or already-acquired evidence) under a profile name or object."""
    evidence = source if isinstance(source, Evidence) else open_source(source)
    if isinstance(profile, str):
        profile = load_profile(profile, KNOWN_CHECKS)
    return evaluate(build_state(evidence), profile, as_of=as_of, now=now, fail_on=fail_on)
