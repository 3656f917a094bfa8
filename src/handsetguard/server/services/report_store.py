"""The report ingestion hot path's database statements, written per dialect and run on the
bare DBAPI connection (as the activation store's: services/activation_store.py).

PostgreSQL, two round trips per report:

1. :meth:`ReportStore.read` — one statement, no lock: the credential, and the unit (by id,
   or by serial within the credential's partner) joined with its posture row and its
   baseline's summary (``fleet_baselines``, by the unit's key: no report partition read).
2. :meth:`ReportStore.write` — *one* statement, its own transaction: it locks the unit's
   posture row and proceeds only if the row is as read (there or not, the same baseline)
   and the unit still active; then inserts the report, updates or inserts the posture row,
   keeps a baseline's summary, moves the unit between the roll-up buckets (one upsert, rows
   in key order so that two writers never wait on each other in a cycle), opens the alerts
   that are not open yet and queues them for the partner's webhooks. When the guard refuses
   nothing is written and the caller reads again. The statement comes in variants with
   only the parts the case needs (report_sql.PG_WRITES).

A third round trip happens only when a report's components differ from the baseline's
(the baseline document is read for the diff), or when no partition holds the month yet.
SQLite is in-process: the same steps statement by statement in one ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from handsetguard.server.db import Database
from handsetguard.server.errors import InvalidInputError, UnavailableError
from handsetguard.server.models import PostureReport
from handsetguard.server.services import report_partitions
from handsetguard.server.services.alert_sql import OpenAlert, alert_params, open_alerts_sqlite
from handsetguard.server.services.credentials import LOOKUP_COLUMNS
from handsetguard.server.services.dbapi import (
    Steps,
    pyformat,
    row_reader,
    run_steps,
    variant_name,
)
from handsetguard.server.services.fleet_state import bucket_moves
from handsetguard.server.services.report_sql import (
    DOCUMENT,
    PG_WRITES,
    READS,
    SQLITE,
    UNIT_COLUMNS,
    UNIT_NAMES,
    WRITE_FLAGS,
)

__all__ = ["Read", "ReportRow", "ReportStore", "UnitChange"]


@dataclass(frozen=True, slots=True)
class Read:
    credential: dict[str, Any] | None
    unit: dict[str, Any] | None
    """UNIT_COLUMNS' keys (the baseline's prefixed ``b_``), ``first_fingerprint``, the
    model's golden baseline (``golden_*``), ``has_state``, ``has_document``."""


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
        self._unit = row_reader(dialect, unit_types, UNIT_NAMES)
        self._stamp = PostureReport.received_at.type.dialect_impl(dialect).bind_processor(dialect)
        convert = str if db.sqlite else pyformat
        statements = {**READS, "document": DOCUMENT, **PG_WRITES}
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
            unit = self._unit(found[: len(UNIT_NAMES)])
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
        alerts: list[OpenAlert],
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
            # orjson: a fifth of the standard library's time; the columns are JSON either way
            "checks": orjson.dumps(values["checks"]).decode(),
            "threats": orjson.dumps(values["threats"]).decode(),
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
        self, params: dict[str, Any], alerts: list[OpenAlert]
    ) -> Steps[list[str] | None]:
        """PostgreSQL: the one guarded statement (module docstring)."""
        if alerts:
            params = {**params, **alert_params(alerts)}
        case = (not params["had_state"], bool(alerts), bool(params["baseline"]))
        (result,) = yield [(variant_name(WRITE_FLAGS, case), params)]
        went, opened = result.rows[0]
        return list(opened) if went else None

    def _write_sqlite(
        self, params: dict[str, Any], unit: UnitChange, alerts: list[OpenAlert], wait: bool
    ) -> list[str] | None:
        sql = SQLITE
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
            if params["baseline"]:
                conn.execute(sql["baseline"], params)
            after = (
                unit.partner_id,
                unit.model_code,
                unit.territory,
                params["level"],
                params["bucket_month"],
            )
            before = tuple(state[:5]) if state is not None else None
            moves = bucket_moves(before, after)
            conn.executemany(sql["count"], [(*key, delta) for key, delta in moves])
            opened = open_alerts_sqlite(conn, alerts, params["now"])
        return opened
