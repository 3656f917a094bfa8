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
from handsetguard.server.services.checkin_store import (
    ATTEMPTS,
    Again,
    CheckinRead,
    CheckinStore,
    Decide,
    NewCheckin,
    contended,
)
from handsetguard.server.services.dbapi import Steps
from handsetguard.server.services.dbapi_async import AsyncPg, run_async
from handsetguard.server.services.report_store import (
    AlertRow,
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


class LoopReportStore:
    """:class:`ReportStore` for the event loop: ``pool`` on PostgreSQL, None on SQLite."""

    def __init__(self, store: ReportStore, pool: AsyncPg | None) -> None:
        self.store, self.pool = store, pool

    async def _run(self, steps: Steps[T]) -> T:
        assert self.pool is not None
        with self.store.driver_errors():
            async with self.pool.connection() as conn:
                return await run_async(conn, self.store.sql, steps)

    async def read(self, credential_id: str, device_id: str | None, serial: str | None) -> Read:
        if self.pool is None:
            return self.store.read(credential_id, device_id, serial)
        return await self._run(self.store.read_steps(credential_id, device_id, serial))

    async def baseline_document(self, report_id: str, received_at: datetime) -> bytes | None:
        if self.pool is None:
            return self.store.baseline_document(report_id, received_at)
        return await self._run(self.store.document_steps(report_id, received_at))

    async def write(
        self, report: ReportRow, unit: UnitChange, alerts: list[AlertRow], now: datetime
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


class LoopCheckinStore:
    """:class:`CheckinStore` for the event loop: ``pool`` on PostgreSQL, None on SQLite."""

    def __init__(self, store: CheckinStore, pool: AsyncPg | None) -> None:
        self.store, self.pool = store, pool

    async def read(self, credential_id: str, device_id: str, challenge: str) -> CheckinRead:
        store = self.store
        if self.pool is None:
            return store.read(credential_id, device_id, challenge)
        with store.driver_errors():
            async with self.pool.connection() as conn:
                return await run_async(
                    conn, store.sql, store.read_steps(credential_id, device_id, challenge)
                )

    async def write(self, checkin: NewCheckin, now: datetime, decide: Decide) -> list[str] | None:
        store = self.store
        if self.pool is None:
            return await _sqlite_write(store.write, checkin, now, decide)
        params = store.params(checkin, now)
        with store.driver_errors():
            for _ in range(ATTEMPTS):
                try:
                    # BEGIN rides with the first batch, COMMIT with the pipeline's end.
                    async with (
                        self.pool.connection() as conn,
                        conn.pipeline(),
                        conn.transaction(),
                    ):
                        steps = store.write_steps(checkin, params, decide)
                        return await run_async(conn, store.sql, steps)
                except Again:  # rolled back: a first report or check-in made the row
                    continue
        raise contended()
