"""Per-model golden baseline: what a partner's model looks like when it leaves the factory
right, taken from its **golden units** — the units whose baseline (the factory gate report
taken at activation) passed the gate.

For each (partner, model) :func:`refresh` keeps in ``fleet_golden``: how many golden units
there are, on how many of them each check passed, the checks that pass on at least
:data:`EXPECTED_SHARE` of them (the *expected checks*), the build fingerprints their
baselines carried, and the oldest and newest OS patch level they shipped with. It is
recomputed from the units' baselines (one indexed read per unit, not a scan of the reports)
by the fleet worker every ``HANDSETGUARD_FLEET_GOLDEN_REFRESH_SECONDS``.

A report that deviates from its model's golden baseline — once the model has
:data:`MIN_GOLDEN_UNITS` golden units — raises ``golden_deviation`` alerts
(:func:`deviations`): ``check_fails:<check>`` for an expected check that fails on the
report (unless it also regressed against the unit's own baseline, which its ``regression``
says already), ``patch_older`` for an OS patch level older than any golden unit shipped with.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from handsetguard.server.models import Device, FleetGolden, FleetUnit, PostureReport
from handsetguard.server.services.actors import Actor, require
from handsetguard.server.services.alerts import READERS
from handsetguard.server.services.common import scoped
from handsetguard.server.services.regressions import Finding

if TYPE_CHECKING:
    from handsetguard.server.services.reports import Summary

__all__ = [
    "EXPECTED_SHARE",
    "KIND",
    "MIN_GOLDEN_UNITS",
    "Golden",
    "deviations",
    "golden_models",
    "refresh",
    "refresh_due",
]

KIND = "golden_deviation"
GATE_PASSED = "PASS"
"""The gate verdict of a golden unit's baseline (report schema: PASS, FAIL or ERROR)."""
EXPECTED_SHARE = 0.95
MIN_GOLDEN_UNITS = 3
"""Below this many golden units a model has no golden baseline to deviate from yet."""
_LOCK = 0x68670011  # pg_advisory_xact_lock key of the refresh


@dataclass(frozen=True, slots=True)
class Golden:
    """What a report is compared with (read with the unit in the ingestion's first read)."""

    golden_units: int
    expected_checks: tuple[str, ...]
    os_patch_min: str | None


def refresh_due(session: Session, now: datetime, every: timedelta) -> int | None:
    """:func:`refresh` if the stored golden baselines are older than ``every`` (or there are
    none), in the caller's write transaction; one process at a time (on PostgreSQL an
    advisory lock, taken before looking; SQLite's writers are one at a time already).
    Returns how many models have one, or None when nothing was due."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    newest = session.execute(select(func.max(FleetGolden.refreshed_at))).scalar_one()
    if newest is not None and newest > now - every:
        return None
    return refresh(session, now)


def refresh(session: Session, now: datetime) -> int:
    """Recompute every model's golden baseline from its units' baselines; returns how many
    models have one."""
    rows = session.execute(
        select(
            Device.partner_id,
            Device.model_code,
            PostureReport.checks,
            PostureReport.fingerprint,
            PostureReport.os_patch,
        )
        .join(FleetUnit, FleetUnit.device_id == Device.id)
        .join(
            PostureReport,
            (PostureReport.id == FleetUnit.baseline_report_id)
            & (PostureReport.received_at == FleetUnit.baseline_received_at),
        )
        .where(PostureReport.gate_verdict == GATE_PASSED, Device.status == "active")
    )
    models: dict[tuple[str, str], dict[str, Any]] = {}
    for partner, model, checks, fingerprint, patch in rows:
        entry = models.setdefault(
            (partner, model), {"units": 0, "checks": Counter(), "prints": Counter(), "patches": []}
        )
        entry["units"] += 1
        entry["checks"].update(c for c, status in (checks or {}).items() if status == "pass")
        if fingerprint:
            entry["prints"][fingerprint] += 1
        if patch:
            entry["patches"].append(patch)
    session.execute(delete(FleetGolden))
    for (partner, model), entry in sorted(models.items()):
        units, passing = entry["units"], entry["checks"]
        session.add(
            FleetGolden(
                partner_id=partner,
                model_code=model,
                golden_units=units,
                checks=dict(sorted(passing.items())),
                expected_checks=sorted(
                    c for c, n in passing.items() if n >= EXPECTED_SHARE * units
                ),
                fingerprints=dict(entry["prints"].most_common()),
                os_patch_min=min(entry["patches"], default=None),
                os_patch_max=max(entry["patches"], default=None),
                refreshed_at=now,
            )
        )
    return len(models)


def deviations(golden: Golden | None, summary: Summary, regressed: set[str]) -> list[Finding]:
    """The report's deviations from its model's golden baseline (``regressed``: the checks
    already raised as regressions against the unit's own baseline)."""
    if golden is None or golden.golden_units < MIN_GOLDEN_UNITS:
        return []
    found = [
        Finding(
            f"check_fails:{check}"[:64],
            {"check": check, "now": "fail", "golden_units": golden.golden_units},
        )
        for check in golden.expected_checks
        if summary.checks.get(check) == "fail" and check not in regressed
    ]
    patch = summary.os_patch[:10] if summary.os_patch else None
    if patch and golden.os_patch_min and patch < golden.os_patch_min:
        found.append(
            Finding(
                "patch_older",
                {
                    "now": patch,
                    "golden_oldest": golden.os_patch_min,
                    "golden_units": golden.golden_units,
                },
            )
        )
    return found


def golden_models(
    session: Session, actor: Actor, model_code: str | None = None
) -> list[FleetGolden]:
    """The golden baselines the caller may see (its partner's models; every partner's for
    the licensor's roles), by model."""
    require(actor, *READERS)
    query = scoped(select(FleetGolden), actor, FleetGolden.partner_id)
    if model_code is not None:
        query = query.where(FleetGolden.model_code == model_code)
    return list(
        session.execute(query.order_by(FleetGolden.model_code, FleetGolden.partner_id)).scalars()
    )
