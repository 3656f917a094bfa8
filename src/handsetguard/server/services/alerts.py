"""Alerts about units: raise (deduplicated while open, queued for the partner's webhooks in
the same transaction), list (tenant-scoped), acknowledge with a note (audited).

Other services raise alerts with :func:`raise_alert` inside their own write transaction::

    alerts.raise_alert(session, device, "registration", "register_rejected", {...}, now=now)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, or_, select
from sqlalchemy.orm import Session

from handsetguard.server.errors import ConflictError, InvalidInputError, NotFoundError
from handsetguard.server.models import Alert, Device
from handsetguard.server.services import audit, webhooks
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import MAX_PAGE, new_id, scoped, upsert_insert, visible

__all__ = [
    "CLONE",
    "IDENTITY",
    "KINDS",
    "READERS",
    "REGRESSION",
    "STALE",
    "AlertFilter",
    "acknowledge",
    "alert_event",
    "get_alert",
    "list_alerts",
    "open_alerts_of",
    "raise_alert",
    "raise_many",
    "unit_of",
]

REGRESSION = "regression"
STALE = "stale"
IDENTITY = "identity_mismatch"
CLONE = "possible_clone"
"""Raised by :mod:`clones`: one unit's identity coming from a second device."""
KINDS = (REGRESSION, STALE, IDENTITY, CLONE)
"""The kinds this package raises; other services may add their own (``[a-z_]{1,32}``)."""

READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN, Role.SUPPORT)
ACKNOWLEDGERS = (Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN, Role.SUPPORT)
_WORD = re.compile(r"[a-z][a-z0-9_:.-]{0,63}")


def _insert_statement(session: Session) -> Any:
    """INSERT … ON CONFLICT (open_key) DO NOTHING. Two processes raising the same open
    condition at once leave one alert."""
    table = cast(Table, Alert.__table__)
    return upsert_insert(session, table).on_conflict_do_nothing(index_elements=["open_key"])


def _insert_ignoring_open_duplicate(session: Session, values: dict[str, Any]) -> bool:
    """True when the row was added (not already open)."""
    table = cast(Table, Alert.__table__)
    statement = _insert_statement(session).values(**values).returning(table.c.id)
    return session.execute(statement).first() is not None


def _check_codes(kind: str, reasons: set[str]) -> None:
    for name, value in (("kind", kind), *(("reason", r) for r in sorted(reasons))):
        if not _WORD.fullmatch(value) or (name == "kind" and len(value) > 32):
            raise ValueError(f"alert {name} {value!r} is not a short lower-case code")


def _row(unit: Device, kind: str, reason: str, detail: dict[str, Any], now: datetime) -> Any:
    return {
        "id": new_id(),
        "device_id": unit.id,
        "partner_id": unit.partner_id,
        "kind": kind,
        "reason": reason,
        "detail": detail,
        "raised_at": now,
        "status": "open",
        "open_key": f"{unit.id}|{kind}|{reason}",
    }


def raise_alert(
    session: Session,
    unit: Device,
    kind: str,
    reason: str,
    detail: dict[str, Any],
    *,
    now: datetime,
) -> Alert | None:
    """Open an alert about ``unit`` in the caller's transaction and queue it for each of the
    partner's active webhooks. ``kind`` and ``reason`` are short codes (``regression``,
    ``check_now_fails:usb_debugging``); ``detail`` is JSON-serialisable and holds no secret.
    Returns the new alert, or None when the same (unit, kind, reason) is already open."""
    _check_codes(kind, {reason})
    session.flush()
    values = _row(unit, kind, reason, detail, now)
    if not _insert_ignoring_open_duplicate(session, values):
        return None
    alert = session.get(Alert, values["id"])
    assert alert is not None
    webhooks.enqueue(session, alert, alert_event(alert, unit), now=now)
    return alert


def raise_many(
    session: Session,
    raised: list[tuple[Device, str, dict[str, Any]]],
    kind: str,
    *,
    now: datetime,
) -> list[str]:
    """:func:`raise_alert` for many units at once — (unit, reason, detail) each — in a few
    statements (an INSERT … ON CONFLICT DO NOTHING per 1,000 alerts, an INSERT per 1,000
    deliveries), so a receipt that rejects thousands of units does not pay round trips per
    alert. The same deduplication and webhook outbox; returns the new alerts' ids."""
    _check_codes(kind, {reason for _, reason, _ in raised})
    session.flush()
    rows = {}
    for unit, reason, detail in raised:
        values = _row(unit, kind, reason, detail, now)
        rows[values["id"]] = (unit, values)
    statement = _insert_statement(session).returning(cast(Table, Alert.__table__).c.id)
    values_list = [values for _, values in rows.values()]
    added: list[str] = []
    for start in range(0, len(values_list), 1000):
        chunk = values_list[start : start + 1000]
        added += session.execute(statement, chunk).scalars().all()
    events = [
        (rows[i][0].partner_id, i, alert_event(Alert(**rows[i][1]), rows[i][0])) for i in added
    ]
    webhooks.enqueue_many(session, events, now=now)
    return added


def unit_of(columns: Mapping[str, Any]) -> Device:
    """A transient, never-stored unit with the columns :func:`alert_event` reads (``id``,
    ``serial``, ``model_code``, ``territory``, ``partner_id``), for the hot paths that read
    a device's row without the ORM."""
    return Device(
        id=columns["id"],
        serial=columns["serial"],
        model_code=columns["model_code"],
        territory=columns["territory"],
        partner_id=columns["partner_id"],
    )


def alert_event(alert: Alert, unit: Device) -> dict[str, Any]:
    """The webhook body for an alert (documented in docs/fleet.md)."""
    return {
        "type": "alert.raised",
        "alert": {
            "id": alert.id,
            "kind": alert.kind,
            "reason": alert.reason,
            "detail": alert.detail,
            "raised_at": alert.raised_at.isoformat(),
        },
        "unit": {
            "device_id": unit.id,
            "serial": unit.serial,
            "model_code": unit.model_code,
            "territory": unit.territory,
            "partner_id": unit.partner_id,
        },
    }


def get_alert(session: Session, actor: Actor, alert_id: str, *, lock: bool = False) -> Alert:
    require(actor, *READERS)
    alert = session.get(Alert, alert_id, with_for_update=lock)
    if alert is None:
        raise NotFoundError("alert_not_found", f"no alert {alert_id}")
    visible(actor, alert.partner_id, "alert", alert_id)
    return alert


@dataclass(frozen=True, slots=True)
class AlertFilter:
    status: str | None = None
    kind: str | None = None
    device_id: str | None = None
    cursor: str | None = None
    """``raised_at|id`` of the last alert of the previous page (newest first)."""
    limit: int = 50


def _after(query: Select[Any], cursor: str) -> Select[Any]:
    at_text, _, last_id = cursor.partition("|")
    try:
        at = datetime.fromisoformat(at_text)
    except ValueError as exc:
        raise InvalidInputError("invalid_cursor", "cursor is not one this API returned") from exc
    return query.where(or_(Alert.raised_at < at, (Alert.raised_at == at) & (Alert.id < last_id)))


def list_alerts(session: Session, actor: Actor, where: AlertFilter) -> list[Alert]:
    """Newest first; one row more than ``limit`` when there is a next page."""
    require(actor, *READERS)
    if where.status is not None and where.status not in ("open", "acknowledged"):
        raise InvalidInputError("invalid_status", "status is open or acknowledged")
    query = scoped(select(Alert), actor, Alert.partner_id)
    if where.status is not None:
        query = query.where(Alert.status == where.status)
    if where.kind is not None:
        query = query.where(Alert.kind == where.kind)
    if where.device_id is not None:
        query = query.where(Alert.device_id == where.device_id)
    if where.cursor:
        query = _after(query, where.cursor)
    limit = max(1, min(where.limit, MAX_PAGE))
    query = query.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit + 1)
    return list(session.execute(query).scalars())


def open_alerts_of(session: Session, device_id: str) -> list[Alert]:
    query = (
        select(Alert)
        .where(Alert.device_id == device_id, Alert.status == "open")
        .order_by(Alert.raised_at.desc(), Alert.id)
    )
    return list(session.execute(query).scalars())


def acknowledge(session: Session, actor: Actor, alert_id: str, note: str, now: datetime) -> Alert:
    """Close an open alert with the acknowledging person's note; audited. The same condition
    raised again afterwards opens a new alert."""
    require(actor, *ACKNOWLEDGERS)
    note = note.strip()
    if not note:
        raise InvalidInputError("note_required", "acknowledging an alert needs a note")
    alert = get_alert(session, actor, alert_id, lock=True)
    if alert.status != "open":
        raise ConflictError("alert_already_acknowledged", f"alert {alert_id} is not open")
    alert.status, alert.open_key = "acknowledged", None
    alert.acknowledged_at, alert.acknowledged_by, alert.note = now, actor.credential_id, note
    audit.append(
        session,
        actor,
        at=now,
        action="alert.acknowledge",
        target=("alert", alert.id),
        partner_id=alert.partner_id,
        before={"status": "open", "kind": alert.kind, "reason": alert.reason},
        after={"status": "acknowledged", "note": note},
    )
    return alert
