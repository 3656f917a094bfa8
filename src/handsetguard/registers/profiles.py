"""Register profiles as data: who runs each territory's equipment-identity register, when
registration is due, and the column layouts of its batch file and result file (receipt)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from handsetguard.boundedio import read_bounded
from handsetguard.errors import HandsetGuardError

__all__ = [
    "DUE",
    "FIELDS",
    "PROFILES_ENV",
    "Column",
    "Layout",
    "ReceiptLayout",
    "RegisterError",
    "RegisterProfile",
    "load_profiles",
    "profile_from_dict",
]

PROFILES_ENV = "HANDSETGUARD_REGISTER_PROFILES"
FIELDS = frozenset(
    {
        "imei1",
        "imei2",
        "meid",
        "serial",
        "brand",
        "model",
        "tac",
        "manufacturing_date",
        "licence_number",
    }
)
DUE = frozenset({"before_first_sale", "before_import", "before_activation_on_network"})
_MAX_BYTES = 1024 * 1024


class RegisterError(HandsetGuardError):
    """A register profile, batch file or receipt is malformed (names the file, row, column)."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    field: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    columns: tuple[Column, ...]
    sheet: str = "Sheet1"
    date_format: str = "%Y-%m-%d"


@dataclass(frozen=True, slots=True)
class ReceiptLayout:
    imei: str
    status: str
    reason: str
    reference: str
    accepted: frozenset[str]
    rejected: frozenset[str]


@dataclass(frozen=True, slots=True)
class RegisterProfile:
    territory: str
    register: str
    name: str
    authority: str
    due: str
    basis: str
    identifiers: tuple[str, ...]
    licence_label: str
    layout: Layout
    receipt: ReceiptLayout

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain data, as frozen into a batch (:func:`profile_from_dict`)."""
        return {
            "territory": self.territory,
            "register": self.register,
            "name": self.name,
            "authority": self.authority,
            "due": self.due,
            "basis": self.basis,
            "identifiers": list(self.identifiers),
            "licence_label": self.licence_label,
            "layout": {
                "sheet": self.layout.sheet,
                "date_format": self.layout.date_format,
                "columns": [
                    {"header": c.header, "field": c.field}
                    if c.field is not None
                    else {"header": c.header, "text": c.text}
                    for c in self.layout.columns
                ],
            },
            "receipt": {
                "imei": self.receipt.imei,
                "status": self.receipt.status,
                "reason": self.receipt.reason,
                "reference": self.receipt.reference,
                "accepted": sorted(self.receipt.accepted),
                "rejected": sorted(self.receipt.rejected),
            },
        }


def _text(where: str, table: dict[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RegisterError(f"{where}: '{key}' must be a non-empty string")
    return value


def _words(where: str, table: dict[str, Any], key: str) -> frozenset[str]:
    value = table.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RegisterError(f"{where}: '{key}' must be a non-empty list of strings")
    return frozenset(v.strip().casefold() for v in value)


def _column(where: str, index: int, raw: Any) -> Column:
    here = f"{where}.columns[{index}]"
    if not isinstance(raw, dict) or set(raw) - {"header", "field", "text"}:
        raise RegisterError(f"{here}: a column is {{header, field}} or {{header, text}}")
    header = _text(here, raw, "header")
    if ("field" in raw) == ("text" in raw):
        raise RegisterError(f"{here} ({header}): give exactly one of 'field' or 'text'")
    if "text" in raw:
        if not isinstance(raw["text"], str):
            raise RegisterError(f"{here} ({header}): 'text' must be a string")
        return Column(header, text=raw["text"])
    if raw["field"] not in FIELDS:
        raise RegisterError(
            f"{here} ({header}): unknown field {raw['field']!r}; use one of {sorted(FIELDS)}"
        )
    return Column(header, field=str(raw["field"]))


def _layout(where: str, raw: Any) -> Layout:
    if not isinstance(raw, dict):
        raise RegisterError(f"{where}: missing [layout] table")
    columns = raw.get("columns")
    if not isinstance(columns, list) or not columns:
        raise RegisterError(f"{where}: 'columns' must be a non-empty list")
    parsed = tuple(_column(where, i, c) for i, c in enumerate(columns))
    headers = [c.header.strip().casefold() for c in parsed]
    if len(set(headers)) != len(headers):
        raise RegisterError(f"{where}: two columns have the same header")
    if not any(c.field == "imei1" for c in parsed):
        raise RegisterError(f"{where}: the layout has no imei1 column")
    date_format = raw.get("date_format", "%Y-%m-%d")
    sheet = raw.get("sheet", "Sheet1")
    if not isinstance(date_format, str) or not isinstance(sheet, str) or not sheet:
        raise RegisterError(f"{where}: 'date_format' and 'sheet' must be strings")
    return Layout(parsed, sheet=sheet[:31], date_format=date_format)


def _receipt(where: str, raw: Any) -> ReceiptLayout:
    if not isinstance(raw, dict):
        raise RegisterError(f"{where}: missing [receipt] table")
    layout = ReceiptLayout(
        imei=_text(where, raw, "imei"),
        status=_text(where, raw, "status"),
        reason=_text(where, raw, "reason"),
        reference=_text(where, raw, "reference"),
        accepted=_words(where, raw, "accepted"),
        rejected=_words(where, raw, "rejected"),
    )
    if layout.accepted & layout.rejected:
        raise RegisterError(f"{where}: a status word is both accepted and rejected")
    return layout


def profile_from_dict(territory: str, raw: dict[str, Any], where: str = "") -> RegisterProfile:
    """One validated profile (a table of the data file, or a batch's frozen copy)."""
    where = where or f"registers.{territory}"
    due = _text(where, raw, "due")
    if due not in DUE:
        raise RegisterError(f"{where}: 'due' must be one of {sorted(DUE)}")
    identifiers = raw.get("identifiers", [])
    if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
        raise RegisterError(f"{where}: 'identifiers' must be a list of strings")
    return RegisterProfile(
        territory=territory,
        register=_text(where, raw, "register"),
        name=_text(where, raw, "name"),
        authority=_text(where, raw, "authority"),
        due=due,
        basis=str(raw.get("basis", "")),
        identifiers=tuple(identifiers),
        licence_label=str(raw.get("licence_label", "licence number")),
        layout=_layout(f"{where}.layout", raw.get("layout")),
        receipt=_receipt(f"{where}.receipt", raw.get("receipt")),
    )


def load_profiles(path: Path | None = None) -> dict[str, RegisterProfile]:
    """The register of each territory: from ``path``, else the file named by
    ``HANDSETGUARD_REGISTER_PROFILES``, else the documented defaults shipped here."""
    if path is None and os.environ.get(PROFILES_ENV):
        path = Path(os.environ[PROFILES_ENV])
    if path is None:
        name = "registers.toml (bundled)"
        data = (resources.files("handsetguard.registers") / "registers.toml").read_bytes()
    else:
        name = str(path)
        data = read_bounded(path, _MAX_BYTES, RegisterError)
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RegisterError(f"{name}: not a valid UTF-8 TOML file ({exc})") from exc
    tables = document.get("registers")
    if not isinstance(tables, dict) or not tables:
        raise RegisterError(f"{name}: no [registers.XX] tables")
    profiles = {}
    for territory, raw in tables.items():
        if not (len(territory) == 2 and territory.isascii() and territory.isupper()):
            raise RegisterError(f"{name}: registers.{territory}: not an ISO 3166-1 alpha-2 code")
        if not isinstance(raw, dict):
            raise RegisterError(f"{name}: registers.{territory} must be a table")
        profiles[territory] = profile_from_dict(territory, raw, f"{name}: registers.{territory}")
    return profiles
