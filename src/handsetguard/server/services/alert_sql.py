"""Alerts opened inside a hot path's one guarded PostgreSQL statement (report_sql.py's and
checkin_sql.py's writes): the alerts, given as parallel arrays, are inserted unless one of the
same unit, kind and reason is open (``open_key``), and each one opened is queued for its
partner's active webhooks. SQLite runs the same steps statement by statement
(report_store.py, checkin_store.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, NamedTuple

from handsetguard.server.services.common import new_id

__all__ = [
    "OpenAlert",
    "alert_params",
    "open_alerts_ctes",
    "open_alerts_sqlite",
]


class OpenAlert(NamedTuple):
    """One alert to open: about ``device_id`` (of ``partner_id``), and the webhook body queued
    if it is opened (not already open)."""

    id: str
    device_id: str
    partner_id: str
    kind: str
    reason: str
    detail: dict[str, Any]
    event: dict[str, Any]


def open_alerts_ctes(gate: str, alerts: bool) -> tuple[list[tuple[str, str]], str]:
    """The CTEs that open the alerts (dbapi.with_ctes' parts): ``a`` (the alerts opened) and
    ``w`` (their deliveries), run only if the CTE named ``gate`` has a row, their parameters
    :func:`alert_params`'; and the expression of the opened alerts' ids for the statement's
    last SELECT. None of it when there are no ``alerts`` to open (an empty array then)."""
    if not alerts:
        return [], "'{}'::text[]"
    opened = f"""INSERT INTO fleet_alerts (id, device_id, partner_id, kind, reason, detail,
        raised_at, status, open_key)
    SELECT t.id, t.device_id, t.partner_id, t.kind, t.reason, t.detail::json, :now, 'open',
        t.device_id || '|' || t.kind || '|' || t.reason
    FROM {gate}, unnest(:a_id::text[], :a_device::text[], :a_partner::text[], :a_kind::text[],
        :a_reason::text[], :a_detail::text[]) AS t(id, device_id, partner_id, kind, reason, detail)
    ON CONFLICT (open_key) DO NOTHING
    RETURNING id, partner_id"""
    queued = """INSERT INTO fleet_deliveries (id, webhook_id, alert_id, event, status, attempts,
        created_at, next_attempt_at)
    SELECT gen_random_uuid()::text, h.id, a.id, e.event::json, 'pending', 0, :now, :now
    FROM a JOIN unnest(:a_id::text[], :a_event::text[]) AS e(id, event) ON e.id = a.id
    JOIN fleet_webhooks h ON h.partner_id = a.partner_id AND h.active"""
    return [("a", opened), ("w", queued)], "array(SELECT id FROM a)"


def alert_params(alerts: Iterable[OpenAlert]) -> dict[str, list[str]]:
    rows = list(alerts)
    return {
        "a_id": [a.id for a in rows],
        "a_device": [a.device_id for a in rows],
        "a_partner": [a.partner_id for a in rows],
        "a_kind": [a.kind for a in rows],
        "a_reason": [a.reason for a in rows],
        "a_detail": [json.dumps(a.detail) for a in rows],
        "a_event": [json.dumps(a.event) for a in rows],
    }


_SQLITE_ALERT = (
    "INSERT INTO fleet_alerts (id, device_id, partner_id, kind, reason, detail, raised_at,"
    " status, open_key) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)"
    " ON CONFLICT (open_key) DO NOTHING RETURNING id"
)
_SQLITE_HOOKS = "SELECT id FROM fleet_webhooks WHERE partner_id = ? AND active"
_SQLITE_DELIVERY = (
    "INSERT INTO fleet_deliveries (id, webhook_id, alert_id, event, status, attempts,"
    " created_at, next_attempt_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)"
)


def open_alerts_sqlite(conn: Any, alerts: Iterable[OpenAlert], now: Any) -> list[str]:
    """SQLite, in the caller's write transaction: each alert opened unless one of the same
    unit, kind and reason is open, and queued for its partner's active webhooks; the ids of
    the alerts opened."""
    opened: list[str] = []
    hooks: dict[str, list[str]] = {}
    for alert in alerts:
        key = f"{alert.device_id}|{alert.kind}|{alert.reason}"
        row = (alert.id, alert.device_id, alert.partner_id, alert.kind, alert.reason)
        added = conn.execute(_SQLITE_ALERT, (*row, json.dumps(alert.detail), now, key)).fetchone()
        if added is None:
            continue  # already open
        opened.append(alert.id)
        if alert.partner_id not in hooks:
            found = conn.execute(_SQLITE_HOOKS, (alert.partner_id,))
            hooks[alert.partner_id] = [hook for (hook,) in found]
        event = json.dumps(alert.event)
        conn.executemany(
            _SQLITE_DELIVERY,
            [(new_id(), hook, alert.id, event, now, now) for hook in hooks[alert.partner_id]],
        )
    return opened
