"""Helpers for statements run on the bare DBAPI connection (the hot paths of activation and
report ingestion): psycopg's placeholders, and rows converted by the models' own column
types, so that what a hot path reads is exactly what the ORM would read."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute

from handsetguard.server.models import Device

__all__ = ["UNIT_DEVICE_COLUMNS", "pyformat", "row_reader"]

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
