"""PostgreSQL's monthly partitions of ``fleet_reports`` (migration 0010): create the months a
report may land in, ahead of time (the fleet worker) or on demand (ingestion, when the
database says no partition holds a row), and the summary retention policy.

Retention (docs/fleet.md): report *documents* are dropped after
``HANDSETGUARD_FLEET_DOCUMENT_RETENTION_DAYS`` (fleet_worker.prune_documents); report
*summaries* older than ``HANDSETGUARD_FLEET_SUMMARY_RETENTION_MONTHS`` whole months are
dropped with their month — every unit's baseline excepted, kept for as long as the unit.
On PostgreSQL a month past the horizon is rebuilt in one transaction: its baselines are
copied to a new table, the old partition is detached and dropped (no row-by-row delete),
and the new table is attached in its place (and marked, so that it is not counted again).
On SQLite the rows are deleted in batches.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "PARTITION",
    "ensure_months",
    "is_missing_partition",
    "month_of",
    "months_past",
    "partition_name",
    "shrink_month",
]

PARTITION = re.compile(r"fleet_reports_y(\d{4})m(\d{2})")
_LOCK = 0x68670010  # pg_advisory_xact_lock key: one process changes partitions at a time
_SHRUNK = "handsetguard: past the summary retention, baselines only"
"""The comment on a partition already shrunk, so that a tick does not count it again."""


def month_of(at: datetime) -> tuple[int, int]:
    utc = at.astimezone(UTC)
    return utc.year, utc.month


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _bound(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}-01 00:00:00+00"


def partition_name(year: int, month: int) -> str:
    return f"fleet_reports_y{year:04d}m{month:02d}"


def is_missing_partition(exc: BaseException) -> bool:
    """The database refused a row because no partition holds its month."""
    return "no partition of relation" in str(exc)


def _existing(conn: Any) -> set[tuple[int, int]]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'fleet_reports'"
    ).fetchall()
    found = set()
    for (name,) in rows:
        match = PARTITION.fullmatch(name)
        if match:
            found.add((int(match[1]), int(match[2])))
    return found


def ensure_months(conn: Any, first: datetime, count: int = 1) -> list[str]:
    """Create the partitions of ``count`` months from ``first``'s month that do not exist
    yet, in one transaction on a psycopg connection; returns the names created."""
    made = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        have = _existing(conn)
        year, month = month_of(first)
        for _ in range(count):
            if (year, month) not in have:
                name = partition_name(year, month)
                following = _next(year, month)
                conn.execute(
                    f"CREATE TABLE {name} PARTITION OF fleet_reports FOR VALUES FROM"
                    f" ('{_bound(year, month)}') TO ('{_bound(*following)}')"
                )
                made.append(name)
            year, month = _next(year, month)
    return made


def months_past(conn: Any, now: datetime, months: int) -> list[tuple[int, int]]:
    """The existing partitions whose whole month ended more than ``months`` months before
    ``now``'s month began."""
    year, month = month_of(now)
    index = year * 12 + (month - 1) - months
    horizon = (index // 12, index % 12 + 1)
    return sorted(m for m in _existing(conn) if m < horizon)


def shrink_month(conn: Any, year: int, month: int) -> int:
    """Keep only the baselines of one month's partition (see the module's docstring);
    returns how many report summaries were dropped."""
    name, kept = partition_name(year, month), f"{partition_name(year, month)}_kept"
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        done = conn.execute("SELECT obj_description(%s::regclass, 'pg_class')", (name,))
        if done.fetchone()[0] == _SHRUNK:
            return 0
        total, baselines = conn.execute(
            f"SELECT count(*), count(*) FILTER (WHERE baseline) FROM {name}"
        ).fetchone()
        if total == baselines:
            conn.execute(f"COMMENT ON TABLE {name} IS '{_SHRUNK}'")
            return 0
        conn.execute(f"CREATE TABLE {kept} (LIKE fleet_reports INCLUDING DEFAULTS)")
        conn.execute(f"INSERT INTO {kept} SELECT * FROM {name} WHERE baseline")
        conn.execute(f"ALTER TABLE fleet_reports DETACH PARTITION {name}")
        conn.execute(f"DROP TABLE {name}")
        conn.execute(f"ALTER TABLE {kept} RENAME TO {name}")
        conn.execute(
            f"ALTER TABLE fleet_reports ATTACH PARTITION {name} FOR VALUES FROM"
            f" ('{_bound(year, month)}') TO ('{_bound(*_next(year, month))}')"
        )
        conn.execute(f"COMMENT ON TABLE {name} IS '{_SHRUNK}'")
    return int(total - baselines)
