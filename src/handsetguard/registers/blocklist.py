"""A file of IMEIs reported lost or stolen (exported from a national system such as India's
CEIR by the partner): one IMEI a line, or a CSV/XLSX whose header names an IMEI column."""

from __future__ import annotations

from dataclasses import dataclass

from handsetguard.registers.receipt import Problem, is_imei
from handsetguard.registers.tabular import FORMULA, read_sheet
from handsetguard.textsafe import visible

__all__ = ["Blocklist", "parse_blocklist"]


@dataclass(frozen=True, slots=True)
class Blocklist:
    file: str
    imeis: list[str]
    problems: list[Problem]


def _imei_column(header: list[str]) -> int | None:
    for index, cell in enumerate(header):
        if "imei" in cell.casefold():
            return index
    return None


def parse_blocklist(data: bytes, name: str) -> Blocklist:
    """Every IMEI of the file (duplicates once); a cell that is not an IMEI is a problem."""
    sheet = read_sheet(data, name)
    rows = sheet.rows
    column = 0
    if rows and not is_imei(rows[0][1][0].strip() if rows[0][1] else ""):
        found = _imei_column(rows[0][1])
        if found is not None:
            column, rows = found, rows[1:]
    imeis: dict[str, None] = {}
    problems = []
    for number, cells in rows:
        value = cells[column].strip() if column < len(cells) else ""
        if value == FORMULA:
            problems.append(Problem(name, number, "IMEI", "a formula, not a value"))
        elif not is_imei(value):
            problems.append(
                Problem(name, number, "IMEI", f"{visible(value[:40])!r} is not an IMEI")
            )
        else:
            imeis[value] = None
    return Blocklist(name, list(imeis), problems)
