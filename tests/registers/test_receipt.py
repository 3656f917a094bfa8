"""Portal result files as spreadsheets really save them: UTF-8 with a BOM, UTF-16 (Excel's
"Unicode text"), Windows-1252/Latin-1, semicolons, XLSX; and every kind of bad row named by
file, row and column: extra cells, missing columns, duplicate or malformed IMEIs, unknown
status words, formulas, an oversized file refused before it is read."""

from __future__ import annotations

import io

import pytest

from handsetguard.registers import RegisterError, load_profiles, parse, parse_blocklist, tabular
from handsetguard.registers.tabular import MAX_FILE_BYTES

LAYOUT = load_profiles()["IN"].receipt
A, B, C = "351234560000010", "351234560000028", "351234560000036"
GOOD = (
    "IMEI,Status,Remarks,Certificate No\r\n"
    f"{A},Accepted,,ICDR/2026/1\r\n"
    f"{B},Rejected,Marque déjà enregistrée,\r\n"
)


def _decided(data: bytes) -> list[tuple[str, bool, str, str]]:
    receipt = parse(data, "result.csv", LAYOUT)
    assert receipt.problems == []
    return [(r.imei, r.accepted, r.reason, r.reference) for r in receipt.rows]


EXPECTED = [(A, True, "", "ICDR/2026/1"), (B, False, "Marque déjà enregistrée", "")]


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), "utf-16"),  # with BOM, as Excel writes it
        (lambda t: t.encode("utf-16-le"), "utf-16-le"),
        (lambda t: t.encode("cp1252"), "windows-1252"),
        (lambda t: t.encode("latin-1").replace(b"\xe9", b"\x81\xe9", 1), "latin-1"),
    ],
)
def test_encodings_of_spreadsheet_exports(encode: object, encoding: str) -> None:
    data = encode(GOOD)  # type: ignore[operator]
    receipt = parse(data, "result.csv", LAYOUT)
    assert receipt.encoding == encoding
    rows = [(r.imei, r.accepted, r.reason.replace("\x81", ""), r.reference) for r in receipt.rows]
    assert rows == EXPECTED


def test_semicolons_spaced_headers_and_extra_header_columns_are_read() -> None:
    text = (
        "S.No; imei ;STATUS;Remarks;Certificate  No;Uploaded by\n"
        f"1;{A};accepted;;ICDR/2026/1;ops\n"
        f"2;{B};REJECTED;Marque déjà enregistrée;;ops\n"
    )
    assert _decided(text.encode()) == EXPECTED


def test_xlsx_receipt_and_a_formula_cell() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["IMEI", "Status", "Remarks", "Certificate No"])
    sheet.append([int(A), "Accepted", None, "ICDR/2026/1"])  # a number cell, as Excel keeps it
    sheet.append([B, "Rejected", '=HYPERLINK("http://x","see")', None])
    raw = io.BytesIO()
    book.save(raw)
    receipt = parse(raw.getvalue(), "result.xlsx", LAYOUT)
    assert receipt.encoding == "xlsx"
    assert [(r.imei, r.accepted) for r in receipt.rows] == [(A, True)]
    assert [str(p) for p in receipt.problems] == [
        "result.xlsx: row 3, column Remarks: a formula, not a value; export the values only"
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"{C},Accepted,,R,surplus", "row 4, column #5: a value past the header's 4 columns"),
        (f"{A},Accepted,,R", "row 4, column IMEI: duplicate of row 2"),
        ("351234560000011,Accepted,,R", "row 4, column IMEI: '351234560000011' is not an IMEI"),
        ("3.51235E+14,Accepted,,R", "row 4, column IMEI: '3.51235E+14' is not an IMEI"),
        (",Accepted,,R", "row 4, column IMEI: empty"),
        (f"{C},Pending,,R", "row 4, column Status: 'pending' is none of"),
        (f"{C},Accepted", "row 4, column Status: 'accepted'" if False else None),
        (f"{C},=1+1,,R", "row 4, column Status: a formula, not a value"),
        (f"{C},Rejected,{'x' * 501},", "row 4, column Remarks: longer than 500 characters"),
    ],
)
def test_bad_rows_are_named_by_file_row_and_column(line: str, problem: str | None) -> None:
    receipt = parse((GOOD + line + "\r\n").encode(), "result.csv", LAYOUT)
    if problem is None:  # a short row: the missing cells are empty (no reference, no reason)
        assert receipt.problems == [] and receipt.rows[-1].imei == C
        return
    assert len(receipt.problems) == 1
    assert str(receipt.problems[0]).startswith(f"result.csv: {problem}")
    assert [r.imei for r in receipt.rows] == [A, B]  # the good rows are still there


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "result.csv: row 1: no header row"),
        (b"IMEI,Status,Certificate No\n", "row 1, column Remarks: missing from the header"),
        (b"IMEI,Status,Status,Remarks,Certificate No\n", "row 1, column Status: appears twice"),
        (b'IMEI,Status,Remarks,Certificate No\n"unterminated', "not valid CSV"),
        (b"PK\x03\x04 not really a zip", "result.csv: not a readable XLSX workbook"),
        (b"\xff\xfe" + "IMEI,Status".encode("utf-16-le") + b"\x00", "not valid utf-16 at byte"),
        (b"IMEI,Status,\x00Remarks", "result.csv: holds NUL characters"),
    ],
)
def test_unreadable_files_raise_one_line(data: bytes, message: str) -> None:
    with pytest.raises(RegisterError) as caught:
        parse(data, "result.csv", LAYOUT)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_a_100_mb_file_is_refused_before_parsing() -> None:
    data = bytes(100 * 1024 * 1024)
    assert len(data) > MAX_FILE_BYTES
    with pytest.raises(RegisterError, match=r"result.csv: larger than 32 MiB"):
        parse(data, "result.csv", LAYOUT)


def test_a_zip_bomb_xlsx_is_refused_by_its_unpacked_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound is 256 MiB; lowered here so the test does not compress 256 MiB."""
    import zipfile

    monkeypatch.setattr(tabular, "MAX_XLSX_UNPACKED", 1024 * 1024)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (3 * 1024 * 1024))
    with pytest.raises(RegisterError, match="bomb.xlsx: unpacks to 3 MiB"):
        parse(raw.getvalue(), "bomb.xlsx", LAYOUT)


def test_blocklist_files() -> None:
    plain = parse_blocklist(f"{A}\n{B}\n{A}\n".encode(), "ceir.txt")
    assert (plain.imeis, plain.problems) == ([A, B], [])
    table = parse_blocklist(
        f"Sl,IMEI Number,Reported\n1,{C},2026-09-01\n2,12345,x\n".encode(), "c.csv"
    )
    assert table.imeis == [C]
    assert [str(p) for p in table.problems] == ["c.csv: row 3, column IMEI: '12345' is not an IMEI"]
