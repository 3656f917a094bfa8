"""The service's PostgreSQL sessions are in UTC whatever the server's or database's default:
a UTC column reads back as ``datetime.UTC`` (passed through as is), and SQL that depends on
the session's time zone (a day or month boundary) draws it in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from handsetguard.server.config import Settings
from handsetguard.server.db import Database, normalise_url


def test_postgresql_sessions_are_utc_under_a_database_default_of_kolkata(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL sessions only: SQLite has no session time zone")
    name = make_url(normalise_url(db_url)).database
    owner = create_engine(normalise_url(db_url), isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Kolkata'"))
    owner.dispose()
    db = Database(Settings(database_url=db_url))
    late = "TIMESTAMPTZ '2026-11-30 23:30:00+00'"
    try:
        for engine in (db.read_engine, db.autocommit_engine):
            assert engine is not None
            with engine.connect() as conn:
                value, day = conn.execute(
                    text(f"SELECT {late}, date_trunc('day', {late})::date")
                ).one()
            assert value.tzinfo is UTC and value == datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
            assert day.isoformat() == "2026-11-30"
    finally:
        db.dispose()
    # A session without the service's setting is in Kolkata, where 23:30 UTC is tomorrow.
    fresh = create_engine(normalise_url(db_url))
    with fresh.connect() as conn:
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "Asia/Kolkata"
        assert str(conn.execute(text(f"SELECT date_trunc('day', {late})::date")).scalar()) == (
            "2026-12-01"
        )
    fresh.dispose()
