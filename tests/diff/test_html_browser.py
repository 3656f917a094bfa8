"""The diff's HTML in a real browser (Debian's headless Chromium through Playwright, as the
report's own browser tests): it renders offline with no request of any kind, leads with the
verdict, fits 390 px and 1280 px without sideways scrolling, and hostile data in it runs
nothing. Skipped when /usr/bin/chromium or playwright is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from handsetguard.diff import Diff, diff_documents
from handsetguard.diff.present import view
from handsetguard.diff.render_html import render_html
from tests.diff.conftest import PIXEL1_81_BUGREPORT, PIXEL1_BUGREPORT, report
from tests.report.test_html_browser import browser  # noqa: F401 - the shared Chromium fixture

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WIDTHS = (390, 1280)
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\x1b[31m\u202e\"'`|"


def _two_pixels() -> Diff:
    """378 changes, long paths and fingerprints: the widest page the corpus gives."""
    return diff_documents(report(PIXEL1_81_BUGREPORT), report(PIXEL1_BUGREPORT), force=True)


def _hostile() -> Diff:
    old = report(PIXEL1_81_BUGREPORT)
    new = json.loads(json.dumps(old))
    new["source"]["path"] = HOSTILE
    new["inventory"]["device_admins"]["items"].append(f"{HOSTILE}/.Admin")
    next(c for c in new["checks"] if c["id"] == "encryption").update(status="fail", title=HOSTILE)
    return diff_documents(old, new)


@pytest.fixture
def open_diff(browser: Browser, tmp_path: Path) -> Iterator[object]:  # noqa: F811
    contexts = []

    def open_(result: Diff, width: int) -> tuple[Page, list[str], list[str]]:
        path = tmp_path / f"diff-{len(contexts)}.html"
        path.write_text(render_html(result), encoding="utf-8")
        context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
        contexts.append(context)
        requests: list[str] = []
        problems: list[str] = []
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("request", lambda r: requests.append(r.url) if r.url != path.as_uri() else None)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(f"dialog {d.message}"), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(tmp_path / f"diff-{len(contexts)}-{width}.png"), timeout=30000)
        return page, requests, problems

    try:
        yield open_
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_and_leads_with_the_verdict(open_diff: object, width: int) -> None:
    result = _two_pixels()
    page, requests, problems = open_diff(result, width)  # type: ignore[operator]
    assert (requests, problems) == ([], [])
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1] == width
    assert page.locator("h1").first.inner_text() == view(result).headline
    assert page.locator("#identity").inner_text().startswith("NOT the same device")
    assert page.locator("section").count() == len(result.facets)
    assert page.locator("#facet-adb_keys").get_attribute("data-comparable") == "no"
    assert page.locator("li[data-kind=bootloader_unlocked]").count() == 1
    assert page.locator("ul.changes li").count() == len(result.changes)


@pytest.mark.parametrize("width", WIDTHS)
def test_hostile_data_is_shown_and_runs_nothing(open_diff: object, width: int) -> None:
    page, requests, problems = open_diff(_hostile(), width)  # type: ignore[operator]
    assert (requests, problems) == ([], [])
    assert page.evaluate("() => document.querySelectorAll('script, img').length") == 0
    admin = page.locator("#facet-device_admins code").first.inner_text()
    assert admin.startswith("<script>alert(1)</script><img src=x onerror=alert(2)>\\x1b[31m\\u202e")
    assert "\\x1b[31m" in page.locator("#new").inner_text()
