"""The report ingestion hot path's database statements, written per dialect and run on the
bare DBAPI connection (as the activation store's: services/activation_store.py).

PostgreSQL, two round trips per report:

1. :meth:`ReportStore.read` — one statement, no lock: the credential, and the unit (by id,
   or by serial within the credential's partner) joined with its posture row and its
   baseline's summary columns (read from the baseline's own partition).
2. :meth:`ReportStore.write` — *one* statement, its own transaction: it locks the unit's
   posture row and proceeds only if the row is as read (there or not, the same baseline)
   and the unit still active; then inserts the report, updates or inserts the posture row,
   moves the unit between the roll-up buckets (one upsert, rows in key order so that two
   writers never wait on each other in a cycle), opens the alerts that are not open yet
   and queues them for the partner's webhooks. When the guard refuses nothing is written
   and the caller reads again.

A third round trip happens only when a report's components differ from the baseline's
(the baseline document is read for the diff), or when no partition holds the month yet.
SQLite is in-process: the same steps statement by statement in one ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from handsetguard.server.db import Database
from handsetguard.server.errors import InvalidInputError, UnavailableError
from handsetguard.server.models import FleetGolden, FleetUnit, PostureReport
from handsetguard.server.services import report_partitions
from handsetguard.server.services.common import new_id
from handsetguard.server.services.credentials import LOOKUP_COLUMNS, LOOKUP_SQL
from handsetguard.server.services.dbapi import (
    UNIT_DEVICE_COLUMNS,
    Steps,
    pyformat,
    row_reader,
    run_steps,
)

__all__ = ["AlertRow", "Read", "ReportRow", "ReportStore", "UnitChange"]

_Attr = InstrumentedAttribute[Any]

UNIT_COLUMNS: tuple[_Attr, ...] = (
    *UNIT_DEVICE_COLUMNS,
    FleetUnit.baseline_report_id,
    FleetUnit.baseline_received_at,
    PostureReport.checks,
    PostureReport.os_patch,
    PostureReport.vendor_patch,
    PostureReport.components_sha256,
    PostureReport.threats,
    PostureReport.fingerprint,
    FleetGolden.golden_units,
    FleetGolden.expected_checks,
    FleetGolden.os_patch_min,
)
_UNIT_NAMES = (
    *(c.key for c in UNIT_COLUMNS[:10]),
    "b_checks",
    "b_os_patch",
    "b_vendor_patch",
    "b_components",
    "b_threats",
    "first_fingerprint",
    "golden_units",
    "golden_checks",
    "golden_patch_min",
)
_UNIT_SELECT = (
    "SELECT d.id, d.partner_id, d.serial, d.imei1, d.imei2, d.model_code, d.territory,"
    " d.status, u.baseline_report_id, u.baseline_received_at, b.checks, b.os_patch,"
    " b.vendor_patch, b.components_sha256, b.threats,"
    # The product the unit was first seen as (clones.py): its baseline's fingerprint, else
    # its first report's that had one (read only for a unit without a baseline).
    " coalesce(b.fingerprint, (SELECT f.fingerprint FROM fleet_reports f"
    " WHERE f.device_id = d.id AND f.fingerprint IS NOT NULL"
    " ORDER BY f.received_at LIMIT 1)),"
    " g.golden_units, g.expected_checks, g.os_patch_min,"
    " u.device_id IS NOT NULL AS has_state, b.document IS NOT NULL AS has_document"
    " FROM devices d LEFT JOIN fleet_units u ON u.device_id = d.id"
    # The model's golden baseline (services/golden.py).
    " LEFT JOIN fleet_golden g ON g.partner_id = d.partner_id AND g.model_code = d.model_code"
    " LEFT JOIN fleet_reports b ON b.id = u.baseline_report_id"
    " AND b.received_at = u.baseline_received_at"
)
_CREDENTIAL_COLUMNS = ", ".join(f"c.{c.key}" for c in LOOKUP_COLUMNS)
_READ = (
    # One statement, one row whatever is missing: the credential and the unit are each
    # there or not (the unit's columns all NULL when it is not).
    f"SELECT {_CREDENTIAL_COLUMNS}, c.id IS NOT NULL, unit.* FROM (SELECT 1 AS one) AS k"
    " LEFT JOIN credentials c ON c.id = :credential_id"
    " LEFT JOIN (UNIT) AS unit ON true"
)
_READS = {
    "credential": LOOKUP_SQL,
    "by_id": _READ.replace("UNIT", f"{_UNIT_SELECT} WHERE d.id = :device_id"),
    # Serials are unique per partner: the caller's own unit of that serial.
    "by_serial": _READ.replace(
        "UNIT",
        f"{_UNIT_SELECT} WHERE d.serial = :serial AND d.partner_id ="
        " (SELECT partner_id FROM credentials WHERE id = :credential_id)",
    ),
}
_DOCUMENT = "SELECT document FROM fleet_reports WHERE id = :id AND received_at = :received_at"

_REPORT_FIELDS = (
    "id, received_at, device_id, partner_id, credential_id, sender_role, input_kind,"
    " acquired_at, baseline, profile, level, score, gate_verdict, checks, os_patch,"
    " vendor_patch, fingerprint, threat_count, doc_sha256, doc_bytes, document,"
    " components_sha256, threats"
)
_REPORT_VALUES = (
    ":id, :now, :device_id, :partner_id, :credential_id, :sender_role, :input_kind,"
    " :acquired_at, :baseline, :profile, :level, :score, :gate_verdict, :checks, :os_patch,"
    " :vendor_patch, :fingerprint, :threat_count, :doc_sha256, :doc_bytes, :document,"
    " :components_sha256, :threats"
)
_UNIT_SET = (
    "baseline_report_id = CASE WHEN :baseline THEN :id ELSE baseline_report_id END,"
    " baseline_received_at = CASE WHEN :baseline THEN :now ELSE baseline_received_at END,"
    " last_report_id = :id, last_report_at = :now, last_seen_at = :now, stale_alerted = :false,"
    " level = :level, patch_month = :patch_month"
)
_UNIT_INSERT = (
    "INSERT INTO fleet_units (device_id, partner_id, model_code, territory,"
    " baseline_report_id, baseline_received_at, last_report_id, last_report_at, last_seen_at,"
    " level, patch_month, stale_alerted)"
)
_UNIT_INSERT_VALUES = (
    ":device_id, :partner_id, :model_code, :territory,"
    " CASE WHEN :baseline THEN :id END, CASE WHEN :baseline THEN :now END, :id, :now, :now,"
    " :level, :patch_month, :false"
)
_BUCKET = "partner_id, model_code, territory, level, patch_month"
_COUNT_UPSERT = f"ON CONFLICT ({_BUCKET}) DO UPDATE SET units = fleet_counts.units + excluded.units"
_DELIVERY = (
    "INSERT INTO fleet_deliveries (id, webhook_id, alert_id, event, status, attempts,"
    " created_at, next_attempt_at)"
)

_PG_REPORT_VALUES = _REPORT_VALUES.replace(":checks", ":checks::json").replace(
    ":threats", ":threats::json"
)
_PG_WRITE = f"""
WITH st AS (
    SELECT partner_id, model_code, territory, level, coalesce(patch_month, 'unknown') AS pm,
        baseline_report_id
    FROM fleet_units WHERE device_id = :device_id FOR UPDATE
), ok AS (
    SELECT 1 AS go WHERE (SELECT count(*) FROM st) = :had_state
        AND NOT EXISTS (SELECT 1 FROM st WHERE baseline_report_id IS DISTINCT FROM :seen)
        AND EXISTS (SELECT 1 FROM devices WHERE id = :device_id AND status = 'active')
), r AS (
    INSERT INTO fleet_reports ({_REPORT_FIELDS})
    SELECT {_PG_REPORT_VALUES} FROM ok
), u AS (
    UPDATE fleet_units SET {_UNIT_SET} FROM ok WHERE fleet_units.device_id = :device_id
), n AS (
    {_UNIT_INSERT} SELECT {_UNIT_INSERT_VALUES} FROM ok WHERE :had_state = 0
), c AS (
    INSERT INTO fleet_counts ({_BUCKET}, units)
    SELECT m.partner_id, m.model_code, m.territory, m.level, m.pm, sum(m.d)
    FROM (
        SELECT partner_id, model_code, territory, level, pm, -1 AS d FROM st
        UNION ALL SELECT :partner_id, :model_code, :territory, :level, :bucket_month, 1
    ) AS m, ok
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(m.d) <> 0 ORDER BY 1, 2, 3, 4, 5
    {_COUNT_UPSERT}
), a AS (
    INSERT INTO fleet_alerts (id, device_id, partner_id, kind, reason, detail, raised_at,
        status, open_key)
    SELECT t.id, :device_id, :partner_id, t.kind, t.reason, t.detail::json, :now, 'open',
        :device_id::text || '|' || t.kind || '|' || t.reason
    FROM ok, unnest(:a_id::text[], :a_kind::text[], :a_reason::text[], :a_detail::text[])
        AS t(id, kind, reason, detail)
    ON CONFLICT (open_key) DO NOTHING
    RETURNING id
), w AS (
    {_DELIVERY}
    SELECT gen_random_uuid()::text, h.id, a.id, e.event::json, 'pending', 0, :now, :now
    FROM a JOIN unnest(:a_id::text[], :a_event::text[]) AS e(id, event) ON e.id = a.id
    JOIN fleet_webhooks h ON h.partner_id = :partner_id AND h.active
)
SELECT (SELECT count(*) FROM ok), array(SELECT id FROM a)
"""

_SQLITE = {
    "state": "SELECT partner_id, model_code, territory, level,"
    " coalesce(patch_month, 'unknown'), baseline_report_id FROM fleet_units"
    " WHERE device_id = :device_id",
    "active": "SELECT 1 FROM devices WHERE id = :device_id AND status = 'active'",
    "report": f"INSERT INTO fleet_reports ({_REPORT_FIELDS}) VALUES ({_REPORT_VALUES})",
    "update": f"UPDATE fleet_units SET {_UNIT_SET} WHERE device_id = :device_id",
    "insert": f"{_UNIT_INSERT} VALUES ({_UNIT_INSERT_VALUES})",
    "count": f"INSERT INTO fleet_counts ({_BUCKET}, units) VALUES (?, ?, ?, ?, ?, ?)"
    f" {_COUNT_UPSERT}",
    "alert": "INSERT INTO fleet_alerts (id, device_id, partner_id, kind, reason, detail,"
    " raised_at, status, open_key) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?)"
    " ON CONFLICT (open_key) DO NOTHING RETURNING id",
    "hooks": "SELECT id FROM fleet_webhooks WHERE partner_id = ? AND active",
    "delivery": f"{_DELIVERY} VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
}


@dataclass(frozen=True, slots=True)
class Read:
    credential: dict[str, Any] | None
    unit: dict[str, Any] | None
    """UNIT_COLUMNS' keys (the baseline's prefixed ``b_``), ``first_fingerprint``, the
    model's golden baseline (``golden_*``), ``has_state``, ``has_document``."""


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: str
    kind: str
    reason: str
    detail: dict[str, Any]
    event: dict[str, Any]
    """The webhook body, queued only if the alert is opened (not already open)."""


@dataclass(frozen=True, slots=True)
class ReportRow:
    """Every column of the new report (PostureReport), decided before the write."""

    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UnitChange:
    device_id: str
    partner_id: str
    model_code: str
    territory: str
    had_state: bool
    seen_baseline: str | None
    level: str
    patch_month: str | None


class ReportStore:
    """The hot path's statements for one :class:`Database` (its dialect decides which)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.write_engine.dialect
        self.dbapi = dialect.loaded_dbapi
        unit_types = [*UNIT_COLUMNS]
        self._credential = row_reader(dialect, LOOKUP_COLUMNS, [c.key for c in LOOKUP_COLUMNS])
        self._unit = row_reader(dialect, unit_types, _UNIT_NAMES)
        self._stamp = PostureReport.received_at.type.dialect_impl(dialect).bind_processor(dialect)
        convert = str if db.sqlite else pyformat
        statements = {**_READS, "document": _DOCUMENT, "write": _PG_WRITE}
        self.sql = {name: convert(sql) for name, sql in statements.items()}

    def _ts(self, value: datetime | None) -> Any:
        return value if value is None or self._stamp is None else self._stamp(value)

    @contextmanager
    def driver_errors(self) -> Iterator[None]:
        try:
            yield
        except self.dbapi.OperationalError as exc:
            raise UnavailableError(
                "database_unavailable", f"the database is unavailable ({type(exc).__name__}); retry"
            ) from None
        except (self.dbapi.DataError, UnicodeEncodeError):
            # A value from the diff of the documents that no text column can hold.
            raise InvalidInputError(
                "invalid_value", "a value of the report cannot be stored (control characters?)"
            ) from None

    def read(self, credential_id: str, device_id: str | None, serial: str | None) -> Read:
        with self.driver_errors(), self.db.dbapi() as conn:
            steps = self.read_steps(credential_id, device_id, serial)
            return run_steps(conn, self.sql, steps, pipeline=False)

    def read_steps(
        self, credential_id: str, device_id: str | None, serial: str | None
    ) -> Steps[Read]:
        """One statement, no lock: the credential, and the unit by id or by serial."""
        params = {"credential_id": credential_id, "device_id": device_id, "serial": serial}
        if device_id is None and serial is None:
            (result,) = yield [("credential", params)]
            credential = next(iter(result.rows), None)
            return Read(None if credential is None else self._credential(credential), None)
        (result,) = yield [("by_id" if device_id is not None else "by_serial", params)]
        row = result.rows[0]
        size = len(LOOKUP_COLUMNS)
        credential, found = row[:size] if row[size] else None, row[size + 1 :]
        unit = None
        if found[0] is not None:  # the unit's id
            unit = self._unit(found[: len(_UNIT_NAMES)])
            unit["has_state"], unit["has_document"] = bool(found[-2]), bool(found[-1])
        return Read(None if credential is None else self._credential(credential), unit)

    def baseline_document(self, report_id: str, received_at: datetime) -> bytes | None:
        with self.driver_errors(), self.db.dbapi() as conn:
            steps = self.document_steps(report_id, received_at)
            return run_steps(conn, self.sql, steps, pipeline=False)

    def document_steps(self, report_id: str, received_at: datetime) -> Steps[bytes | None]:
        params = {"id": report_id, "received_at": self._ts(received_at)}
        (result,) = yield [("document", params)]
        row = next(iter(result.rows), None)
        return None if row is None or row[0] is None else bytes(row[0])

    def write(
        self,
        report: ReportRow,
        unit: UnitChange,
        alerts: list[AlertRow],
        now: datetime,
        *,
        wait: bool = True,
    ) -> list[str] | None:
        """Store one report; the ids of the alerts it opened, or None (nothing written)
        when the unit's posture row is no longer as read, or the unit was revoked.
        ``wait=False`` (SQLite): ``db.WriterBusy`` at once, nothing done, if another writer
        has the turn."""
        params = self.params(report, unit, now)
        with self.driver_errors():
            if self.db.sqlite:
                return self._write_sqlite(params, unit, alerts, wait)
            try:
                with self.db.dbapi(write=True) as conn:
                    return run_steps(
                        conn, self.sql, self.pg_write_steps(params, alerts), pipeline=True
                    )
            except self.dbapi.IntegrityError as exc:
                if not self.missing_partition(exc):
                    return None
                self.ensure_partitions(now)
                with self.db.dbapi(write=True) as conn:
                    return run_steps(
                        conn, self.sql, self.pg_write_steps(params, alerts), pipeline=True
                    )

    def missing_partition(self, exc: Exception) -> bool:
        """A PostgreSQL write's IntegrityError: True when no partition holds the month yet
        (create it, write again), False for a first report of the unit written at once by
        another request (nothing written: read again); anything else is raised."""
        if isinstance(exc, self.dbapi.errors.CheckViolation):
            if report_partitions.is_missing_partition(exc):
                return True
        elif getattr(exc, "sqlstate", None) == "23505":
            return False
        raise exc

    def ensure_partitions(self, now: datetime) -> None:
        with self.db.dbapi(write=True) as conn:
            report_partitions.ensure_months(conn, now)

    def params(self, report: ReportRow, unit: UnitChange, now: datetime) -> dict[str, Any]:
        values = report.values
        return {
            **values,
            "now": self._ts(now),
            "acquired_at": self._ts(values["acquired_at"]),
            "checks": json.dumps(values["checks"]),
            "threats": json.dumps(values["threats"]),
            "device_id": unit.device_id,
            "partner_id": unit.partner_id,
            "model_code": unit.model_code,
            "territory": unit.territory,
            "had_state": int(unit.had_state),
            "seen": unit.seen_baseline,
            "patch_month": unit.patch_month,
            "bucket_month": unit.patch_month or "unknown",
            "false": False,
        }

    def pg_write_steps(
        self, params: dict[str, Any], alerts: list[AlertRow]
    ) -> Steps[list[str] | None]:
        """PostgreSQL: the one guarded statement (module docstring)."""
        params = {
            **params,
            "a_id": [a.id for a in alerts],
            "a_kind": [a.kind for a in alerts],
            "a_reason": [a.reason for a in alerts],
            "a_detail": [json.dumps(a.detail) for a in alerts],
            "a_event": [json.dumps(a.event) for a in alerts],
        }
        (result,) = yield [("write", params)]
        went, opened = result.rows[0]
        return list(opened) if went else None

    def _write_sqlite(
        self, params: dict[str, Any], unit: UnitChange, alerts: list[AlertRow], wait: bool
    ) -> list[str] | None:
        sql, opened = _SQLITE, []
        with self.db.dbapi(write=True, wait=wait) as conn:
            state = conn.execute(sql["state"], params).fetchone()
            if (state is not None) != unit.had_state or (
                state is not None and state[5] != unit.seen_baseline
            ):
                return None
            if conn.execute(sql["active"], params).fetchone() is None:
                return None
            conn.execute(sql["report"], params)
            conn.execute(sql["update" if unit.had_state else "insert"], params)
            after = (
                unit.partner_id,
                unit.model_code,
                unit.territory,
                params["level"],
                params["bucket_month"],
            )
            before = tuple(state[:5]) if state is not None else None
            if before != after:
                moves = sorted([(after, 1)] + ([(before, -1)] if before else []))
                conn.executemany(sql["count"], [(*key, delta) for key, delta in moves])
            hooks: list[str] | None = None
            for alert in alerts:
                key = f"{unit.device_id}|{alert.kind}|{alert.reason}"
                row = (alert.id, unit.device_id, unit.partner_id, alert.kind, alert.reason)
                added = conn.execute(
                    sql["alert"], (*row, json.dumps(alert.detail), params["now"], key)
                ).fetchone()
                if added is None:
                    continue
                opened.append(alert.id)
                if hooks is None:
                    hooks = [h for (h,) in conn.execute(sql["hooks"], (unit.partner_id,))]
                event, now = json.dumps(alert.event), params["now"]
                conn.executemany(
                    sql["delivery"], [(new_id(), h, alert.id, event, now, now) for h in hooks]
                )
        return opened
