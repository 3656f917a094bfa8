"""The dashboard in a real browser (Debian's Chromium through Playwright, as the HTML report's
tests launch it) against the service on loopback: sign-in, each page at 390 px and 1280 px
without sideways scrolling, a search by IMEI, acknowledging an alert, a forged form refused,
a partner not seeing another partner's units, and no request leaving the service.

Skipped when /usr/bin/chromium or playwright is missing. Screenshots go to the tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.report.test_html_browser import ARGS, CHROMIUM
from tests.server.conftest import Env, LiveServer, make_env
from tests.server.fleet.helpers import activate, example_report, tenant
from tests.server.fleet.test_reports import _post

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

WIDTHS = (390, 1280)
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live(db_url: str) -> Iterator[tuple[Env, LiveServer]]:
    if not db_url.startswith("sqlite"):
        pytest.skip("the browser half runs on SQLite; the pages' queries are tested on both")
    environment, client = make_env(db_url)
    with client:
        server = LiveServer(client.app)
        try:
            yield environment, server
        finally:
            server.stop()


class Tab:
    def __init__(self, browser: Browser, base: str, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page: Page = self.context.new_page()
        self.base, self.outside = base, []
        self.page.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self, headers: dict[str, str]) -> None:
        self.go("/ui/login")
        self.page.fill("#token", headers["Authorization"].removeprefix("Bearer "))
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/ui/")


def _regressed(env: Env) -> tuple[Any, dict[str, Any]]:
    lava = tenant(env)
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    _post(env, lava.support, example_report(serial=unit["serial"], security_patch="2023-03-01"))
    return lava, unit


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_stays_on_the_service(
    browser: Browser, live: tuple[Env, LiveServer], width: int, tmp_path: Path
) -> None:
    env, server = live
    lava, unit = _regressed(env)
    tab = Tab(browser, server.url, width)
    tab.sign_in(lava.support)
    cookie = next(c for c in tab.context.cookies() if c["name"] == "hg_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert tab.page.evaluate("() => document.cookie") == ""  # not readable by script
    pages = {
        "overview": "/ui/",
        "alerts": "/ui/alerts",
        "search": f"/ui/search?q={unit['imei1']}",
        "unit": f"/ui/units/{unit['device_id']}",
    }
    for name, path in pages.items():
        page = tab.go(path)
        assert page.locator("h1").count() == 1, name
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate(OVERFLOW) <= 1, f"{name} scrolls sideways at {width} px"
    assert tab.go("/ui/").locator("svg.chart g.bar").count() == 6
    assert tab.outside == []
    tab.context.close()


def test_search_by_imei_then_acknowledge(browser: Browser, live: tuple[Env, LiveServer]) -> None:
    env, server = live
    lava, unit = _regressed(env)
    tab = Tab(browser, server.url, 390)
    tab.sign_in(lava.support)
    page = tab.go("/ui/search")
    page.fill("#q", unit["imei2"])
    page.click("form.filters button")
    page.click(f"a[href='/ui/units/{unit['device_id']}']")
    assert page.locator(".tier-host td").count() > 0
    alert = page.locator("li.alert.open").first
    assert "patch_backwards:os" in alert.inner_text()
    alert.locator("input[name=note]").fill("customer re-flashed, checked")
    alert.locator("button").click()
    page.wait_for_load_state()
    assert page.locator("li.alert.open").count() == 0
    acknowledged = env.ok("GET", "/v1/alerts", lava.support, params={"status": "acknowledged"})
    assert acknowledged["items"][0]["note"] == "customer re-flashed, checked"
    tab.context.close()


def test_a_forged_form_is_refused_and_partners_are_apart(
    browser: Browser, live: tuple[Env, LiveServer]
) -> None:
    env, server = live
    lava, unit = _regressed(env)
    alert = env.ok("GET", "/v1/alerts", lava.support)["items"][0]
    tab = Tab(browser, server.url, 1280)
    tab.sign_in(lava.support)
    page = tab.go("/ui/alerts")
    # The same form without the session's CSRF token (what another page could post).
    page.evaluate("() => document.querySelector('form.ack input[name=csrf]').value = 'forged'")
    page.locator("form.ack input[name=note]").first.fill("forged")
    page.locator("form.ack button").first.click()
    page.wait_for_load_state()
    assert "Refused" in page.locator("h1").inner_text()
    still = env.ok("GET", "/v1/alerts", lava.support, params={"device_id": unit["device_id"]})
    assert [a["status"] for a in still["items"]] == ["open"] and alert["status"] == "open"
    tab.context.close()

    other = tenant(env, "Other OEM Pvt Ltd")
    theirs = Tab(browser, server.url, 1280)
    theirs.sign_in(other.support)
    page = theirs.go(f"/ui/search?q={unit['imei1']}")
    assert page.locator("ul.results li").count() == 0
    assert "Not found" in theirs.go(f"/ui/units/{unit['device_id']}").locator("h1").inner_text()
    assert theirs.go("/ui/alerts").locator("li.alert").count() == 0
    theirs.context.close()
