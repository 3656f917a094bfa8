"""Every check, in report order, and evaluation of all of them under a profile."""

from __future__ import annotations

from handsetguard.checks import access, apps, factory, powers, system
from handsetguard.checks.model import Check, CheckContext, CheckResult, Severity
from handsetguard.device import DeviceState

__all__ = ["ALL_CHECKS", "run_checks"]

ALL_CHECKS: tuple[Check, ...] = (
    *system.CHECKS,
    *access.CHECKS,
    *apps.CHECKS,
    *powers.CHECKS,
    *factory.CHECKS,
)


def run_checks(
    state: DeviceState,
    context: CheckContext,
    enabled: frozenset[str] | None = None,
    severities: dict[str, Severity] | None = None,
) -> tuple[CheckResult, ...]:
    """Run every enabled check (all when ``enabled`` is None) with profile severity overrides."""
    severities = severities or {}
    return tuple(
        check.run(state, context, severities.get(check.id))
        for check in ALL_CHECKS
        if enabled is None or check.id in enabled
    )
