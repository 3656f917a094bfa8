"""The maintained posture of each unit (``fleet_units``) and its roll-up (``fleet_counts``),
kept in step by the transaction that stores a report or a check-in (report_store.py,
checkin_store.py); staleness sweeps — of units silent past their
agreement's window, and of activated units never heard of within it.

The overview reads ``fleet_counts`` (a row per partner × model × territory × level × patch
month), never a scan of the units: every change of a unit's bucket moves one unit from the
old row to the new one with an upsert.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, select, update
from sqlalchemy.orm import Session

from handsetguard.server.models import (
    Device,
    FleetCount,
    FleetPolicy,
    FleetUnit,
    PostureReport,
)
from handsetguard.server.services import alerts
from handsetguard.server.services.common import upsert_insert

__all__ = [
    "COUNT_BUCKET",
    "COUNT_UPSERT",
    "DEFAULT_STALE_HOURS",
    "MIN_STALE_HOURS",
    "NEVER_REPORTED_LOOKBACK",
    "NO_PATCH",
    "bucket_moves",
    "report_by_id",
    "never_reported_sweep",
    "stale_sweep",
]

DEFAULT_STALE_HOURS = 48
NEVER_REPORTED_LOOKBACK = timedelta(days=30)
"""How far past its window an activation is still looked at for a unit never heard of (the
sweep runs every few seconds, so it meets each one as its window ends; the bound keeps the
sweep an index range scan, not an anti-join of every unit ever activated)."""
MIN_STALE_HOURS = 1
NO_PATCH = "unknown"
_counts = cast(Table, FleetCount.__table__)


Bucket = tuple[str, str, str, str, str]
"""A roll-up row's key: partner, model, territory, level, patch month (NO_PATCH for none)."""

COUNT_BUCKET = "partner_id, model_code, territory, level, patch_month"
"""A :data:`Bucket`'s columns in ``fleet_counts``, in its order."""
COUNT_UPSERT = (
    f"ON CONFLICT ({COUNT_BUCKET}) DO UPDATE SET units = fleet_counts.units + excluded.units"
)
"""The tail of the raw-SQL roll-up writes (report_sql.py, checkin_sql.py): an insert of a
bucket's change adds it to the row already there."""


def bucket_moves(before: Bucket | None, after: Bucket) -> list[tuple[Bucket, int]]:
    """One unit from the roll-up row ``before`` (None: a unit new to the roll-up) to ``after``:
    the rows' changes, in key order (two writers then never wait on each other in a cycle);
    none when the unit stays where it is."""
    if before == after:
        return []
    return sorted([(after, 1)] + ([(before, -1)] if before is not None else []))


def report_by_id(
    session: Session, report_id: str, received_at: datetime | None = None
) -> PostureReport | None:
    """The report ``report_id``; with its ``received_at`` (the partition key) read from its
    own month's partition on PostgreSQL instead of probing every month's."""
    query = select(PostureReport).where(PostureReport.id == report_id)
    if received_at is not None:
        query = query.where(PostureReport.received_at == received_at)
    return session.execute(query).scalar_one_or_none()


def _move(session: Session, key: dict[str, Any], delta: int) -> None:
    statement = upsert_insert(session, _counts).values(**key, units=delta)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={"units": _counts.c.units + delta}
    )
    session.execute(statement)


def _windows(session: Session) -> dict[str, int]:
    rows = session.execute(select(FleetPolicy.agreement_id, FleetPolicy.stale_after_hours))
    return {str(agreement): int(hours) for agreement, hours in rows}


def stale_sweep(session: Session, now: datetime, *, limit: int = 500) -> list[str]:
    """Raise a ``stale`` alert for each unit silent longer than its agreement's window (48 h
    unless the agreement's fleet policy says otherwise); each silence alerts once. Returns
    the alert ids."""
    windows = _windows(session)
    oldest_allowed = now - timedelta(hours=min([DEFAULT_STALE_HOURS, *windows.values()]))
    candidates = session.execute(
        select(FleetUnit, Device)
        .join(Device, Device.id == FleetUnit.device_id)
        .where(
            FleetUnit.last_seen_at < oldest_allowed,
            FleetUnit.stale_alerted.is_(False),
            Device.status == "active",
        )
        .order_by(FleetUnit.last_seen_at)
        .limit(limit)
    ).all()
    raised = []
    for row, unit in candidates:
        hours = windows.get(unit.agreement_id, DEFAULT_STALE_HOURS)
        if row.last_seen_at >= now - timedelta(hours=hours):
            continue
        claimed = session.execute(
            update(FleetUnit)
            .where(and_(FleetUnit.device_id == row.device_id, FleetUnit.stale_alerted.is_(False)))
            .values(stale_alerted=True)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            continue  # another process took it
        raised += _raise_stale(
            session, unit, "no_check_in", ("last_seen_at", row.last_seen_at), hours, now
        )
    return raised


def _raise_stale(
    session: Session,
    unit: Device,
    reason: str,
    since: tuple[str, datetime],
    window: int,
    now: datetime,
) -> list[str]:
    """A ``stale`` alert: silent since ``since`` (its name and time) past ``window`` hours."""
    name, at = since
    detail = {
        name: at.isoformat(),
        "window_hours": window,
        "silent_hours": round((now - at).total_seconds() / 3600, 1),
    }
    alert = alerts.raise_alert(session, unit, alerts.STALE, reason, detail, now=now)
    return [] if alert is None else [alert.id]


def _claim_silent(session: Session, unit: Device) -> bool:
    """Give a never-heard-of unit its posture row (level ``unknown``, last seen at its
    activation, already alerted), counted in the roll-up; False when a report, a check-in
    or another process's sweep made one first."""
    table = cast(Table, FleetUnit.__table__)
    row = {
        "device_id": unit.id,
        "partner_id": unit.partner_id,
        "model_code": unit.model_code,
        "territory": unit.territory,
        "last_seen_at": unit.activated_at,
        "level": "unknown",
        "stale_alerted": True,
    }
    statement = (
        upsert_insert(session, table)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["device_id"])
    )
    added = session.execute(statement.returning(table.c.device_id)).first()
    if added is None:
        return False
    _move(
        session,
        {
            **{k: row[k] for k in ("partner_id", "model_code", "territory")},
            "level": "unknown",
            "patch_month": NO_PATCH,
        },
        +1,
    )
    return True


def never_reported_sweep(session: Session, now: datetime, *, limit: int = 500) -> list[str]:
    """Raise a ``stale`` alert (reason ``never_reported``) for each active unit with no
    report and no check-in within its agreement's window after activation; once, as the
    unit then has a posture row (level ``unknown``). Returns the alert ids."""
    windows = _windows(session)
    hours = [DEFAULT_STALE_HOURS, *windows.values()]
    newest = now - timedelta(hours=min(hours))
    oldest = now - timedelta(hours=max(hours)) - NEVER_REPORTED_LOOKBACK
    candidates = session.execute(
        select(Device)
        .outerjoin(FleetUnit, FleetUnit.device_id == Device.id)
        .where(
            FleetUnit.device_id.is_(None),
            Device.status == "active",
            Device.activated_at < newest,
            Device.activated_at >= oldest,
        )
        .order_by(Device.activated_at)
        .limit(limit)
    ).scalars()
    raised = []
    for unit in list(candidates):
        window = windows.get(unit.agreement_id, DEFAULT_STALE_HOURS)
        if unit.activated_at >= now - timedelta(hours=window) or not _claim_silent(session, unit):
            continue
        since = ("activated_at", unit.activated_at)
        raised += _raise_stale(session, unit, "never_reported", since, window, now)
    return raised
