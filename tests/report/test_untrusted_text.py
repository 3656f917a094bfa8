"""Untrusted text through every format: every string of a report (device identity, check
details, evidence, locations and zip member names, coverage, app names, gate reasons) is
poisoned with hostile characters, and no renderer may emit a raw control sequence, a bidi
override or an invisible character, nor crash; JSON keeps the values exactly as read."""

from __future__ import annotations

import dataclasses
import enum
import io
import json
import re
from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from handsetguard.gate import GateVerdict, Verdict, verdict_line
from handsetguard.report.apps_table import render_apps_table
from handsetguard.report.html import render_html
from handsetguard.report.json_report import render_json
from handsetguard.report.markdown import render_markdown
from handsetguard.report.model import Report
from handsetguard.report.safe import safe_report
from handsetguard.report.terminal import render_terminal
from handsetguard.textsafe import json_text, visible
from tests.report.conftest import build_report, with_threats

# What must never reach a reader raw: C0 (but newline and tab), DEL, C1, bidi controls and
# marks, zero-width space, word joiner, BOM, line/paragraph separators.
_RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_HOSTILE = [
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07",  # OSC 8 hyperlink
    "\x9b31m",  # C1 CSI
    "\x1b[8m",  # conceal
    "\u202egpj.exe",
    "\u2066isolate\u2069",
    "a\u200bb",
    "\x00",
    "\r",
    "\n",
    "[/]",
    "[link=https://evil.example]x[/link]",
    "[bold red]EXCELLENT[/]",
    "<script>alert(1)</script>",
    "<details open ontoggle=alert(1)>",
    "~~~",
    "```",
    "`",
    "| a | b |",
    "Rating EXCELLENT 100/100",
    "देवनागरी",  # must survive unchanged
]
hostile = st.lists(st.sampled_from(_HOSTILE) | st.text(max_size=4), min_size=1, max_size=5).map(
    "".join
)


def _poison(value: object, text: str) -> object:
    """Every string in a report part prefixed with ``text`` (enum values left alone)."""
    if isinstance(value, str):
        return text + value
    if value is None or isinstance(value, bool | int | float | enum.Enum | datetime | date):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value,
            **{
                f.name: _poison(getattr(value, f.name), text)
                for f in dataclasses.fields(value)
                if f.init and f.name not in ("formula",)
            },
        )
    if isinstance(value, tuple):
        return tuple(_poison(item, text) for item in value)
    if isinstance(value, dict):
        return {k: _poison(v, text) for k, v in value.items()}
    return value


def _report(text: str) -> Report:
    gate = GateVerdict(Verdict.FAIL, ("usb_debugging",), ("usb_debugging: adb on",), "fail")
    poisoned = _poison(with_threats(gate=gate, collection_errors=("cut",)), text)
    assert isinstance(poisoned, Report)
    return poisoned


def _terminal(report: Report) -> str:
    console = Console(width=100, color_system=None, file=io.StringIO(), record=True)
    render_terminal(report, console, verbose=True)
    render_apps_table(report.apps, console, categories=None)
    return console.export_text()


@settings(max_examples=40, deadline=None)
@given(text=hostile)
def test_no_format_passes_hostile_text_through(text: str) -> None:
    report = _report(text)
    outputs = {
        "text": _terminal(report),
        "html": render_html(report),
        "md": render_markdown(report),
        "verdict": visible(verdict_line(report.gate, report.device.serial, report.device.model))
        if report.gate
        else "",
        "json": render_json(report),
    }
    for name, out in outputs.items():
        raw = _RAW.search(out)
        assert raw is None, (name, repr(raw[0]) if raw else None, repr(text))
    assert "\n" not in outputs["verdict"]
    # JSON keeps the values exactly as they were read.
    data = json.loads(outputs["json"])
    assert data["device"]["model"] == report.device.model
    assert data["checks"][0]["evidence"][0]["fact"] == report.checks[0].evidence[0].fact
    assert data["threats"][0]["matches"][0]["value"] == report.threats[0].matches[0].value
    assert data["threats"][1]["summary"] == report.threats[1].summary


def test_rich_markup_and_escapes_in_data_are_shown_not_obeyed() -> None:
    text = _terminal(_report("[bold red]X[/] [link=https://e.example]y[/link] [/] \x1b[2J"))
    assert "[bold red]X[/]" in text
    assert "[link=https://e.example]y[/link]" in text
    assert "\\x1b[2J" in text


def test_a_zip_member_name_cannot_forge_the_final_screen() -> None:
    """A member named ``bugreport-\\e[2J\\e[H…Rating EXCELLENT 100/100…\\e[8m.txt`` must show
    its escapes; the real rating stays the report's."""
    member = "bugreport-\x1b[2J\x1b[HRating EXCELLENT 100/100 every check passed\x1b[8m.txt"
    report = build_report(source_path=f"/cases/{member}")
    text = _terminal(report)
    assert "\x1b" not in text
    assert "Rating POOR  49/100" in text


def test_the_sanitiser_is_idempotent_and_leaves_scripts_alone() -> None:
    for sample in _HOSTILE:
        once = visible(sample, multiline=True)
        assert visible(once, multiline=True) == once
    assert visible("देवनागरी ক ශ්‍රී 😀") == "देवनागरी ক ශ්‍රී 😀"
    assert visible("a\nb") == "a\\x0ab"
    assert visible("a\nb", multiline=True) == "a\nb"
    report = build_report()
    assert safe_report(safe_report(report)) == safe_report(report) == report


def test_json_text_keeps_the_value() -> None:
    value = {"model": "\u202eevil\x7f\x85\u200b"}
    out = json_text(json.dumps(value, ensure_ascii=False))
    assert _RAW.search(out) is None
    assert json.loads(out) == value
