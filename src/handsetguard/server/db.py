"""Engines and transactions.

SQLite (embedded default): WAL, foreign keys on, a busy timeout, and every *write*
transaction starts with ``BEGIN IMMEDIATE`` so two writers never both read-then-upgrade (the
source of SQLITE_BUSY deadlocks and lost updates); reads use a second engine with plain
deferred transactions. PostgreSQL: one engine, READ COMMITTED — the guarded ``UPDATE … WHERE
used < quota`` re-checks its condition on the latest row version, which is what makes quota
counting race-free.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from handsetguard.server.config import Settings

__all__ = ["Database", "is_sqlite", "normalise_url"]


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def _sqlite_engine(url: str, settings: Settings, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "isolation_level": None},
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=60,
    )
    busy = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy)}")
        # WAL + NORMAL: a commit survives a crash of the process (not of the OS/power).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The engines of one app and the two kinds of transaction the services open."""

    def __init__(self, settings: Settings) -> None:
        url = normalise_url(settings.database_url)
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.write_engine = _sqlite_engine(url, settings, immediate=True)
            self.read_engine = _sqlite_engine(url, settings, immediate=False)
        else:
            self.write_engine = create_engine(
                url,
                pool_size=settings.pool_size,
                max_overflow=0,
                pool_timeout=60,
                pool_pre_ping=True,
            )
            self.read_engine = self.write_engine
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._writer_lock: AbstractContextManager[object] = (
            threading.Lock() if self.sqlite else nullcontext()
        )
        database = make_url(url).database if self.sqlite else None
        self._lock_path = f"{database}.writelock" if database and database != ":memory:" else None
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        # The activation hot path's own pool on PostgreSQL: autocommit, so that a statement
        # is its own transaction (no BEGIN/COMMIT round trips), and no pre-ping (a broken
        # connection is invalidated when it fails; see dbapi()).
        self.autocommit_engine = (
            None
            if self.sqlite
            else create_engine(
                url,
                isolation_level="AUTOCOMMIT",
                pool_size=settings.pool_size,
                max_overflow=0,
                pool_timeout=60,
            )
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits when the block ends, rolls back if it raises.

        On SQLite the writers of this process also queue on a local lock: SQLite's busy
        handler *sleeps* (up to 100 ms) instead of queueing, which wrecks latency under load.
        The lock is only about fairness; exclusion between processes is SQLite's own lock.
        """
        with self._writers_turn(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def _writers_turn(self) -> Iterator[None]:
        """Writers queue: in this process on a lock, between processes on flock (woken at
        once on release) rather than on SQLite's sleeping busy handler. Fairness only."""
        with self._writer_lock:
            if self._lock_path is None:
                yield
                return
            with open(self._lock_path, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def read_conn(self) -> Iterator[Connection]:
        """A read transaction on a bare Connection (Core statements, no unit of work)."""
        with self.read_engine.begin() as conn:
            yield conn

    @contextmanager
    def dbapi(self, *, write: bool = False) -> Iterator[Any]:
        """A bare DBAPI connection, for the activation hot path whose statements are written
        per dialect (``services/activation_store.py``).

        PostgreSQL: an autocommit psycopg connection (each statement is its own transaction
        unless the caller opens one). SQLite: a transaction is open for the block — ``BEGIN
        IMMEDIATE`` under the writer locks when ``write``, else a plain ``BEGIN`` (one
        snapshot for the reads) — committed when the block ends, rolled back if it raises.
        A psycopg connection found broken discards the whole pool (as SQLAlchemy does on a
        disconnect), so that the next checkout connects afresh.
        """
        engine = self.autocommit_engine or (self.write_engine if write else self.read_engine)
        broken = engine.dialect.loaded_dbapi.OperationalError
        with self._writers_turn() if write else nullcontext():
            fairy = engine.raw_connection()
            try:
                conn: Any = fairy.driver_connection
                if self.sqlite:
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                    try:
                        yield conn
                        conn.execute("COMMIT")
                    finally:
                        if conn.in_transaction:  # the block raised, or COMMIT failed
                            conn.execute("ROLLBACK")
                else:
                    yield conn
            except broken:
                if getattr(fairy.driver_connection, "broken", False):
                    # The server dropped it (restart, failover): so it did the pooled ones.
                    fairy.invalidate()
                    engine.dispose()
                raise
            finally:
                fairy.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.autocommit_engine is not None:
            self.autocommit_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
