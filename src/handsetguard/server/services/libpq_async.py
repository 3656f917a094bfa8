"""One hot-path statement awaited on libpq itself, under psycopg's asyncio connection.

psycopg's ``AsyncConnection.execute`` builds a cursor, converts the query and its named
parameters, looks the statement up in its preparation cache and drives a generator through
its wait loop, every time: ~0.08 ms of CPU per statement over what the round trip needs
(measured on a report's read), and a report or a check-in is two statements. Here the same
statement goes straight to libpq (``pgconn``):

- the ``%(name)s`` query is converted once per text, its parameters put in that order;
- the parameters are dumped by psycopg's own ``Transformer`` (its C adapters, the
  connection's adapters), and the rows loaded by it, so that values go and come back
  exactly as through a cursor;
- the statement is prepared on the connection once per (text, parameter types), under a
  name of ours (psycopg's own prepared statements are named ``_pg3_*``), as psycopg
  prepares a statement it has run often; if the server no longer has it (a ``DEALLOCATE
  ALL`` or ``DISCARD ALL`` on the connection), the session's statements are forgotten and
  this one prepared, under a new name, and run again (refused at its bind, it ran nothing);
- a server error is raised as psycopg raises it (``psycopg.errors``, SQLSTATE classes such
  as ``UniqueViolation``), after the connection's results are drained, so that the
  connection stays usable; a connection lost on the way is left ``broken``.

Only a single statement outside a pipeline comes here (``dbapi_async.run_async``);
pipelined batches go through psycopg as before.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from weakref import WeakKeyDictionary

from handsetguard.server.services.dbapi import Result

__all__ = ["CONNECTION_BAD", "TRANSACTION_IDLE", "TUPLES_OK", "execute"]

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
# libpq's codes, as plain ints (psycopg.pq's enums cost an attribute lookup each):
TUPLES_OK, _COMMAND_OK, _FATAL_ERROR = 2, 1, 7  # ExecStatus
CONNECTION_BAD = 1  # ConnStatus.BAD
TRANSACTION_IDLE = 0  # TransactionStatus.IDLE
_TEXT = 0  # the text result format
_NOT_PREPARED = "26000"  # invalid_sql_statement_name: no such prepared statement


class _Query:
    """A ``%(name)s`` query as libpq takes it: ``$n`` placeholders, the names in order, and
    the dump format of each parameter (psycopg's default, as a cursor dumps them)."""

    __slots__ = ("formats", "names", "text")

    def __init__(self, query: str) -> None:
        from psycopg.adapt import PyFormat

        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return "%"
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.text = _PLACEHOLDER.sub(number, query).encode()
        self.names = tuple(names)
        self.formats = [PyFormat.AUTO] * len(names)


_QUERIES: dict[str, _Query] = {}


class _Session:
    """What this module keeps per connection: its Transformer, and the statements it has
    prepared there by (query, parameter types)."""

    __slots__ = ("made", "prepared", "transformer")

    def __init__(self, conn: Any) -> None:
        from psycopg.adapt import Transformer

        self.transformer = Transformer(conn)
        self.prepared: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.made = 0
        """Statements prepared so far: each gets a new name, those forgotten included."""


_SESSIONS: WeakKeyDictionary[Any, _Session] = WeakKeyDictionary()


async def execute(conn: Any, query: str, params: Any) -> Result:
    """Run ``query`` (psycopg's ``%(name)s`` placeholders) with ``params`` (a mapping) on
    ``conn``, an idle asyncio connection in autocommit or inside its transaction; the
    statement's row count and rows (tuples), as ``cursor.rowcount`` and ``fetchall``."""
    parsed = _QUERIES.get(query)
    if parsed is None:
        parsed = _QUERIES[query] = _Query(query)
    session = _SESSIONS.get(conn)
    if session is None:
        session = _SESSIONS[conn] = _Session(conn)
    tx = session.transformer
    values = tx.dump_sequence([params[n] for n in parsed.names], parsed.formats)
    key = (parsed.text, tuple(tx.types or ()))
    try:
        result = await _run_prepared(conn, session, key, values, tx.formats)
    except Exception as exc:
        if getattr(exc, "sqlstate", None) != _NOT_PREPARED:
            raise
        session.prepared.clear()  # dropped since (DEALLOCATE ALL, DISCARD ALL)
        result = await _run_prepared(conn, session, key, values, tx.formats)
    rows: list[Any] = []
    if result.status == TUPLES_OK:
        tx.set_pgresult(result)
        rows = tx.load_rows(0, result.ntuples, tuple)
    count = result.command_tuples
    return Result(-1 if count is None else count, rows)


async def _run_prepared(
    conn: Any, session: _Session, key: tuple[bytes, tuple[int, ...]], values: Any, formats: Any
) -> Any:
    """The statement ``key`` run with ``values`` on ``conn``, prepared there first if this
    session has not prepared it yet; its one result."""
    pgconn = conn.pgconn
    name = session.prepared.get(key)
    if name is None:
        session.made += 1
        name = f"hg_{session.made}".encode()
        pgconn.send_prepare(name, key[0], param_types=key[1])
        _raise_if_error(conn, await _results(pgconn))
        session.prepared[key] = name
    pgconn.send_query_prepared(name, values, param_formats=formats, result_format=_TEXT)
    return _raise_if_error(conn, await _results(pgconn))


async def _results(pgconn: Any) -> list[Any]:
    """Send what is queued, then every result of the statement (until libpq has none).
    While the send waits for room, what the server sends meanwhile is read (as psycopg
    does), so that neither side waits on the other."""
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    while pgconn.flush():
        await _ready(loop, fd, write=True)
        pgconn.consume_input()
    results: list[Any] = []
    while True:  # nothing to read before the first wait: the answer cannot be there yet
        while pgconn.is_busy():
            await _ready(loop, fd, write=False)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return results
        results.append(result)


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, *, write: bool) -> None:
    """Until ``fd`` is readable (or, ``write``, readable or writable)."""
    done = loop.create_future()

    def wake() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, wake)
    if write:
        loop.add_writer(fd, wake)
    try:
        await done
    finally:
        loop.remove_reader(fd)
        if write:
            loop.remove_writer(fd)


def _raise_if_error(conn: Any, results: list[Any]) -> Any:
    """The statement's one result, or the server's error raised as psycopg raises it."""
    if len(results) == 1 and results[0].status in (TUPLES_OK, _COMMAND_OK):
        return results[0]
    from psycopg import errors

    for result in results:
        if result.status == _FATAL_ERROR:
            raise errors.error_from_result(result, encoding=conn.info.encoding)
    statuses = [r.status for r in results]
    raise errors.InternalError(f"unexpected results from one statement: {statuses}")
