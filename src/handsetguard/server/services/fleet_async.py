"""The fleet's hot paths (``POST /v1/reports``, ``/v1/checkins``) on the server's event loop.

PostgreSQL: the report and check-in stores' statements (their ``*_steps`` generators, the same
SQL, parameters and conversions as the threaded paths) awaited on psycopg's asyncio
connections. SQLite is in-process: the store's own methods run on the loop, except a write
whose turn is taken (another writer, in this process or another, has it): that one goes to a
worker thread rather than block the loop while it waits.

Why not a worker thread per request: the CPU work of a report (≈1–2 ms: JSON, schema,
compression) and of a check-in (the chain's verification) runs under one GIL either way, and
handing it to a thread and back costs about as much CPU again as the database work
(measured with ``benchmarks/bench_fleet.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from anyio import to_thread

from handsetguard.server.db import WriterBusy
from handsetguard.server.services.alert_sql import OpenAlert
from handsetguard.server.services.checkin_store import (
    CheckinRead,
    CheckinStore,
    NewCheckin,
    Posture,
    Stale,
)
from handsetguard.server.services.dbapi import Steps
from handsetguard.server.services.dbapi_async import AsyncPg, run_async
from handsetguard.server.services.report_store import (
    Read,
    ReportRow,
    ReportStore,
    UnitChange,
)

__all__ = ["LoopCheckinStore", "LoopReportStore"]

T = TypeVar("T")


async def _sqlite_write(write: Callable[..., T], *args: Any) -> T:
    """A SQLite write on the loop if the writers' turn is free at once, else in a thread."""
    try:
        return write(*args, wait=False)
    except WriterBusy:
        return await to_thread.run_sync(write, *args)


class _OnLoop:
    """A store's statement generators awaited on a connection of ``pool``."""

    def __init__(self, store: ReportStore | CheckinStore, pool: AsyncPg | None) -> None:
        self.pool = pool
        self._errors, self._sql = store.driver_errors, store.sql

    async def _run(self, steps: Steps[T]) -> T:
        pool = self.pool
        assert pool is not None
        with self._errors():
            conn = await pool.acquire()
            try:
                return await run_async(conn, self._sql, steps)
            finally:
                await pool.release(conn)


class LoopReportStore(_OnLoop):
    """:class:`ReportStore` for the event loop: ``pool`` on PostgreSQL, None on SQLite."""

    def __init__(self, store: ReportStore, pool: AsyncPg | None) -> None:
        super().__init__(store, pool)
        self.store = store

    async def read(self, credential_id: str, device_id: str | None, serial: str | None) -> Read:
        if self.pool is None:
            return self.store.read(credential_id, device_id, serial)
        return await self._run(self.store.read_steps(credential_id, device_id, serial))

    async def baseline_document(self, report_id: str, received_at: datetime) -> bytes | None:
        if self.pool is None:
            return self.store.baseline_document(report_id, received_at)
        return await self._run(self.store.document_steps(report_id, received_at))

    async def write(
        self, report: ReportRow, unit: UnitChange, alerts: list[OpenAlert], now: datetime
    ) -> list[str] | None:
        store = self.store
        if self.pool is None:
            return await _sqlite_write(store.write, report, unit, alerts, now)
        params = store.params(report, unit, now)
        try:
            return await self._run(store.pg_write_steps(params, alerts))
        except store.dbapi.IntegrityError as exc:
            if not store.missing_partition(exc):
                return None
            with store.driver_errors():  # as every statement of the store's
                await to_thread.run_sync(store.ensure_partitions, now)
            return await self._run(store.pg_write_steps(params, alerts))


class LoopCheckinStore(_OnLoop):
    """:class:`CheckinStore` for the event loop: ``pool`` on PostgreSQL, None on SQLite."""

    def __init__(self, store: CheckinStore, pool: AsyncPg | None) -> None:
        super().__init__(store, pool)
        self.store = store

    async def read(self, credential_id: str, device_id: str, challenge: str) -> CheckinRead:
        if self.pool is None:
            return self.store.read(credential_id, device_id, challenge)
        return await self._run(self.store.read_steps(credential_id, device_id, challenge))

    async def owner(self, imei: str) -> dict[str, Any] | None:
        if self.pool is None:
            return self.store.owner(imei)
        return await self._run(self.store.owner_steps(imei))

    async def write(
        self, checkin: NewCheckin, seen: Posture | None, alerts: list[OpenAlert], now: datetime
    ) -> list[str] | Stale | None:
        store = self.store
        if self.pool is None:
            return await _sqlite_write(store.write, checkin, seen, alerts, now)
        params = store.params(checkin, seen, now)
        try:
            return await self._run(store.pg_write_steps(params, alerts))
        except store.dbapi.IntegrityError as exc:
            return store.stale(exc)
