"""Small helpers shared by check modules: property evidence, not-assessed findings, registration."""

from __future__ import annotations

from collections.abc import Callable

from handsetguard.checks.model import (
    Check,
    CheckContext,
    CheckId,
    EvidenceItem,
    Finding,
    Severity,
    Status,
    Titles,
)
from handsetguard.device import DeviceState, Unavailable
from handsetguard.parsers.settings import Setting

__all__ = [
    "AMAPI",
    "CIS",
    "INTUNE",
    "Registry",
    "expect_prop",
    "not_assessed",
    "prop_evidence",
    "setting_evidence",
    "unavailable",
]

# Prefixes of the references a check cites (rows of these benchmarks and policy catalogues).
AMAPI = "Android Management API"
INTUNE = "Intune Android Enterprise compliance"
CIS = "CIS Google Android Benchmark"

Assess = Callable[[DeviceState, CheckContext], Finding]


class Registry:
    """Collects a module's checks in definition order; ``default_enabled=False`` makes them
    run only under a profile that enables them."""

    def __init__(self, *, default_enabled: bool = True) -> None:
        self.checks: list[Check] = []
        self.default_enabled = default_enabled

    def check(
        self,
        check_id: str,
        titles: Titles,
        severity: Severity,
        remediation: str,
        references: tuple[str, ...] = (),
    ) -> Callable[[Assess], Assess]:
        def register(assess: Assess) -> Assess:
            self.checks.append(
                Check(
                    CheckId(check_id),
                    titles,
                    severity,
                    remediation,
                    references,
                    assess,
                    self.default_enabled,
                )
            )
            return assess

        return register


def not_assessed(reason: str) -> Finding:
    return Finding(Status.NOT_ASSESSED, reason)


def unavailable(facet: Unavailable, what: str) -> Finding:
    """A not-assessed finding naming the missing facet and why it is missing."""
    return Finding(Status.NOT_ASSESSED, f"cannot assess {what}: {facet.reason}")


def prop_evidence(state: DeviceState, *names: str) -> tuple[EvidenceItem, ...]:
    """Evidence items ``name=value`` for each property that is present."""
    items = []
    for name in names:
        value = state.prop(name)
        if value is not None:
            items.append(EvidenceItem(f"{name}={value}", state.prop_origin(name)))
    return tuple(items)


def setting_evidence(state: DeviceState, setting: Setting) -> EvidenceItem:
    """Evidence item ``secure name=value`` (user N when not the owner) with its location."""
    user = f" (user {setting.user})" if setting.user else ""
    return EvidenceItem(
        f"{setting.namespace.value} {setting.name}={setting.value}{user}",
        state.setting_origin(setting),
    )


def expect_prop(
    state: DeviceState,
    name: str,
    expected: str,
    *,
    passed: str,
    failed: str,
    also: tuple[str, ...] = (),
) -> Finding:
    """Pass when property ``name`` equals ``expected``, fail on any other value, not assessed
    when it (or getprop itself) is missing; ``also`` adds context properties to the evidence."""
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, name)
    value = state.prop(name)
    if value is None:
        return not_assessed(f"{name} is not recorded")
    evidence = prop_evidence(state, name, *also)
    return Finding(
        Status.PASS if value == expected else Status.FAIL,
        passed if value == expected else failed,
        evidence,
    )
