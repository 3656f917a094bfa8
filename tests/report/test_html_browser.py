"""The HTML report in a real browser (Debian's headless Chromium through Playwright): it renders,
makes no network request of any kind, and its small apps-table script works.

Skipped when /usr/bin/chromium or the ``playwright`` package is missing (CI installs both; never
run ``playwright install``: the test uses the distribution's Chromium).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from handsetguard.report.html import render_html
from handsetguard.report.model import Report

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install playwright)"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


class _Opened:
    """A page showing the report, with every request other than the file itself recorded."""

    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.problems: list[str] = []

    def route(self, route: Route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def request(self, request: Request) -> None:
        if request.url != self.url:
            self.requests.append(request.url)


@pytest.fixture
def opened(browser: Browser, report: Report, tmp_path: Path) -> Iterator[_Opened]:
    path = tmp_path / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    context = browser.new_context(offline=True)
    page = context.new_page()
    view = _Opened(page, path.as_uri())
    context.route("**/*", view.route)
    page.on("request", view.request)
    # A CSP violation (a blocked load) or a script error shows up here.
    page.on(
        "console",
        lambda message: (
            view.problems.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda error: view.problems.append(f"pageerror: {error}"))
    page.goto(view.url)
    page.wait_for_load_state("load")
    try:
        yield view
    finally:
        context.close()


def test_page_renders_without_network(opened: _Opened) -> None:
    page = opened.page
    assert page.title() == "Security report: Google Pixel 7 (panther)"
    badge = page.locator(".badge")
    assert badge.is_visible()
    assert badge.inner_text().split() == ["POOR", "49/100"]
    first_fix = page.locator("#fix li h3").first
    assert first_fix.is_visible()
    assert first_fix.inner_text().endswith("Bootloader is locked")
    assert page.get_by_role("heading", name="How secure is this phone?").is_visible()
    # Evidence is folded away until asked for.
    evidence = page.locator("#fix li").first.locator("details")
    assert not evidence.locator("li").first.is_visible()
    evidence.locator("summary").click()
    assert evidence.locator("li").first.is_visible()
    assert opened.requests == []
    assert opened.problems == []


def test_apps_table_rows_filter_and_sort(opened: _Opened) -> None:
    page = opened.page
    packages = page.locator("#apps tbody td.package")
    assert packages.all_inner_texts() == ["com.example.snapcam", "com.whatsapp"]
    # The script reveals the filter box and hides rows that do not match.
    page.locator("#app-filter").fill("whats")
    visible = page.locator("#apps tbody tr:visible td.package")
    assert visible.all_inner_texts() == ["com.whatsapp"]
    page.locator("#app-filter").fill("")
    # Sorting by location count, most first, then reversed.
    header = page.locator("#apps thead th", has_text="Location")
    header.click()
    assert packages.all_inner_texts() == ["com.whatsapp", "com.example.snapcam"]
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    assert packages.all_inner_texts() == ["com.example.snapcam", "com.whatsapp"]
    assert opened.requests == []
    assert opened.problems == []
