"""Reading a spreadsheet export someone else made (a portal's result file, a blocklist):
CSV in whatever encoding the spreadsheet chose, or XLSX, bounded in size, as rows of text
cells with their row numbers. Formulas are reported, never evaluated."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from handsetguard.registers.profiles import RegisterError

__all__ = ["MAX_FILE_BYTES", "FORMULA", "Sheet", "decode_text", "read_sheet"]

MAX_FILE_BYTES = 32 * 1024 * 1024
"""A receipt of 100,000 units is ~6 MB as CSV; anything past this is refused unread."""
MAX_XLSX_UNPACKED = 256 * 1024 * 1024
MAX_ROWS = 1_000_000
FORMULA = "\x00formula"
"""Stands for a cell that held a formula (XLSX formula cell, or CSV text starting with '=')."""


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    encoding: str
    rows: list[tuple[int, list[str]]]
    """(row number in the file, 1-based; cells as text) for every non-blank row."""


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The text and the encoding it was read as: a BOM first (UTF-8, UTF-16 LE/BE), then
    UTF-16 without BOM (every other byte NUL), then strict UTF-8, then Windows-1252 (what a
    spreadsheet saves as "CSV" on a Western-locale PC; Latin-1 for its five undefined bytes)."""
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1:40:2].count(0) > 15 and 0 not in data[0:40:2]:
        encoding = "utf-16-le"
    elif len(data) >= 4 and data[0:40:2].count(0) > 15 and 0 not in data[1:40:2]:
        encoding = "utf-16-be"
    else:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252"), "windows-1252"
            except UnicodeDecodeError:
                return data.decode("latin-1"), "latin-1"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        raise RegisterError(
            f"{name}: not valid {encoding} at byte {exc.start}; save the file again as UTF-8"
        ) from exc


def _csv_rows(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    if "\x00" in text:
        raise RegisterError(f"{name}: holds NUL characters; not a text file in one encoding")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            if len(cells) > 1000:
                raise RegisterError(f"{name}: row {reader.line_num}: more than 1000 cells")
            if "=" in "".join(cells):  # rare: only then look for a cell that starts with one
                cells = [FORMULA if c.startswith("=") else c for c in cells]
            yield reader.line_num, cells
    except csv.Error as exc:
        raise RegisterError(f"{name}: row {reader.line_num}: not valid CSV ({exc})") from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED:
            raise RegisterError(f"{name}: unpacks to {unpacked >> 20} MiB; refusing to read it")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            yield (
                number,
                [
                    FORMULA if getattr(c, "data_type", None) == "f" else _cell_text(c.value)
                    for c in cells
                ],
            )
        book.close()
    except RegisterError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise RegisterError(f"{name}: not a readable XLSX workbook ({exc})") from exc


def read_sheet(data: bytes, name: str) -> Sheet:
    """The first sheet of an XLSX file (by its zip signature) or a CSV file's rows."""
    if len(data) > MAX_FILE_BYTES:
        raise RegisterError(f"{name}: larger than {MAX_FILE_BYTES >> 20} MiB; refusing to read it")
    if data.startswith(b"PK\x03\x04"):
        encoding, rows = "xlsx", _xlsx_rows(data, name)
    else:
        text, encoding = decode_text(data, name)
        rows = _csv_rows(text, name)
    kept: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if "".join(cells).strip():
            kept.append((number, cells))
            if len(kept) > MAX_ROWS:
                raise RegisterError(f"{name}: more than {MAX_ROWS} rows")
    return Sheet(name, encoding, kept)
