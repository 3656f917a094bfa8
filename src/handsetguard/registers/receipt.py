"""A register portal's result file (receipt): one row per IMEI, accepted or rejected with a
reason and a reference, read in the register's receipt layout. Every problem names the file,
the row and the column; the caller decides whether any problem refuses the whole file."""

from __future__ import annotations

from dataclasses import dataclass

from handsetguard.registers.profiles import ReceiptLayout, RegisterError
from handsetguard.registers.tabular import FORMULA, read_sheet
from handsetguard.textsafe import visible

__all__ = ["MAX_REASON", "MAX_REFERENCE", "Problem", "Receipt", "ReceiptRow", "is_imei", "parse"]

MAX_REASON = 500
MAX_REFERENCE = 128


_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2d, less 9 when over 9


def is_imei(value: str) -> bool:
    """15 ASCII digits whose last is the Luhn check digit of the first 14."""
    if len(value) != 15 or not value.isascii() or not value.isdigit():
        return False
    kept, doubled = value[::2], value[1::2].translate(_DOUBLED)  # from the right: 0, 2, …
    return (sum(kept.encode()) + sum(doubled.encode()) - 48 * 15) % 10 == 0


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    row: int
    imei: str
    accepted: bool
    reason: str
    reference: str


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {visible(self.column)}: {self.message}"


@dataclass(frozen=True, slots=True)
class Receipt:
    file: str
    encoding: str
    rows: list[ReceiptRow]
    problems: list[Problem]


def _key(header: str) -> str:
    return " ".join(header.split()).casefold()


def _columns(layout: ReceiptLayout, header: list[str], name: str, row: int) -> dict[str, int]:
    seen: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _key(cell)
        if key and key in seen:
            raise RegisterError(f"{name}: row {row}, column {visible(cell)}: appears twice")
        seen[key] = index
    wanted = {
        "imei": layout.imei,
        "status": layout.status,
        "reason": layout.reason,
        "reference": layout.reference,
    }
    where: dict[str, int] = {}
    for role, title in wanted.items():
        if _key(title) not in seen:
            raise RegisterError(
                f"{name}: row {row}, column {visible(title)}: missing from the header "
                f"(found {', '.join(visible(h) for h in header if h.strip()) or 'none'})"
            )
        where[role] = seen[_key(title)]
    return where


_ROLES = ("imei", "status", "reason", "reference")


def _row(
    cells: list[str], number: int, cols: tuple[int, ...], layout: ReceiptLayout, file: str
) -> ReceiptRow | Problem:
    """One data row (``cols``: the column of the IMEI, status, reason and reference). Runs
    100,000 times for a factory's batch: plain indexing, one membership test for formulas."""
    width = len(cells)
    imei, status, reason, reference = (
        cells[cols[0]].strip() if cols[0] < width else "",
        cells[cols[1]].strip() if cols[1] < width else "",
        cells[cols[2]].strip() if cols[2] < width else "",
        cells[cols[3]].strip() if cols[3] < width else "",
    )
    values = (imei, status, reason, reference)
    if FORMULA in values:
        title = (layout.imei, layout.status, layout.reason, layout.reference)[values.index(FORMULA)]
        return Problem(file, number, title, "a formula, not a value; export the values only")
    if not imei:
        return Problem(file, number, layout.imei, "empty")
    if not is_imei(imei):
        shown = visible(imei[:40])
        return Problem(
            file, number, layout.imei, f"{shown!r} is not an IMEI (15 digits, Luhn check digit)"
        )
    status = status.casefold()
    if status in layout.accepted:
        accepted = True
    elif status in layout.rejected:
        accepted = False
    else:
        words = ", ".join(sorted(layout.accepted | layout.rejected))
        return Problem(file, number, layout.status, f"{visible(status[:40])!r} is none of {words}")
    if len(reason) > MAX_REASON:
        return Problem(file, number, layout.reason, f"longer than {MAX_REASON} characters")
    if len(reference) > MAX_REFERENCE:
        return Problem(file, number, layout.reference, f"longer than {MAX_REFERENCE} characters")
    return ReceiptRow(number, imei, accepted, reason, reference)


def parse(data: bytes, name: str, layout: ReceiptLayout) -> Receipt:
    """The receipt's rows and its problems (bad cells, duplicate IMEIs, cells past the
    header). A file that cannot be read at all (size, encoding, header) raises instead."""
    sheet = read_sheet(data, name)
    if not sheet.rows:
        raise RegisterError(f"{name}: row 1: no header row (the file is empty)")
    header_row, header = sheet.rows[0]
    where = _columns(layout, header, name, header_row)
    cols = tuple(where[role] for role in _ROLES)
    width = len(header)
    rows: list[ReceiptRow] = []
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for number, cells in sheet.rows[1:]:
        extra = (
            [i for i in range(width, len(cells)) if cells[i].strip()] if len(cells) > width else []
        )
        if extra:
            problems.append(
                Problem(
                    name, number, f"#{extra[0] + 1}", f"a value past the header's {width} columns"
                )
            )
            continue
        parsed = _row(cells, number, cols, layout, name)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        if parsed.imei in first_seen:
            problems.append(
                Problem(name, number, layout.imei, f"duplicate of row {first_seen[parsed.imei]}")
            )
            continue
        first_seen[parsed.imei] = number
        rows.append(parsed)
    return Receipt(name, sheet.encoding, rows, problems)
