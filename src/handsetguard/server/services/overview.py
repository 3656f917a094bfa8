"""The fleet overview from the maintained roll-up (``fleet_counts``): units by posture level,
by model, by territory, and the patch-level age distribution; open alerts by kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from handsetguard.server.models import Alert, FleetCount
from handsetguard.server.services.actors import Actor, require
from handsetguard.server.services.alerts import READERS
from handsetguard.server.services.fleet_state import NO_PATCH

__all__ = ["AGE_BANDS", "Overview", "overview", "patch_age_months"]

AGE_BANDS = ((0, 2, "0-2"), (3, 5, "3-5"), (6, 11, "6-11"), (12, 23, "12-23"), (24, 10**6, "24+"))
"""Patch-level age bands in months."""


def patch_age_months(patch_month: str, today: date) -> int | None:
    try:
        year, month = int(patch_month[:4]), int(patch_month[5:7])
    except ValueError:
        return None
    return max(0, (today.year - year) * 12 + today.month - month)


@dataclass
class Overview:
    units: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    by_model: dict[str, int] = field(default_factory=dict)
    by_territory: dict[str, int] = field(default_factory=dict)
    patch_age: list[dict[str, Any]] = field(default_factory=list)
    """One entry per band (label, units), then ``unknown``."""
    open_alerts: dict[str, int] = field(default_factory=dict)


def overview(session: Session, actor: Actor, today: date) -> Overview:
    require(actor, *READERS)
    mine = true() if actor.is_global else FleetCount.partner_id == actor.partner_id
    rows = session.execute(
        select(
            FleetCount.model_code,
            FleetCount.territory,
            FleetCount.level,
            FleetCount.patch_month,
            func.sum(FleetCount.units),
        )
        .where(mine)
        .group_by(
            FleetCount.model_code, FleetCount.territory, FleetCount.level, FleetCount.patch_month
        )
    ).all()
    level: Counter[str] = Counter()
    model: Counter[str] = Counter()
    territory: Counter[str] = Counter()
    bands: Counter[str] = Counter()
    for model_code, where, lvl, patch, units in rows:
        units = int(units or 0)
        if units <= 0:
            continue
        level[lvl] += units
        model[model_code] += units
        territory[where] += units
        age = None if patch == NO_PATCH else patch_age_months(patch, today)
        label = "unknown" if age is None else next(b[2] for b in AGE_BANDS if b[0] <= age <= b[1])
        bands[label] += units
    theirs = true() if actor.is_global else Alert.partner_id == actor.partner_id
    alerts_by_kind = session.execute(
        select(Alert.kind, func.count()).where(Alert.status == "open", theirs).group_by(Alert.kind)
    ).all()
    return Overview(
        units=sum(level.values()),
        by_level=dict(level.most_common()),
        by_model=dict(model.most_common()),
        by_territory=dict(territory.most_common()),
        patch_age=[{"band": b[2], "units": bands[b[2]]} for b in AGE_BANDS]
        + [{"band": "unknown", "units": bands["unknown"]}],
        open_alerts={kind: int(n) for kind, n in alerts_by_kind},
    )
