"""``handsetguard apps`` for people (report/apps_table.py) on fixed-width colourless consoles:
a table when it fits, a block per app when not — goldens, row order, cells, nothing cut.

Regenerate the goldens after an intended change with ``UPDATE_GOLDEN=1 pytest tests/report``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.report.apps_table import break_at_dots, render_apps_table
from handsetguard.report.model import Report

Golden = Callable[[str, str], None]
PACKAGES = ("com.example.quiet", "com.example.snapcam", "com.whatsapp")


def _apps(
    apps: tuple[AppPrivacy, ...], categories: list[Category] | None, sort: str, width: int = 100
) -> str:
    console = Console(
        width=width, color_system=None, record=True, file=io.StringIO(), force_terminal=False
    )
    render_apps_table(apps, console, categories=categories, sort=sort)
    return console.export_text()


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in output:\n{text}")


def test_apps_view_matches_golden(report: Report, golden: Golden) -> None:
    # Two categories at 100 columns do not fit a table whole: one block per app.
    golden(
        "apps_camera_location.txt", _apps(report.apps, [Category.CAMERA, Category.LOCATION], "last")
    )
    golden("apps_all.txt", _apps(report.apps, None, "package", width=160))


@pytest.mark.parametrize("width", [60, 80, 100, 160])
@pytest.mark.parametrize(
    ("categories", "sort", "expected"),
    [
        # snapcam's camera use (10:40) is later than whatsapp's location use (09:12)
        ([Category.CAMERA, Category.LOCATION], "last", ["com.example.snapcam", "com.whatsapp"]),
        # whatsapp: 5 location accesses, snapcam: 3 camera accesses
        ([Category.CAMERA, Category.LOCATION], "count", ["com.whatsapp", "com.example.snapcam"]),
        ([Category.LOCATION, Category.CAMERA], "package", ["com.example.snapcam", "com.whatsapp"]),
        ([Category.MICROPHONE], "last", ["com.example.snapcam"]),
        (None, "package", ["com.example.quiet", "com.example.snapcam", "com.whatsapp"]),
    ],
)
def test_apps_rows_in_order_at_every_width(
    report: Report, categories: list[Category] | None, sort: str, expected: list[str], width: int
) -> None:
    text = _apps(report.apps, categories, sort, width=width)
    assert sorted(expected, key=lambda name: _line_of(text, name)) == expected
    assert [name for name in PACKAGES if name in text] == sorted(expected)
    assert max(len(line) for line in text.splitlines()) <= width


def test_apps_table_columns_and_cells(report: Report) -> None:
    text = _apps(report.apps, [Category.MICROPHONE], "last")
    header = text.splitlines()[_line_of(text, "Package")]
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "Package",
        "microphone",
        "Installer",
        "System",
    ]
    assert "2 (1 rej) · 2025-11-22 18:05" in text
    assert "com.android.vending" in text


def test_apps_without_matches_and_bad_sort(report: Report) -> None:
    assert "No app has recorded access to sms." in _apps(report.apps, [Category.SMS], "last")
    with pytest.raises(ValueError, match="unknown app sort 'newest'"):
        _apps(report.apps, [Category.CAMERA], "newest")


@pytest.mark.parametrize(
    ("name", "width", "lines"),
    [
        ("com.whatsapp", 80, ["com.whatsapp"]),
        ("com.google.android.apps.messaging", 20, ["com.google.android.", "apps.messaging"]),
        ("a.b.c", 2, ["a.", "b.", "c"]),
        # A part longer than the width is left whole (the console folds it, nothing is lost).
        ("com.averyveryverylongpart.x", 10, ["com.", "averyveryverylongpart.", "x"]),
        ("nodots", 3, ["nodots"]),
    ],
)
def test_break_at_dots(name: str, width: int, lines: list[str]) -> None:
    assert break_at_dots(name, width) == lines
    assert "".join(lines) == name


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("width", [60, 200])
def test_hostile_names_are_shown_not_obeyed(width: int) -> None:
    access = {Category.CAMERA: CategoryAccess(1, None, 0, 0, 0)}
    apps = (
        AppPrivacy(
            "com.evil\x1b]8;;http://x\x07.app\u202egpj", "\x1b[2J\x9bstore", False, (), access
        ),
    )
    text = _apps(apps, [Category.CAMERA], "last", width=width)
    assert not _CONTROLS.search(text)
    assert "com.evil\\x1b]8;;http://x\\x07.app\\u202egpj" in text.replace("\n", "")
    assert "\\x1b[2J\\x9bstore" in text


@given(
    package=st.text(min_size=1, max_size=60),
    installer=st.one_of(st.none(), st.text(max_size=40)),
)
def test_any_name_prints_without_controls(package: str, installer: str | None) -> None:
    access = {Category.LOCATION: CategoryAccess(2, None, 1, 0, 0)}
    text = _apps((AppPrivacy(package, installer, None, (), access),), [Category.LOCATION], "last")
    assert not _CONTROLS.search(text)
