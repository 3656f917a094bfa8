"""Hostile strings from a phone pushed through the HTML and Markdown reports: whatever the data,
the document's structure is the one a harmless string gives (no tag, heading, list, link, image,
comment or table cell of the data's making), code spans hold the data whole, and control and
bidi-override characters are shown escaped, never emitted.

The Markdown is rendered by markdown-it-py (CommonMark with GFM tables and strikethrough, raw
HTML on, as GitHub parses it before sanitising), so what is checked is what a reader would see.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from handsetguard.checks.model import CheckId, CheckResult, EvidenceItem, Severity, Status
from handsetguard.device import DeviceIdentity
from handsetguard.evidence import CoverageEntry, CoverageStatus, Provenance
from handsetguard.gate import GateVerdict, Verdict
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.report.html import render_html
from handsetguard.report.markdown import render_markdown
from handsetguard.report.model import Report
from handsetguard.report.present import visible
from handsetguard.textsafe import visible as one_line
from handsetguard.threats.model import Confidence, Match, Reason, Threat, ThreatKind

from .conftest import build_report

# Pieces that mean something to Markdown, HTML or a terminal.
PIECES = [
    "`",
    "```",
    "~~~",
    "|",
    "\\",
    "*",
    "_",
    "~~",
    "#",
    "## ",
    "> ",
    "- ",
    "1. ",
    "    ",
    "\n",
    "\n\n",
    "\r\n",
    "<script>alert(1)</script>",
    "</details>",
    "<details>",
    "<!--",
    "-->",
    "<b>",
    "<img src=x onerror=alert(1)>",
    "[a](https://evil.example/)",
    "![i](https://evil.example/i.png)",
    "<https://evil.example/>",
    "&lt;",
    "&#60;",
    '"',
    "'",
    "---",
    "===",
    "\x1b[31m",
    "\x1b]8;;https://evil.example/\x07",
    "\u202e",
    "\u2066",
    "\x00",
    "\x85",
    "word",
    " ",
]
hostile = (
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8)
    .map("".join)
    .filter(lambda text: text.strip())  # a blank value drops its line by design
)
MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


class _Shape(HTMLParser):
    """Tag counts (``br`` aside: a line break in the data is one), event-handler attributes,
    comments, the text of code spans and headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.comments: list[str] = []
        self.handlers: list[str] = []  # on* attributes: script run by a tag
        self.codes: list[str] = []
        self.headings: list[str] = []  # h1-h3 text, whitespace removed
        self._code: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "br":
            self.tags[tag] += 1
        self.handlers += [name for name, _ in attrs if name.lower().startswith("on")]
        if tag == "code":
            self._code = []
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append("".join("".join(self._heading).split()))
            self._heading = None
        if tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _shape(html: str) -> _Shape:
    shape = _Shape()
    shape.feed(html)
    shape.close()
    return shape


def _report(text: str) -> Report:
    """The sample report with ``text`` in every field that comes from the phone."""
    check = CheckResult(
        CheckId("odd"),
        Status.FAIL,
        Severity.HIGH,
        text,
        text,
        (EvidenceItem(text, Provenance(text, 3)),),
        text,
        (text,),
        text,
    )
    missing = dataclasses.replace(check, id=CheckId("unknown"), status=Status.NOT_ASSESSED)
    app = AppPrivacy(text, text, False, (), {Category.CAMERA: CategoryAccess(2, None, 2, 1, 1)})
    base = build_report()
    return dataclasses.replace(
        base,
        source_path=text,
        device=DeviceIdentity(manufacturer=text, model=text, build_fingerprint=text),
        timezone=text,
        checks=(check, missing),
        apps=(app,),
        coverage=(CoverageEntry(text, CoverageStatus.ERROR, text, Provenance(text, 1)),),
        rating=dataclasses.replace(base.rating, capped_by=(CheckId("odd"),)),
        gate=GateVerdict(Verdict.FAIL, ("odd", "unknown(not_assessed)"), (text,), "fail"),
        collection_errors=(text,),
        threats=(_threat(text),),
    )


def _threat(text: str) -> Threat:
    """A finding whose every string is ``text`` (package, summary, reasons, match, evidence)."""
    evidence = (EvidenceItem(text, Provenance(text, 7)),)
    return Threat(
        text,
        ThreatKind.INDICATOR,
        Confidence.CERTAIN,
        100,
        text,
        (Reason("odd", text, 10, evidence),),
        (Match(text, text, text, text, text, text, evidence),),
    )


def _md_shape(report: Report) -> _Shape:
    return _shape(MD.render(render_markdown(report)))


BASE_MD = _md_shape(_report("x"))
BASE_HTML = _shape(render_html(_report("x")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_markdown_structure_is_the_data_s_no_matter_what(text: str) -> None:
    shape = _md_shape(_report(text))
    assert shape.tags == BASE_MD.tags
    assert shape.comments == []
    assert shape.handlers == []
    # Code spans hold the data whole (names and paths are single-line: a line break in them
    # is shown as \x0a by the report's sanitiser).
    # Free text (an evidence fact) keeps its line break, a space inside a code span.
    whole = {one_line(text), visible(text).replace("\n", " ")}
    assert sum(code in whole for code in shape.codes) >= BASE_MD.codes.count("x") > 0
    # A heading shows the data whole: nothing read as a closing "##" or as markup.
    assert "❌Problem:" + "".join(one_line(text).split()) in shape.headings


@settings(max_examples=150, deadline=None)
@given(hostile)
def test_html_structure_is_the_data_s_no_matter_what(text: str) -> None:
    html = render_html(_report(text))
    shape = _shape(html)
    assert shape.tags == BASE_HTML.tags
    assert shape.comments == []
    assert shape.handlers == []
    assert "Problem" + "".join(one_line(text).split()) in shape.headings
    for raw in ("\x1b", "\u202e", "\u2066", "\x00", "\x85"):
        assert raw not in html


def test_controls_and_overrides_are_shown_escaped() -> None:
    text = "ok\x1b[31mred\u202eevil\x00"
    shown = "ok\\x1b[31mred\\u202eevil\\x00"
    html = render_html(_report(text))
    markdown = render_markdown(_report(text))
    assert shown in html
    assert shown.replace("\\", "\\\\").replace("[", "\\[") in markdown  # escaped prose
    assert f"`{shown}`" in markdown  # code spans show it as it is
    for raw in ("\x1b", "\u202e", "\x00"):
        assert raw not in html and raw not in markdown
