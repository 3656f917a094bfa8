"""A batch's rows in its register's layout, and the two files made from them: CSV (RFC 4180,
UTF-8, CRLF) and XLSX (openpyxl). The same batch always gives the same bytes, and no cell
starts with a character a spreadsheet would read as a formula."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from handsetguard.registers.profiles import Layout

__all__ = [
    "FORMULA_LEAD",
    "BatchRow",
    "Constants",
    "content_hash",
    "escape_cell",
    "render_csv",
    "render_xlsx",
    "table",
]

FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet evaluate a cell (OWASP's CSV injection list); such a cell is
written with a leading apostrophe, the spreadsheets' own mark for "this is text"."""

_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One unit as frozen into a batch."""

    serial: str
    imei1: str
    imei2: str | None
    model_code: str
    activated_at: datetime


@dataclass(frozen=True, slots=True)
class Constants:
    """The values every row of a batch shares."""

    brand: str
    licence_number: str


def escape_cell(value: str) -> str:
    """The cell as written: control characters (which XLSX cannot hold) become spaces, and a
    formula lead gets an apostrophe."""
    value = _CONTROLS.sub(" ", value)
    return "'" + value if value.startswith(FORMULA_LEAD) else value


def _value(field: str, row: BatchRow, constants: Constants, date_format: str) -> str:
    if field == "imei1":
        return row.imei1
    if field == "imei2":
        return row.imei2 or ""
    if field == "serial":
        return row.serial
    if field == "model":
        return row.model_code
    if field == "tac":
        return row.imei1[:8]
    if field == "manufacturing_date":
        return row.activated_at.strftime(date_format)
    if field == "brand":
        return constants.brand
    return constants.licence_number  # "licence_number": the only other field profiles allow


def table(layout: Layout, constants: Constants, rows: Iterable[BatchRow]) -> Iterator[list[str]]:
    """The header, then one list of escaped cells per unit."""
    yield [escape_cell(c.header) for c in layout.columns]
    for row in rows:
        yield [
            escape_cell(
                (c.text or "")
                if c.field is None
                else _value(c.field, row, constants, layout.date_format)
            )
            for c in layout.columns
        ]


def content_hash(cells: Iterable[list[str]]) -> str:
    """SHA-256 of the rows' cells (one canonical JSON array per line)."""
    digest = hashlib.sha256()
    for line in cells:
        digest.update(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def render_csv(cells: Iterable[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(cells)
    return out.getvalue().encode("utf-8")


def render_xlsx(cells: Iterable[list[str]], sheet: str, at: datetime) -> bytes:
    """One sheet of text cells (an IMEI must not become 3.51E+14). openpyxl stamps the zip
    entries and ``dcterms:modified`` with the time of saving; both are set to ``at`` (the
    batch's creation) so the bytes depend on the batch alone."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.properties.creator = "HandsetGuard"
    stamp = at.replace(tzinfo=None, microsecond=0)
    book.properties.created = stamp
    ws = book.create_sheet(sheet)
    for line in cells:
        ws.append(line)
    raw = io.BytesIO()
    book.save(raw)
    return _restamp(raw.getvalue(), stamp)


def _restamp(data: bytes, stamp: datetime) -> bytes:
    when = stamp.timetuple()[:6]
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(rb"\g<1>" + iso + rb"\g<2>", body)
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, body)
    return out.getvalue()
