"""Batch files: cells a spreadsheet would evaluate are escaped in CSV and XLSX alike, IMEIs
stay text, control characters cannot break a cell, and the bytes depend on the batch only."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest

from handsetguard.registers import (
    BatchRow,
    Constants,
    content_hash,
    escape_cell,
    load_profiles,
    render_csv,
    render_xlsx,
    table,
)

AT = datetime(2026, 10, 15, 10, 30, tzinfo=UTC)
ROWS = [BatchRow(f"SN{n:08d}", "351234560000010", None, "Z60", AT) for n in range(3)]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1-555", "'+1-555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Lava\x1b[31m", "Lava [31m"),
        ("ICDR-0042", "ICDR-0042"),
        ("", ""),
    ],
)
def test_escape_cell(value: str, written: str) -> None:
    assert escape_cell(value) == written


def test_hostile_brand_and_licence_never_reach_a_file_as_formulas() -> None:
    profile = load_profiles()["IN"]
    cells = list(table(profile.layout, Constants("=cmd|' /C calc'!A0", "@evil"), ROWS))
    csv_rows = list(csv.reader(io.StringIO(render_csv(cells).decode(), newline="")))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(render_xlsx(cells, "IMEI", AT)))
    sheet = book["IMEI"]
    xlsx_rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    for rows in (csv_rows, xlsx_rows):
        for row in rows:
            assert not any(str(c).startswith(("=", "+", "-", "@")) for c in row), row
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
    assert csv_rows[1][3] == "'=cmd|' /C calc'!A0"


def test_same_batch_same_bytes_and_hash() -> None:
    profile = load_profiles()["BD"]
    constants = Constants("Lava", "BTRC-VE-117")
    one = list(table(profile.layout, constants, ROWS))
    two = list(table(profile.layout, constants, ROWS))
    assert render_xlsx(one, "NEIR", AT) == render_xlsx(two, "NEIR", AT)
    assert render_csv(one) == render_csv(two)
    assert content_hash(one) == content_hash(two)
    other = list(table(profile.layout, Constants("Lava", "BTRC-VE-118"), ROWS))
    assert content_hash(other) != content_hash(one)
    with zipfile.ZipFile(io.BytesIO(render_xlsx(one, "NEIR", AT))) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 10, 15, 10, 30, 0)}
        assert b"2026-10-15T10:30:00Z" in archive.read("docProps/core.xml")
