"""services/libpq_async.py: a hot-path statement sent to libpq directly gives what psycopg's
cursor gives (values, row counts), raises the server's errors as psycopg raises them, leaves
the connection usable after one, and a connection the server drops is left broken and not
pooled again. PostgreSQL only: the module is the asyncio PostgreSQL path."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from handsetguard.server.db import HOT_PATH_OPTIONS
from handsetguard.server.services import libpq_async
from handsetguard.server.services.dbapi import pyformat
from handsetguard.server.services.dbapi_async import AsyncPg
from tests.server.conftest import PG_ENV, PG_SKIP

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=PG_SKIP)


def _libpq_url() -> str:
    from sqlalchemy.engine import make_url

    url = make_url(os.environ[PG_ENV]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _on_connection(test: Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]]) -> None:
    async def run() -> None:
        conn = await psycopg.AsyncConnection.connect(
            _libpq_url(), autocommit=True, options=HOT_PATH_OPTIONS
        )
        async with conn:
            await test(conn)

    asyncio.run(run())


_EVERY_KIND = pyformat(
    "SELECT :text::text, :number::bigint, :big::numeric, :flag::boolean, :blob::bytea,"
    " :at::timestamptz, :doc::json, :names::text[], :missing::text, '100%%' AS literal,"
    " :text || '!' AS again"
)


def test_values_and_row_counts_are_those_of_psycopgs_cursor() -> None:
    params = {
        "text": "ünïcode ' \" \\ text",
        "number": 2**40,
        "big": 10**30,
        "flag": True,
        "blob": bytes(range(256)),
        "at": datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
        "doc": '{"a": [1, 2]}',
        "names": ["a", "b,c", 'd"e'],
        "missing": None,
    }

    async def test(conn: psycopg.AsyncConnection[Any]) -> None:
        cursor = await conn.execute(_EVERY_KIND, params)
        expected = await cursor.fetchall()
        for _ in range(2):  # prepared on the first, reused on the second
            got = await libpq_async.execute(conn, _EVERY_KIND, params)
            assert got.rows == expected and got.rowcount == cursor.rowcount == 1
        assert expected[0][9] == "100%" and expected[0][10].endswith("text!")
        await conn.execute("CREATE TEMP TABLE t (id int PRIMARY KEY, v text)")
        insert = pyformat("INSERT INTO t SELECT g, :v FROM generate_series(1, :n) g")
        done = await libpq_async.execute(conn, insert, {"v": "x", "n": 3})
        assert (done.rowcount, done.rows) == (3, [])
        returning = pyformat("UPDATE t SET v = :v WHERE id >= :low RETURNING id")
        done = await libpq_async.execute(conn, returning, {"v": "y", "low": 2})
        assert (done.rowcount, sorted(done.rows)) == (2, [(2,), (3,)])

    _on_connection(test)


def test_parameters_of_other_types_are_prepared_apart() -> None:
    """psycopg dumps a small int as int2 and a large one as int8: the statement is prepared
    once per set of parameter types, and each gives the right answer."""
    query = pyformat("SELECT :n + 1")

    async def test(conn: psycopg.AsyncConnection[Any]) -> None:
        for n in (1, 2**40, 1, None):
            got = await libpq_async.execute(conn, query, {"n": n})
            assert got.rows == [(None if n is None else n + 1,)]

    _on_connection(test)


def test_statements_dropped_on_the_server_are_prepared_again() -> None:
    """DEALLOCATE ALL on the connection (DISCARD ALL does it too): the next run is refused at its
    bind, before it runs anything; it is prepared again under a new name and runs once."""
    insert = pyformat("INSERT INTO d VALUES (:id) RETURNING id")

    async def test(conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute("CREATE TEMP TABLE d (id int)")
        assert (await libpq_async.execute(conn, insert, {"id": 1})).rows == [(1,)]
        for drop in ("DEALLOCATE ALL", "DEALLOCATE ALL", "DEALLOCATE ALL"):
            await conn.execute(drop)
            assert (await libpq_async.execute(conn, insert, {"id": 2})).rows == [(2,)]
        cursor = await conn.execute("SELECT id, count(*) FROM d GROUP BY id ORDER BY id")
        assert await cursor.fetchall() == [(1, 1), (2, 3)]
        cursor = await conn.execute("SELECT count(*) FROM pg_prepared_statements")
        assert await cursor.fetchall() == [(1,)]

    _on_connection(test)


def test_a_server_error_is_psycopgs_and_the_connection_stays_usable() -> None:
    async def test(conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.execute("CREATE TEMP TABLE u (id int PRIMARY KEY)")
        insert = pyformat("INSERT INTO u VALUES (:id)")
        await libpq_async.execute(conn, insert, {"id": 1})
        with pytest.raises(psycopg.errors.UniqueViolation) as raised:
            await libpq_async.execute(conn, insert, {"id": 1})
        assert raised.value.sqlstate == "23505"
        with pytest.raises(psycopg.errors.DataError):  # a bad value, before the statement
            await libpq_async.execute(conn, pyformat("SELECT :x::int"), {"x": "seven"})
        with pytest.raises(psycopg.errors.UndefinedTable):  # refused when prepared
            await libpq_async.execute(conn, pyformat("SELECT * FROM nowhere WHERE :a"), {"a": 1})
        assert conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
        got = await libpq_async.execute(conn, pyformat("SELECT count(*) FROM u"), {})
        assert got.rows == [(1,)]

    _on_connection(test)


def test_a_connection_the_server_drops_is_broken_and_not_pooled_again() -> None:
    async def run() -> None:
        pool = AsyncPg(os.environ[PG_ENV], size=2)
        await pool.open()
        first, second = await pool.acquire(), await pool.acquire()
        pid = first.pgconn.backend_pid
        await pool.release(second)
        async with await psycopg.AsyncConnection.connect(_libpq_url(), autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):
            for _ in range(50):  # the termination reaches the socket within a few tries
                await libpq_async.execute(first, pyformat("SELECT :a"), {"a": 1})
                await asyncio.sleep(0.05)
        assert first.broken
        await pool.release(first)  # closed, and the idle one with it (a restart drops all)
        assert first.closed and second.closed
        fresh = await pool.acquire()
        assert fresh is not first and fresh is not second
        got = await libpq_async.execute(fresh, pyformat("SELECT :a::int"), {"a": 5})
        assert got.rows == [(5,)]
        await pool.release(fresh)
        await pool.close()

    asyncio.run(run())
