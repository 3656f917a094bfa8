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
import logging
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from handsetguard.errors import UsageError
from handsetguard.server.config import Settings

__all__ = [
    "HOT_PATH_OPTIONS",
    "Database",
    "DatabaseURLError",
    "WriterBusy",
    "is_sqlite",
    "normalise_url",
    "parse_url",
]

URL_HINT = "use sqlite:///path.db or postgresql://user:password@host/database"
_DRIVERS = {("sqlite", "pysqlite"), ("postgresql", "psycopg")}


_SESSION_UTC = "-c timezone=UTC"
"""Every PostgreSQL session is in UTC, whatever the server's default: the service stores and
compares UTC only, and psycopg then returns ``datetime.UTC`` itself, which the UTC columns
pass through without converting (``models.base.UTCDateTime``)."""
HOT_PATH_OPTIONS = f"-c plan_cache_mode=force_generic_plan {_SESSION_UTC}"
"""The hot paths' PostgreSQL sessions, threaded or asyncio (services/dbapi_async.py): their
statements are prepared and planned once, generically (see Database.autocommit_engine)."""


class WriterBusy(Exception):
    """``Database.dbapi(write=True, wait=False)``: another writer has the turn (SQLite)."""


class DatabaseURLError(UsageError):
    """The database URL cannot be used: not a URL, another database, or a missing file.
    The message never repeats the URL (it may hold a password)."""


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_url(url: str) -> URL:
    """The URL, checked: SQLite (a file or ``:memory:``) or PostgreSQL through psycopg 3."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        raise DatabaseURLError("database URL: not a database URL", remediation=URL_HINT) from None
    driver = (parsed.get_backend_name(), parsed.get_driver_name())
    if driver not in _DRIVERS:
        raise DatabaseURLError(
            f"database URL: unsupported database {parsed.drivername!r}", remediation=URL_HINT
        )
    if driver[0] == "sqlite" and not parsed.database:
        raise DatabaseURLError("database URL: no SQLite file named", remediation=URL_HINT)
    return parsed


def is_sqlite(url: str) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def _sqlite_file(parsed: URL, *, create: bool) -> None:
    """A SQLite database file is created only on purpose (``create``), and then mode 0600:
    it holds the service's keys and records (SQLite gives its -wal and -shm files the same
    mode). Otherwise a missing file is an error, not a new empty database."""
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if os.path.exists(path):
        _tighten(path)
        return
    if not create:
        raise DatabaseURLError(
            f"database file {path} does not exist",
            remediation="check the URL, or create it with 'handsetguard server init'",
        )
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseURLError(f"database file {path}: cannot create it ({exc.strerror})") from None


_log = logging.getLogger("handsetguard.server")


def _tighten(path: str) -> None:
    """An existing database file (or its -wal/-shm) that other users may read — made before
    files were created 0600, or copied with a loose umask — is set to 0600 when this process
    owns it, with a warning; one it cannot change is left as it is, with a warning too."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            info = os.stat(name)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or not info.st_mode & 0o077:
            continue
        loose = oct(stat.S_IMODE(info.st_mode))[2:]
        try:
            os.chmod(name, 0o600)
        except OSError as exc:
            _log.warning(
                "database file %s is mode %s and cannot be made 0600 (%s): other users "
                "may read the service's records",
                name,
                loose,
                exc.strerror,
            )
        else:
            _log.warning(
                "database file %s was mode %s, readable by other users: now 0600", name, loose
            )


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

    def __init__(self, settings: Settings, *, create: bool = False) -> None:
        """``create``: a missing SQLite file is created (mode 0600); without it, it is a
        :class:`DatabaseURLError`, as is a URL that is not SQLite or PostgreSQL."""
        parsed = parse_url(settings.database_url)
        url = parsed.render_as_string(hide_password=False)
        self.url = url
        self.sqlite = parsed.get_backend_name() == "sqlite"
        if self.sqlite:
            _sqlite_file(parsed, create=create)
            self.write_engine = _sqlite_engine(url, settings, immediate=True)
            self.read_engine = _sqlite_engine(url, settings, immediate=False)
        else:
            self.write_engine = create_engine(
                url,
                pool_size=settings.pool_size,
                max_overflow=0,
                pool_timeout=60,
                pool_pre_ping=True,
                connect_args={"options": _SESSION_UTC},
            )
            self.read_engine = self.write_engine
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._writer_lock = threading.Lock()  # SQLite only (PostgreSQL's writers never take it)
        database = make_url(url).database if self.sqlite else None
        self._lock_path = f"{database}.writelock" if database and database != ":memory:" else None
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        # The hot paths' own pool on PostgreSQL (activations, reports): autocommit, so that a
        # statement is its own transaction (no BEGIN/COMMIT round trips), and no pre-ping (a
        # broken connection is invalidated when it fails; see dbapi()). Their statements are
        # prepared (psycopg, from the 5th use) and planned once, generically: a custom plan
        # of a statement joining the monthly partitions of fleet_reports costs ~2 ms of
        # planning each time, ten times its execution; the generic one prunes at run time.
        self.autocommit_engine = (
            None
            if self.sqlite
            else create_engine(
                url,
                isolation_level="AUTOCOMMIT",
                pool_size=settings.pool_size,
                max_overflow=0,
                pool_timeout=60,
                connect_args={"options": HOT_PATH_OPTIONS},
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
    def _writers_turn(self, wait: bool = True) -> Iterator[None]:
        """Writers queue: in this process on a lock, between processes on flock (woken at
        once on release) rather than on SQLite's sleeping busy handler. Fairness only.
        ``wait=False``: :class:`WriterBusy` at once if another writer has the turn (the
        event loop's hot paths then hand the write to a worker thread). PostgreSQL: none."""
        if not self.sqlite:
            yield
            return
        if not self._writer_lock.acquire(blocking=wait):
            raise WriterBusy
        try:
            if self._lock_path is None:
                yield
                return
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:  # the bare descriptor: a file object per write cost ~50 µs of a report
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise WriterBusy from None
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        finally:
            self._writer_lock.release()

    @contextmanager
    def read_conn(self) -> Iterator[Connection]:
        """A read transaction on a bare Connection (Core statements, no unit of work)."""
        with self.read_engine.begin() as conn:
            yield conn

    @contextmanager
    def dbapi(self, *, write: bool = False, wait: bool = True) -> Iterator[Any]:
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
        with self._writers_turn(wait) if write else nullcontext():
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
