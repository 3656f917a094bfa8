"""Helpers for statements run on the bare DBAPI connection (the hot paths of activation and
report ingestion): psycopg's placeholders, and rows converted by the models' own column
types, so that what a hot path reads is exactly what the ORM would read."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from handsetguard.server.models import Device

__all__ = [
    "UNIT_DEVICE_COLUMNS",
    "Result",
    "Statement",
    "Steps",
    "pyformat",
    "row_reader",
    "run_steps",
    "variant_name",
    "with_ctes",
    "write_variants",
]

T = TypeVar("T")

Statement = tuple[str, Mapping[str, Any]]
"""One statement of a store's generator: its name in the store's SQL and its parameters."""


class Result(NamedTuple):
    """What one statement gave: the rows it returned (none for one without a result)."""

    rowcount: int
    rows: list[Any]


Steps = Generator[list[Statement], list[Result], T]
"""A store's statements written once for the threaded and the asyncio connections: the
generator yields a batch (one round trip on PostgreSQL, pipelined), is sent the batch's
results, and returns the outcome (drivers: :func:`run_steps`, ``dbapi_async.run_async``)."""

UNIT_DEVICE_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = (
    Device.id,
    Device.partner_id,
    Device.serial,
    Device.imei1,
    Device.imei2,
    Device.model_code,
    Device.territory,
    Device.status,
)
"""The unit's own columns the report and check-in hot paths read (report_store, checkin_store):
who it belongs to, its identifiers and whether it is active."""


def pyformat(sql: str) -> str:
    """``:name`` placeholders to psycopg's ``%(name)s`` (``::type`` casts are left alone)."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


def with_ctes(parts: Sequence[tuple[str, str | None]], select: str) -> str:
    """``WITH name AS (body), … select``: one statement of data-modifying CTEs, a part whose
    body is None left out. A hot path's write comes in variants with only the parts its case
    needs: PostgreSQL initialises every part of a plan on every execution, rows or not."""
    kept = [f"{name} AS (\n    {body}\n)" for name, body in parts if body is not None]
    return "WITH " + ", ".join(kept) + "\n" + select


def variant_name(flags: Sequence[str], on: Sequence[bool]) -> str:
    """A write variant's name in a store's statements: ``write``, then ``+flag`` for each of
    ``flags`` that is ``on``."""
    return "write" + "".join(f"+{flag}" for flag, yes in zip(flags, on, strict=True) if yes)


def write_variants(build: Callable[..., str], flags: Sequence[str]) -> dict[str, str]:
    """Every variant of a hot write by :func:`variant_name`: ``build(*on)`` for each
    combination of ``flags`` on and off."""
    cases = itertools.product((False, True), repeat=len(flags))
    return {variant_name(flags, on): build(*on) for on in cases}


def row_reader(
    dialect: Dialect, columns: Sequence[InstrumentedAttribute[Any]], names: Sequence[str]
) -> Callable[[Sequence[Any]], dict[str, Any]]:
    processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def read(row: Sequence[Any]) -> dict[str, Any]:
        return {
            name: value if process is None or value is None else process(value)
            for name, process, value in zip(names, processors, row, strict=True)
        }

    return read


def run_steps(conn: Any, sql: Mapping[str, str], steps: Steps[T], *, pipeline: bool) -> T:
    """Drive ``steps`` on a DBAPI connection; ``pipeline``: each batch in one round trip
    (psycopg), else statement by statement, each read before the next runs (SQLite)."""
    try:
        batch = next(steps)
        while True:
            if pipeline and len(batch) > 1:
                with conn.pipeline():
                    cursors = [conn.execute(sql[name], params) for name, params in batch]
                results = [_result(cursor) for cursor in cursors]
            else:
                results = [_result(conn.execute(sql[name], params)) for name, params in batch]
            batch = steps.send(results)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _result(cursor: Any) -> Result:
    return Result(cursor.rowcount, cursor.fetchall() if cursor.description is not None else [])
