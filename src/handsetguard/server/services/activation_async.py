"""The activation store's PostgreSQL statements on psycopg's asyncio connections, for the
server's event loop: the SQL, parameters and conversions are
:class:`~handsetguard.server.services.activation_store.Store`'s."""

from __future__ import annotations

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
from handsetguard.server.services.dbapi_async import AsyncPg

__all__ = ["AsyncPgStore"]


class AsyncPgStore:
    """:class:`Store`'s PostgreSQL statements on psycopg's asyncio connections (``pool``),
    so that an activation needs no worker thread: the handler awaits its two round trips on
    the server's event loop."""

    def __init__(self, store: Store, pool: AsyncPg) -> None:
        self.store, self.pool = store, pool
        self._connection = pool.connection

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
