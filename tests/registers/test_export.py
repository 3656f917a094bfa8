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


def test_xlsx_cells_round_trip_through_openpyxl() -> None:
    """The data rows are streamed into openpyxl's sheet: XML specials, spaces at the ends,
    non-ASCII and many columns (past Z) read back exactly."""
    from openpyxl import load_workbook

    header = [f"H{i}" for i in range(30)]
    values = ['A&B <Ltd> "q"', " padded ", "Lava Mobiles Pvt. Ltd. — नई दिल्ली", "x" * 300]
    line = [values[i % len(values)] for i in range(30)]
    book = load_workbook(io.BytesIO(render_xlsx([header, line, line], "S", AT)), read_only=True)
    rows = [[c.value for c in row] for row in book["S"].iter_rows()]
    assert rows == [header, line, line]


def test_date_formats_with_and_without_a_time() -> None:
    from dataclasses import replace

    from handsetguard.registers.profiles import Column, Layout

    rows = [
        BatchRow("SN1", "351234560000010", None, "Z60", AT),
        BatchRow("SN2", "351234560000028", None, "Z60", AT.replace(hour=11, minute=5)),
    ]
    layout = Layout((Column("IMEI", field="imei1"), Column("Made", field="manufacturing_date")))
    for fmt, made in (
        ("%d.%m.%Y", ["15.10.2026", "15.10.2026"]),
        ("%Y-%m-%d %H:%M", ["2026-10-15 10:30", "2026-10-15 11:05"]),
    ):
        cells = list(table(replace(layout, date_format=fmt), Constants("B", "L"), rows))
        assert [c[1] for c in cells[1:]] == made
