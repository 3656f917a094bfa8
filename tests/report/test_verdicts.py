"""What the HTML and Markdown reports say first, on the sample report varied: the gate's verdict
(PASS / FAIL / ERROR) leads when there is one, an incomplete level is never a clean result,
partial input is said at the top, and "Nothing to fix" appears only when it is true."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from handsetguard.checks.model import CheckId, Status
from handsetguard.evidence import CoverageEntry, CoverageStatus, Provenance
from handsetguard.gate import GateVerdict, Verdict
from handsetguard.profiles.rating import Coverage, Level, Rating
from handsetguard.report.html import render_html
from handsetguard.report.markdown import render_markdown
from handsetguard.report.model import Report

from .conftest import CHECKS, build_report

Golden = Callable[[str, str], None]
FLOOR = "every critical check and 60% of the weight"
GATE_FAIL = GateVerdict(
    Verdict.FAIL,
    ("bootloader_locked", "usb_debugging", "screen_lock(not_assessed)"),
    (
        "bootloader_locked: The bootloader is unlocked",
        "usb_debugging: adb_enabled=1",
        "screen_lock(not_assessed): dumpsys lock_settings is missing from the input.",
    ),
    "fail",
)
CUT = "dumpsys package: timed out after 30 s"


def _gate(verdict: GateVerdict) -> Report:
    return build_report(profile="factory", gate=verdict)


def _incomplete() -> Report:
    """Only the low and passing checks assessed: the criticals could still lower the level."""
    checks = tuple(
        c
        if c.id in ("auto_time", "selinux_enforcing")
        else dataclasses.replace(
            c,
            status=Status.NOT_ASSESSED,
            title=f"{c.name} unknown",
            detail=f"the input does not record what the {c.name.lower()} check reads",
            evidence=(),
        )
        for c in CHECKS
    )
    coverage = Coverage(2, 7, 11, 55, ("encryption", "bootloader_locked"), False, FLOOR)
    return build_report(
        checks=checks, rating=Rating(Level.INCOMPLETE, 100, (), 2, coverage=coverage)
    )


def _clean() -> Report:
    checks = tuple(dataclasses.replace(c, status=Status.PASS) for c in CHECKS)
    coverage = Coverage(7, 7, 55, 55, (), True, FLOOR)
    parsed = tuple(
        dataclasses.replace(e, status=CoverageStatus.PARSED) for e in build_report().coverage
    )
    return build_report(
        checks=checks,
        rating=Rating(Level.EXCELLENT, 100, (), 7, coverage=coverage),
        coverage=parsed,
    )


def _head(text: str, end: str) -> str:
    return text[: text.index(end)]


def test_gate_fail_leads_both_formats(golden: Golden) -> None:
    report = _gate(GATE_FAIL)
    html, markdown = render_html(report), render_markdown(report)
    golden("html_gate_fail.html", html)
    golden("markdown_gate_fail.md", markdown)
    head = _head(html, '<section id="rating"')
    assert (
        '<h1><span class="word verdict-fail">FAIL</span> 3 checks failed the factory gate.</h1>'
        in head
    )
    # The failing checks by their outcome, with reasons; the id never in a headline.
    assert '<a href="#check-bootloader_locked">Bootloader is unlocked</a>: The bootloader' in head
    assert (
        '<a href="#check-screen_lock">Screen lock unknown</a>: could not be checked, and this '
        "gate counts that as a failure: dumpsys lock_settings" in head
    )
    assert "bootloader_locked:" not in head
    assert html.index("<h1>") < html.index('class="badge level-poor"')
    assert "The rating is secondary here: the factory gate decides." in html
    first = markdown.splitlines()[0]
    assert first == "# ❌ FAIL: 3 checks failed the factory gate."
    md_head = _head(markdown, "**Rating: POOR")
    assert "- **Bootloader is unlocked**: The bootloader is unlocked" in md_head
    assert "- **USB debugging is on**: adb_enabled=1" in md_head
    assert "**Rating: POOR · 49/100** (secondary here: the factory gate decides)" in markdown


def test_gate_on_warn_says_so() -> None:
    warned = _gate(dataclasses.replace(GATE_FAIL, threshold="warn"))
    sentence = "3 checks failed or need attention, and the factory gate fails on either."
    assert f"FAIL</span> {sentence}</h1>" in render_html(warned)
    assert render_markdown(warned).startswith(f"# ❌ FAIL: {sentence}\n")


def test_gate_pass_and_error() -> None:
    passed = _gate(GateVerdict(Verdict.PASS, (), (), "fail"))
    assert (
        '<h1><span class="word verdict-pass">PASS</span> Every check of the factory gate '
        "passed.</h1>" in render_html(passed)
    )
    assert render_markdown(passed).startswith(
        "# ✅ PASS: Every check of the factory gate passed.\n"
    )
    error = dataclasses.replace(
        _gate(GateVerdict(Verdict.ERROR, (), (CUT,), "fail")), collection_errors=(CUT,)
    )
    html, markdown = render_html(error), render_markdown(error)
    head = _head(html, '<section id="rating"')
    assert "ERROR</span> The phone could not be judged: its collection was cut short.</h1>" in head
    assert f"<li>{CUT}</li>" in head
    assert f"The collection from the phone was cut short: {CUT}" in head  # partial note
    assert markdown.startswith("# ⛔ ERROR: The phone could not be judged")
    assert f"- {CUT}\n" in markdown
    assert "Nothing to fix" not in html + markdown


@pytest.mark.parametrize("render", [render_html, render_markdown])
def test_incomplete_is_not_a_clean_result(render: Callable[[Report], str]) -> None:
    text = render(_incomplete())
    assert "INCOMPLETE" in text
    assert "100/100 over what was checked" in text
    assert "Assessed 2 of 7 checks, 20% of the weight." in text
    assert "Too little could be checked to rate this phone" in text
    assert "What could not be checked, and why" in text
    assert "Storage encryption" in text and "Bootloader lock" in text
    assert "Nothing to fix" not in text
    assert "not complete enough to say there is nothing to fix" in text


def test_incomplete_is_never_green() -> None:
    html = render_html(_incomplete())
    assert 'class="word level-incomplete"' in html
    assert '<span class="level-incomplete" style="width: 100%">' in html
    css = html[html.index("<style>") : html.index("</style>")]
    assert ".level-incomplete { background: var(--incomplete); }" in css
    assert "--incomplete: #5b3f8c" in css


@pytest.mark.parametrize("render", [render_html, render_markdown])
def test_nothing_to_fix_only_when_true(render: Callable[[Report], str]) -> None:
    assert "Nothing to fix: everything needed was checked and nothing failed." in render(_clean())
    # The same clean checks, but the collection was cut short: not a clean result.
    cut = dataclasses.replace(_clean(), collection_errors=(CUT,))
    assert "Nothing to fix" not in render(cut)


@pytest.mark.parametrize("render", [render_html, render_markdown])
def test_partial_input_is_said_at_the_top(render: Callable[[Report], str]) -> None:
    truncated = CoverageEntry(
        "dumpsys:package", CoverageStatus.TRUNCATED, "file ends", Provenance("bugreport.txt", 9)
    )
    report = build_report(
        coverage=(*build_report().coverage, truncated),
        collection_errors=(CUT,),
        clock_unset="1970-01-01 00:00:12",
    )
    text = render(report)
    top = text[: text.index("What to fix first")]
    assert "The input was cut short (bugreport.txt:9)" in top
    assert f"The collection from the phone was cut short: {CUT}" in top
    assert "The phone&#39;s clock was not set" in top or "The phone's clock was not set" in top
    # ... and the cut section is listed with what could not be read.
    unread = text[text.index("What this report could not read") :]
    assert "dumpsys:package" in unread and "cut short" in unread.lower()


def test_every_report_states_its_coverage() -> None:
    for report in (build_report(), _gate(GATE_FAIL), _incomplete(), _clean()):
        coverage = report.rating.coverage
        assert coverage is not None
        sentence = f"Assessed {coverage.assessed} of {coverage.total} checks"
        html, markdown = render_html(report), render_markdown(report)
        assert sentence in _head(html, "<main>")
        assert sentence in _head(markdown, "## What to fix first")


def test_sample_reports_match_golden(golden: Golden) -> None:
    report = build_report()
    golden("html_report.html", render_html(report))
    golden("markdown_report.md", render_markdown(report))
    golden("markdown_incomplete.md", render_markdown(_incomplete()))


def test_ids_stay_out_of_headlines() -> None:
    ids = [c.id for c in CHECKS]
    markdown = render_markdown(_gate(GATE_FAIL))
    for line in markdown.splitlines():
        if line.startswith("#") or line.startswith("- **"):
            assert not any(CheckId(i) in line for i in ids), line


@pytest.mark.parametrize("render", [render_html, render_markdown])
def test_fix_first_is_most_serious_first(render: Callable[[Report], str]) -> None:
    # Report order puts the low failure first; the fix list must not.
    low = dataclasses.replace(CHECKS[6], status=Status.FAIL, title="Time is set by hand")
    text = render(build_report(checks=(low, *CHECKS[:6])))
    fix = text[text.index("What to fix first") : text.index("All checks")]
    order = ["Bootloader is unlocked", "USB debugging is on", "Time is set by hand"]
    assert [fix.index(title) for title in order] == sorted(fix.index(t) for t in order)
    assert fix.index("Time is set by hand") < fix.index("Security patch is getting old")
