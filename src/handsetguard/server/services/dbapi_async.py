"""psycopg's asyncio connections to PostgreSQL for the hot paths that run on the server's
event loop (activations, reports, check-ins): one small pool per app, opened by its lifespan.

A hot path awaits its round trips here instead of holding a worker thread through them: a
thread hop costs more CPU than the request's database work, and under one GIL the threads
only take turns. The connections are set up as the synchronous hot-path engine's are
(``db.HOT_PATH_OPTIONS``: autocommit, UTC, generic plans).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from handsetguard.server.db import HOT_PATH_OPTIONS
from handsetguard.server.services import libpq_async
from handsetguard.server.services.dbapi import Result, Steps
from handsetguard.server.services.libpq_async import CONNECTION_BAD, TRANSACTION_IDLE, TUPLES_OK

__all__ = ["AsyncPg", "run_async"]

T = TypeVar("T")


class AsyncPg:
    """At most ``size`` connections, idle ones reused, a new one opened on demand (so an
    unreachable server fails the request at once, as the threaded path does), one dropped
    by the server discarding the idle ones too. It serves only the loop it was opened on;
    anywhere else the routes use their threaded stores."""

    def __init__(self, url: str, size: int) -> None:
        from sqlalchemy.engine import make_url

        self.conninfo = make_url(url).set(drivername="postgresql")
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[Any] = []
        self._slots = asyncio.Semaphore(size)

    async def open(self) -> None:
        self.loop, self._slots = asyncio.get_running_loop(), asyncio.Semaphore(self.size)

    async def close(self) -> None:
        self.loop = None
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()

    def serves_this_loop(self) -> bool:
        try:
            return self.loop is not None and asyncio.get_running_loop() is self.loop
        except RuntimeError:  # no loop running: a worker thread
            return False

    async def acquire(self) -> Any:
        """An idle connection, or a new one, once one of the ``size`` slots is free; give it
        back with :meth:`release`."""
        await self._slots.acquire()
        try:
            if self._idle:
                return self._idle.pop()
            from psycopg import AsyncConnection

            url = self.conninfo.render_as_string(hide_password=False)
            return await AsyncConnection.connect(url, autocommit=True, options=HOT_PATH_OPTIONS)
        except BaseException:
            self._slots.release()
            raise

    async def release(self, conn: Any) -> None:
        """``conn`` back to the idle ones if it is idle; closed if it is in the middle of
        something; if the server dropped it (a restart drops the idle ones too), closed with
        every idle one. Read off libpq's own status: psycopg's ``info`` is a new object each
        time it is asked."""
        try:
            pgconn = conn.pgconn
            if pgconn.status == CONNECTION_BAD:
                stale, self._idle = self._idle, []
                for other in [conn, *stale]:
                    await other.close()
            elif pgconn.transaction_status == TRANSACTION_IDLE:
                self._idle.append(conn)
            else:
                await conn.close()
        finally:
            self._slots.release()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        conn = await self.acquire()
        try:
            yield conn
        finally:
            await self.release(conn)


async def run_async(conn: Any, sql: dict[str, str], steps: Steps[T]) -> T:
    """Drive a store's statement generator (see :func:`dbapi.run_steps`) on an asyncio
    connection: each batch it yields is one round trip (pipelined; inside the caller's own
    pipeline, a transaction's BEGIN and COMMIT ride with its first and last batch)."""
    try:
        batch = next(steps)
        while True:
            if len(batch) == 1 and not conn.pgconn.pipeline_status:  # not in a pipeline
                results = [await libpq_async.execute(conn, sql[batch[0][0]], batch[0][1])]
            else:
                async with conn.pipeline() as pipeline:
                    cursors = [await conn.execute(sql[name], params) for name, params in batch]
                    await pipeline.sync()
                results = [
                    Result(c.rowcount, await c.fetchall() if _has_rows(c) else []) for c in cursors
                ]
            batch = steps.send(results)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _has_rows(cursor: Any) -> bool:
    """The statement returned rows (a SELECT, a RETURNING), read off the result itself:
    psycopg's ``description`` builds a Column for every field each time it is asked."""
    result = cursor.pgresult
    return result is not None and result.status == TUPLES_OK
