"""The HTML report in a real browser (Debian's headless Chromium through Playwright): it renders,
makes no network request of any kind, leads with the verdict or level, fits a 390 px phone and a
1280 px desktop without sideways scrolling, and its small apps-table script works.

Skipped when /usr/bin/chromium or the ``playwright`` package is missing (CI installs both; never
run ``playwright install``: the test uses the distribution's Chromium). Full-page screenshots of
every layout are written to the test's tmp dir (``--basetemp DIR`` to keep them somewhere).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from handsetguard.engine import run_check
from handsetguard.evidence import SourceKind
from handsetguard.gate import Verdict
from handsetguard.profiles.rating import Level
from handsetguard.report.headline import score_text, verdict_sentence
from handsetguard.report.html import render_html
from handsetguard.report.model import Report
from handsetguard.report.present import level_text
from handsetguard.sources import open_source

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
# An AndroidQF extraction of mvt-project/mvt's test data: no getprop, no settings, so most checks
# cannot be assessed and the consumer profile's coverage floor is not met.
INCOMPLETE = Path("/work/shared/corpus/device/mvt-tests/android_data")
WIDTHS = (390, 1280)


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


class Open(Protocol):
    def __call__(self, report: Report, width: int, *, script: bool = True) -> _Opened: ...


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[Open]:
    """``open_report(report, width)``: the report in a fresh offline page ``width`` px wide."""
    contexts = []

    def open_(report: Report, width: int, *, script: bool = True) -> _Opened:
        path = tmp_path / f"report-{len(contexts)}.html"
        path.write_text(render_html(report), encoding="utf-8")
        context = browser.new_context(
            offline=True, viewport={"width": width, "height": 900}, java_script_enabled=script
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)  # a local file: anything slower is a failure
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
        return view

    try:
        yield open_
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def opened(open_report: Open, report: Report) -> _Opened:
    return open_report(report, 1280)


def _example(profile: str) -> Report:
    ref = resources.files("handsetguard.examples").joinpath("example-bugreport.txt")
    with resources.as_file(ref) as path:
        evidence = open_source(path)
    # What `handsetguard check --example` reports as its source.
    evidence.kind = SourceKind.EXAMPLE
    evidence.path = "(bundled example) example-bugreport.txt"
    return run_check(evidence, profile)


def _incomplete() -> Report:
    if not INCOMPLETE.is_dir():
        pytest.skip(f"corpus not present: {INCOMPLETE}")
    return run_check(INCOMPLETE)


def _first_heading(report: Report) -> str:
    """What the page's first heading must say: the gate's verdict, else the threats found,
    else the level."""
    if report.gate is not None:
        return f"FAIL {verdict_sentence(report)}"
    if report.threats:
        return "Possible spyware or stalkerware"
    return f"Rating: {level_text(report.rating.level)} {score_text(report.rating)}"


# name: (report builder, what the report must be for the layout to test what it is meant to)
LAYOUTS: dict[str, tuple[Callable[[], Report], Callable[[Report], bool]]] = {
    "example": (lambda: _example("consumer"), lambda r: r.gate is None),
    "factory-gate": (
        lambda: _example("factory"),
        lambda r: r.gate is not None and r.gate.verdict is Verdict.FAIL,
    ),
    "incomplete": (_incomplete, lambda r: r.rating.level is Level.INCOMPLETE),
}

_OVERFLOW = """(selector) => Array.from(document.querySelectorAll(selector)).filter(
  (el) => el.scrollWidth > el.clientWidth + 1
    || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
).map((el) => el.id || el.className || el.tagName)"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_fits_and_leads_with_the_verdict(
    open_report: Open, tmp_path: Path, name: str, width: int
) -> None:
    build, meant = LAYOUTS[name]
    report = build()
    assert meant(report), (report.gate, report.rating)
    opened = open_report(report, width)
    page = opened.page
    page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
    # No sideways scrolling of the page itself.
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], sizes
    assert sizes[1] == width
    # The checks and the fix list never overflow, nor does any card, heading or paragraph in
    # them; only the apps table's own container may scroll.
    assert page.locator("#checks li.check").count() > 0
    selectors = ("#checks ol", "#checks li", "#fix", "#fix li", "#headline", "#about dd")
    for selector in (*selectors, "#threats", "#threats li", "#threats code"):
        assert page.evaluate(_OVERFLOW, selector) == [], selector
    if page.locator("#apps").count():
        assert page.evaluate(_OVERFLOW, "#apps-section > :not(.table-wrap)") == []
        if width == 390:  # stacked cards: the table itself fits
            assert page.evaluate(_OVERFLOW, "#apps, #apps tr") == []
    # The verdict or level is the first heading on the page.
    heading = page.locator("h1, h2, h3, h4, h5, h6").first
    assert heading.evaluate("(el) => el.tagName") == "H1"
    assert " ".join(heading.inner_text().split()) == _first_heading(report)
    assert heading.is_visible()
    assert opened.requests == []
    assert opened.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_incomplete_is_never_green_and_lists_what_was_not_checked(
    open_report: Open, width: int
) -> None:
    page = open_report(_incomplete(), width).page
    green = "rgb(30, 123, 52)"  # --pass
    assert page.locator(".badge").count() == 0  # no gate: the h1 carries the level
    for selector in ("h1 .word", ".bar span"):
        assert page.locator(selector).first.evaluate(
            "(el) => getComputedStyle(el).backgroundColor"
        ) not in (green, ""), selector
    assert "over what was checked" in page.locator("h1").inner_text()
    coverage = page.locator("#coverage-sentence").inner_text()
    assert re.match(r"Assessed \d+ of \d+ checks, \d+% of the weight\.", coverage), coverage
    assert page.locator("#not-checked").is_visible()
    assert page.locator("ul.not-checked li").first.is_visible()
    assert page.locator("ul.not-checked li").count() >= 10
    assert "Nothing to fix" not in page.locator("body").inner_text()


def test_gate_verdict_comes_before_the_rating(open_report: Open) -> None:
    report = _example("factory")
    assert report.gate is not None
    page = open_report(report, 1280).page
    verdict = page.locator("h1").bounding_box()
    rating = page.locator("#rating").bounding_box()
    assert verdict is not None and rating is not None
    assert verdict["y"] < rating["y"]
    reasons = page.locator("ul.gate-items li")
    assert reasons.count() == len(report.gate.failing) > 0
    assert "unknown_sources" not in reasons.first.inner_text()  # titles, not ids


def test_page_renders_without_network(opened: _Opened) -> None:
    page = opened.page
    assert page.title() == "POOR · Security report: Google Pixel 7 (panther)"
    assert page.locator("h1").inner_text().split() == ["Rating:", "POOR", "49/100"]
    assert page.locator(".badge").count() == 0
    first_fix = page.locator("#fix li h3").first
    assert first_fix.is_visible()
    assert first_fix.inner_text().endswith("Bootloader is unlocked")
    assert page.get_by_role("heading", name="All checks").is_visible()
    # Evidence is folded away until asked for.
    evidence = page.locator("#fix li").first.locator("details")
    assert not evidence.locator("li").first.is_visible()
    evidence.locator("summary").click()
    assert evidence.locator("li").first.is_visible()
    assert opened.requests == []
    assert opened.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_apps_table_rows_filter_and_sort(open_report: Open, report: Report, width: int) -> None:
    opened = open_report(report, width)
    page = opened.page
    packages = page.locator("#apps tbody td.package > code")
    assert packages.all_inner_texts() == ["com.example.snapcam", "com.whatsapp"]
    # The script reveals the filter box and hides rows that do not match (cards too).
    page.locator("#app-filter").fill("whats")
    visible = page.locator("#apps tbody tr:visible td.package > code")
    assert visible.all_inner_texts() == ["com.whatsapp"]
    page.locator("#app-filter").fill("")
    assert visible.count() == 2
    if width == 390:
        # Cards: a labelled line per category used, none for the ones not used.
        camera = page.locator("#apps tbody tr").first.locator("td[data-label='Camera']")
        label = camera.evaluate("(el) => getComputedStyle(el, '::before').content")
        assert label == '"Camera: "'
        assert page.locator("#apps thead").is_hidden()
        assert page.locator("#apps tbody tr").first.locator("td.empty").first.is_hidden()
    else:
        # Sorting by location count, most first, then reversed.
        header = page.locator("#apps thead th", has_text="Location")
        header.click()
        assert packages.all_inner_texts() == ["com.whatsapp", "com.example.snapcam"]
        assert header.get_attribute("aria-sort") == "descending"
        header.click()
        assert packages.all_inner_texts() == ["com.example.snapcam", "com.whatsapp"]
    assert opened.requests == []
    assert opened.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_everything_readable_without_javascript(
    open_report: Open, report: Report, tmp_path: Path, width: int
) -> None:
    opened = open_report(report, width, script=False)
    page = opened.page
    page.screenshot(path=str(tmp_path / f"no-script-{width}.png"), full_page=True)
    assert page.locator("h1").is_visible()
    assert page.locator("#checks li.check:visible").count() == len(report.checks)
    assert page.locator("#apps tbody tr:visible").count() == 2
    assert page.locator("#app-filter-row").is_hidden()  # the script's extra, absent here
    sizes = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], sizes
    assert opened.requests == []
    assert opened.problems == []
