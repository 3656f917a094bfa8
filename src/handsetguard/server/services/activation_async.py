"""The activation store's PostgreSQL statements on psycopg's asyncio connections, for the
server's event loop: the SQL, parameters and conversions are
:class:`~handsetguard.server.services.activation_store.Store`'s."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from handsetguard.server.services.activation_store import (
    NonceLost,
    Refused,
    Snapshot,
    Store,
    Unit,
    Written,
    nonce_params,
)

__all__ = ["AsyncPgStore"]


class AsyncPgStore:
    """:class:`Store`'s PostgreSQL statements on psycopg's asyncio connections, so that an
    activation needs no worker thread: the handler awaits its two round trips on the
    server's event loop. It serves only the loop it was opened on (the app's lifespan);
    anywhere else the route uses the threaded :class:`Store`.

    Its pool is deliberately small: at most ``size`` connections, idle ones reused, a new
    one opened on demand (so an unreachable server fails the request at once with 503, as
    the threaded path does), one dropped by the server discarding the idle ones too.
    """

    def __init__(self, store: Store, size: int) -> None:
        from sqlalchemy.engine import make_url

        self.store, self.size = store, size
        self.conninfo = make_url(store.db.url).set(drivername="postgresql")
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
        return self.loop is not None and asyncio.get_running_loop() is self.loop

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        from psycopg import AsyncConnection, pq

        async with self._slots:
            if self._idle:
                conn = self._idle.pop()
            else:
                url = self.conninfo.render_as_string(hide_password=False)
                conn = await AsyncConnection.connect(url, autocommit=True)
            try:
                yield conn
            finally:
                if conn.broken:  # the server dropped it: a restart drops the idle ones too
                    stale, self._idle = self._idle, []
                    for other in [conn, *stale]:
                        await other.close()
                elif conn.info.transaction_status == pq.TransactionStatus.IDLE:
                    self._idle.append(conn)
                else:
                    await conn.close()

    async def _fetch(self, names: list[str], params: dict[str, Any]) -> dict[str, list[Any]]:
        async with self._connection() as conn:
            async with conn.pipeline():
                cursors = {n: await conn.execute(self.store._reads[n], params) for n in names}
            return {n: await cur.fetchall() for n, cur in cursors.items()}

    async def read(
        self,
        credential_id: str,
        serial: str,
        imeis: tuple[str, str | None],
        nonce: str | None,
        meid: str | None = None,
    ) -> Snapshot:
        store = self.store
        names, params = store._read_request(credential_id, serial, imeis, nonce, meid)
        with store._driver_errors():
            try:
                rows = await self._fetch(names, params)
            except store.dbapi.OperationalError:
                rows = await self._fetch(names, params)  # see Store.read
        return store._snapshot(rows)

    async def agreement_state(self, agreement_id: str) -> tuple[str, int] | None:
        with self.store._driver_errors():
            async with self._connection() as conn:
                cursor = await conn.execute(
                    self.store._agreement_state, {"agreement_id": agreement_id}
                )
                row = await cursor.fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    async def write(self, unit: Unit) -> Written | None:
        """As :meth:`Store.write`."""
        store = self.store
        params = store._pg_params(unit)
        with store._driver_errors():
            try:
                async with self._connection() as conn:
                    if unit.nonce is None:
                        row = await (await conn.execute(store._pg_write, params)).fetchone()
                    else:
                        async with conn.transaction():
                            taken = await conn.execute(
                                store._consume_nonce, nonce_params(unit, params["now"])
                            )
                            if taken.rowcount != 1:
                                raise NonceLost
                            row = await (await conn.execute(store._pg_write, params)).fetchone()
                            if row is None:
                                raise Refused  # rolls the nonce's consumption back
            except Refused:
                return None
        return None if row is None else Written(int(row[0]), bool(row[1]))
