"""The HTML report: escaping, self-containment, ordering and well-formed structure."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from handsetguard.checks.model import CheckId, CheckResult, Severity, Status
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import FORMULA, Level, Rating
from handsetguard.report.html import render_html
from handsetguard.report.model import SCHEMA_VERSION, Report

MakeReport = Callable[..., Report]

VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Every attribute through which a page can make the browser fetch something.
URL_ATTRIBUTES = frozenset(
    {
        "src",
        "href",
        "action",
        "formaction",
        "data",
        "poster",
        "srcset",
        "background",
        "cite",
        "longdesc",
        "manifest",
        "ping",
        "xlink:href",
    }
)


class _Page(HTMLParser):
    """Records tags, URL attributes, check rows and nesting errors of a document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.urls: list[tuple[str, str, str]] = []
        self.check_rows: list[tuple[str, str]] = []
        self.headings: list[str] = []  # the text of every h1-h6, in order
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        values = {name: value or "" for name, value in attrs}
        self.urls.extend(
            (tag, name, value) for name, value in values.items() if name in URL_ATTRIBUTES
        )
        if tag in HEADINGS:
            self._heading = []
        if values.get("id", "").startswith("check-"):
            self.check_rows.append((values["id"].removeprefix("check-"), values["class"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.errors.append(f"self-closing non-void <{tag}/>")
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADINGS and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        if tag in VOID:
            self.errors.append(f"end tag for void element </{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_structure_is_balanced(report: Report) -> None:
    html = render_html(report)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    page = _parse(html)
    assert page.errors == []
    assert page.stack == []
    for tag in ("html", "head", "body", "main", "footer", "title", "style", "script"):
        assert page.counts.get(tag) == 1, tag
    assert page.counts["h1"] == 1
    assert page.counts["table"] == 1  # the apps; checks are a list of cards
    assert page.counts["details"] >= 1


def test_no_external_references(report: Report) -> None:
    html = render_html(report)
    page = _parse(html)
    assert page.counts.get("link", 0) == 0
    assert page.counts.get("img", 0) == 0
    assert page.counts.get("iframe", 0) == 0
    for tag, name, value in page.urls:
        assert not re.match(r"\s*(https?:|//|[a-z][a-z0-9+.-]*:)", value, re.IGNORECASE), (
            tag,
            name,
            value,
        )
        assert value.startswith("#"), (tag, name, value)
    assert "url(" not in html
    assert "@import" not in html
    assert "default-src 'none'" in html


def test_untrusted_text_is_escaped(make_report: MakeReport) -> None:
    evil = "<script>alert(1)</script>"
    app = AppPrivacy(
        f"com.evil{evil}",
        f"inst{evil}",
        False,
        (),
        {Category.CAMERA: CategoryAccess(1, None, 0, 1, 0)},
    )
    check = CheckResult(
        CheckId("evil"),
        Status.FAIL,
        Severity.HIGH,
        f"title{evil}",
        f'detail{evil} & "quoted"',
        (),
        f"fix{evil}",
        (f"ref{evil}",),
    )
    html = render_html(make_report(apps=(app,), checks=(check,), source_path=f"/x{evil}"))
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "detail&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quoted&#34;" in html
    # Only the page's own script tag remains.
    assert html.count("<script") == 1
    assert _parse(html).errors == []


def test_every_check_present_failed_first(report: Report) -> None:
    page = _parse(render_html(report))
    assert sorted(check_id for check_id, _ in page.check_rows) == sorted(
        c.id for c in report.checks
    )
    statuses = [css.split()[-1].removeprefix("status-") for _, css in page.check_rows]
    order = ["fail", "warn", "not_assessed", "pass"]
    assert statuses == sorted(statuses, key=order.index)
    assert statuses[0] == "fail" and statuses[-1] == "pass"


def test_what_to_fix_first_has_problems_with_remediation(report: Report) -> None:
    html = render_html(report)
    fix = html[html.index('<section id="fix">') : html.index('<section id="checks">')]
    titles = re.findall(r"</span> (.+)</h3>", fix)
    # Each outcome's own headline, never the wanted state.
    assert titles == [
        "Bootloader is unlocked",
        "USB debugging is on",
        "Security patch is getting old",
    ]
    assert "Bootloader is locked" not in html
    assert "How to fix:</strong> Re-lock the bootloader with `fastboot flashing lock`" in fix
    assert "Storage is encrypted" not in fix
    assert "<details>" in fix and "ro.boot.flash.locked=0" in fix


def test_plain_language_sections_rating_and_footer(report: Report) -> None:
    html = render_html(report)
    page = _parse(html)
    # The level leads; every heading is words for people, no internal id.
    assert page.headings[0] == "Rating: POOR 49/100"
    assert page.headings[1:] == [
        "What could not be checked, and why",  # the level is forced on partial evidence
        "What to fix first",
        "Problem Bootloader is unlocked",
        "Problem USB debugging is on",
        "Worth a look Security patch is getting old",
        "All checks",
        "Problem Bootloader is unlocked",
        "Problem USB debugging is on",
        "Worth a look Security patch is getting old",
        "Could not check Screen lock unknown",
        "OK Storage is encrypted",
        "OK SELinux is enforcing",
        "OK Time is set automatically",
        "About the phone",
        "Which apps used your camera, microphone, location, contacts or messages?",
        "What this report could not read",
        "Missing from the input",
        "Could not be understood",
    ]
    for heading in page.headings:
        assert not any(c.id in heading for c in report.checks), heading
    assert (
        '<p class="meta">Check: Bootloader lock · seriousness: critical · id '
        "<code>bootloader_locked</code></p>"
    ) in html
    assert 'style="width: 49%"' in html
    assert '<a href="#check-bootloader_locked">Bootloader is unlocked</a>' in html
    assert "Rated on partial evidence" in html
    assert "<strong>Assessed 6 of 7 checks, 81% of the weight.</strong>" in html
    assert '<a href="#check-screen_lock">Screen lock</a>' in html
    assert 'class="badge' not in html  # the h1 carries the level when there is no gate
    assert str(escape(FORMULA)) in html
    assert SCHEMA_VERSION in html
    assert "HandsetGuard 0.1.0" in html
    assert "2025-11-23 10:44:46 +05:30 (acquisition time recorded in the input)" in html


def test_apps_table_rows_and_cells(report: Report) -> None:
    html = render_html(report)
    apps = html[html.index('<table id="apps">') :]
    apps = apps[: apps.index("</table>")]
    packages = re.findall(r'<td class="package" data-value="([^"]*)">', apps)
    # Most recent access first; com.example.quiet used nothing and is only counted.
    assert packages == ["com.example.snapcam", "com.whatsapp"]
    assert "1 other installed app recorded no access." in html
    headers = re.findall(r'<th data-sort="[a-z]+">([^<]+)</th>', apps)
    assert headers == [
        "App (package), installed by",
        "Camera",
        "Microphone",
        "Location",
        "Contacts",
        "SMS",
        "Calendar",
    ]
    # Units in words; a label per cell for the stacked cards of narrow screens.
    assert (
        '<td data-label="Camera" data-value="3">3 times, <span class="bg">1 in the background'
        '</span><br><small>last used <span class="nw">2025-11-23</span> <span class="nw">10:40'
        "</span></small></td>"
    ) in apps
    assert '2 times, <span class="rej">1 refused</span>' in apps
    assert "installed by <code>com.android.vending</code> · system app: no" in apps
    assert "installed by an unrecorded installer · system app: unknown" in apps
    assert " bg" not in apps and "rej)" not in apps


def test_coverage(report: Report) -> None:
    html = render_html(report)
    coverage = html[html.index('<section id="coverage">') :]
    assert "2 sections of the input read." in coverage
    assert coverage.index("Missing from the input") < coverage.index("dumpsys:lock_settings")
    assert coverage.index("Could not be understood") < coverage.index("dumpsys:device_policy")
    assert "unexpected line &#39;Device Owner: {&#39;" in coverage


@pytest.mark.parametrize("apps_unavailable", [None, "dumpsys appops missing from x.zip"])
def test_degenerate_report(make_report: MakeReport, apps_unavailable: str | None) -> None:
    html = render_html(
        make_report(
            rating=Rating(Level.NOT_RATED, None, (), 0),
            apps=(),
            apps_unavailable=apps_unavailable,
            coverage=(),
            checks=(),
        )
    )
    page = _parse(html)
    assert page.errors == [] and page.stack == []
    assert 'Rating: <span class="word level-not_rated">NOT RATED</span> not scored' in html
    assert "Nothing in the input could be checked, so the phone is not rated." in html
    assert "Nothing to fix" not in html  # nothing was checked: that is not a clean result
    assert "not complete enough to say there is nothing to fix" in html
    assert '<table id="apps">' not in html
    if apps_unavailable:
        assert f"<strong>Not available:</strong> {apps_unavailable}" in html
    else:
        assert "No app has recorded access to these kinds of data." in html
