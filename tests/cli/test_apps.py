"""``handsetguard apps``: readable at 80 and 120 columns on a real bugreport (nothing cut or
broken mid-name), JSON in the ``--sort`` order, ``-o FILE`` written whole, and only the
formats that work offered."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from handsetguard.engine import run_check
from handsetguard.privacy import Category
from handsetguard.report.apps_table import render_apps_table
from handsetguard.report.model import Report
from handsetguard.report.present import HEADLINE_CATEGORIES, format_time, select_apps
from tests.cli_runner import invoke
from tests.conftest import PIXEL1_BUGREPORT, corpus_path


@pytest.fixture(scope="module")
def pixel1() -> Report:
    """Google Pixel (sailfish), AOSP Android 10 userdebug bugreport: 14 apps with app ops in
    seven categories, package names up to 30 characters."""
    return run_check(corpus_path(PIXEL1_BUGREPORT))


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("categories", [list(HEADLINE_CATEGORIES), list(Category)])
def test_apps_view_fits_and_keeps_names_whole(
    pixel1: Report, width: int, categories: list[Category]
) -> None:
    console = Console(width=width, color_system=None, record=True, file=io.StringIO())
    render_apps_table(pixel1.apps, console, categories=categories, sort="last")
    text = console.export_text()
    rows = select_apps(pixel1.apps, categories, sort="last")
    assert len(rows) >= 3
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    # In the --sort order, every package name whole, every last-access time whole.
    where = [text.index(f"\n{a.package}\n") for a in rows]  # a line of its own
    assert where == sorted(where)
    for row in rows:
        for category in categories:
            access = row.access.get(category)
            if access is not None and access.last is not None:
                assert format_time(access.last, minutes=True) in text


def test_apps_view_is_a_table_when_it_fits(pixel1: Report) -> None:
    console = Console(width=200, color_system=None, record=True, file=io.StringIO())
    render_apps_table(pixel1.apps, console, categories=[Category.LOCATION], sort="package")
    text = console.export_text()
    assert "┃ Package" in text and "…" not in text


def _rows(*args: str) -> list[dict[str, object]]:
    code, out, err = invoke("apps", "--example", "--format", "json", *args)
    assert code == 0, err
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def test_apps_json_honours_sort_and_category() -> None:
    everything = _rows("--sort", "package")
    names = [str(row["package"]) for row in everything]
    assert names == sorted(names) and len(names) >= 5
    # Without --category every app is listed, also one that used only a non-headline category.
    assert "net.quickshare.files" in names
    by_count = _rows("--sort", "count")
    counts = [sum(a["count"] for a in row["access"].values()) for row in by_count]  # type: ignore[attr-defined]
    assert counts == sorted(counts, reverse=True)
    by_last = _rows("--sort", "last", "--category", "location")
    assert {str(row["package"]) for row in by_last} < set(names)
    lasts = [row["access"]["location"]["last"] for row in by_last]  # type: ignore[index]
    assert lasts == sorted(lasts, reverse=True)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_apps_output_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"apps.{fmt}"
    code, stdout, _ = invoke("apps", "--example", "--format", fmt, "-o", str(out))
    assert code == 0 and stdout == ""
    assert "com.whatsapp" in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left
    code, _, err = invoke("apps", "--example", "-o", str(tmp_path / "no" / "dir" / "a.txt"))
    assert code == 2 and "cannot write report" in err


def test_apps_offers_only_text_and_json() -> None:
    for fmt in ("html", "md", "verdict"):
        code, _, err = invoke("apps", "--example", "--format", fmt)
        assert code == 2 and "text" in err and "json" in err
    code, out, _ = invoke("apps", "--help")
    assert code == 0 and "<text|json>" in out


def test_apps_unknown_package_says_so() -> None:
    code, out, err = invoke("apps", "--example", "--app", "com.nosuch.app", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    assert err == "note: no app com.nosuch.app in the input\n"
