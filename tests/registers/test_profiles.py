"""Register profiles are data: the bundled defaults for India, Sri Lanka, Nepal and
Bangladesh load and validate, a changed layout (headers, order, a fixed column, the date
format, the receipt's words) changes the files with no code change, and a broken profile is
one line naming the file and the table."""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

import handsetguard.registers as registers
from handsetguard.registers import (
    BatchRow,
    Constants,
    RegisterError,
    load_profiles,
    parse,
    render_csv,
    table,
)
from handsetguard.registers.profiles import PROFILES_ENV

BUNDLED = Path(registers.__file__).parent / "registers.toml"
ROW = BatchRow(
    "SN00000001",
    "351234560000010",
    "351234560000028",
    "Z60",
    datetime(2026, 10, 15, 10, tzinfo=UTC),
)


def test_public_names_are_pinned() -> None:
    assert sorted(registers.__all__) == sorted(
        [
            "BatchRow",
            "Blocklist",
            "Constants",
            "Problem",
            "Receipt",
            "ReceiptRow",
            "RegisterError",
            "RegisterProfile",
            "content_hash",
            "escape_cell",
            "is_imei",
            "load_profiles",
            "parse",
            "parse_blocklist",
            "profile_from_dict",
            "render_csv",
            "render_xlsx",
            "table",
        ]
    )


def test_bundled_profiles_cover_the_four_licensed_territories() -> None:
    profiles = load_profiles()
    assert {t: p.register for t, p in profiles.items()} == {
        "IN": "IN-ICDR",
        "LK": "LK-TRCSL",
        "NP": "NP-MDMS",
        "BD": "BD-NEIR",
    }
    assert profiles["IN"].due == "before_first_sale"
    assert {p.due for t, p in profiles.items() if t != "IN"} == {"before_import"}
    for profile in profiles.values():
        fields = {c.field for c in profile.layout.columns}
        assert {"imei1", "imei2", "brand", "model", "licence_number"} <= fields
        assert profile.to_dict()["layout"]["columns"][0]["header"]


def _csv(profiles_path: Path | None, territory: str) -> list[list[str]]:
    profile = load_profiles(profiles_path)[territory]
    cells = table(profile.layout, Constants("Lava", "BTRC-VE-117"), [ROW])
    return list(csv.reader(io.StringIO(render_csv(cells).decode(), newline="")))


def test_a_changed_layout_needs_no_code_change(tmp_path: Path) -> None:
    """What an OEM does when its NEIR account shows another layout: edit its copy of the
    file. Headers renamed and reordered, a fixed column added, another date format."""
    text = BUNDLED.read_text(encoding="utf-8")
    start = text.index("[registers.BD.layout]")
    end = text.index("[registers.BD.receipt]")
    changed = (
        text[:start]
        + (
            "[registers.BD.layout]\n"
            'sheet = "Upload"\n'
            'date_format = "%Y%m%d"\n'
            "columns = [\n"
            '  { header = "imei_primary", field = "imei1" },\n'
            '  { header = "imei_secondary", field = "imei2" },\n'
            '  { header = "device_type", text = "Smartphone" },\n'
            '  { header = "mfg_date", field = "manufacturing_date" },\n'
            '  { header = "enlistment", field = "licence_number" },\n'
            "]\n\n"
        )
        + text[end:].replace(
            'imei = "IMEI"\nstatus = "Status"\nreason = "Reason"',
            'imei = "imei_primary"\nstatus = "outcome"\nreason = "why"',
            1,
        )
    )
    path = tmp_path / "registers.toml"
    path.write_text(changed, encoding="utf-8")
    assert _csv(None, "BD")[0][0] == "Vendor Enlistment No"  # the default
    assert _csv(path, "BD") == [
        ["imei_primary", "imei_secondary", "device_type", "mfg_date", "enlistment"],
        ["351234560000010", "351234560000028", "Smartphone", "20261015", "BTRC-VE-117"],
    ]
    receipt = load_profiles(path)["BD"].receipt
    parsed = parse(
        b"imei_primary,outcome,why,NEIR Reference\n351234560000010,blocked,stolen,\n",
        "r.csv",
        receipt,
    )
    assert [(r.imei, r.accepted, r.reason) for r in parsed.rows] == [
        ("351234560000010", False, "stolen")
    ]


def test_the_environment_variable_names_the_operators_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(BUNDLED.read_text().replace('register = "IN-ICDR"', 'register = "IN-X"'))
    monkeypatch.setenv(PROFILES_ENV, str(path))
    assert load_profiles()["IN"].register == "IN-X"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('field = "imei1" }', 'field = "imei9" }'), "unknown field 'imei9'"),
        (('due = "before_first_sale"', 'due = "someday"'), "'due' must be one of"),
        (
            ('{ header = "IMEI 2", field = "imei2" }', '{ header = "IMEI 1", field = "imei2" }'),
            "two columns have the same header",
        ),
        (
            (
                'accepted = ["accepted", "registered", "success", "approved"]',
                'accepted = ["rejected"]',
            ),
            "both accepted and rejected",
        ),
        (("[registers.IN]", "[registers.India]"), "registers.India: not an ISO 3166-1"),
        (('reason = "Remarks"\n', ""), "'reason' must be a non-empty string"),
    ],
)
def test_a_broken_profile_is_one_line_naming_file_and_table(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    text = BUNDLED.read_text()
    assert edit[0] in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(RegisterError) as caught:
        load_profiles(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message and "\n" not in caught.value.message


def test_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(b"\xff\xfe[registers")
    with pytest.raises(RegisterError, match="not a valid UTF-8 TOML file"):
        load_profiles(path)
    assert tomllib  # the stdlib parser is the one in use
