"""The threats section of every format: at the very top (after a gate's verdict, before the
rating), the bundled example's stalkerware-like app as the first finding (Android 14 example,
KS-60), plain words with evidence, safety advice, and golden files of a report with a certain
indicator match and a behaviour finding."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from rich.console import Console

from handsetguard.report.html import render_html
from handsetguard.report.markdown import render_markdown
from handsetguard.report.model import Report
from handsetguard.report.terminal import render_terminal
from tests.cli_runner import invoke

from .conftest import with_threats

FAMILY = "com.tracker.familylocator"
SENTENCE = "This app can read your screen and notifications, is a device administrator"


def _check(fmt: str, *extra: str) -> str:
    code, out, _ = invoke("check", "--example", "--format", fmt, *extra)
    assert code in (0, 3)
    return out


def _flat(text: str) -> str:
    """Whitespace folded; an HTML page from its body on (its title names the level)."""
    return " ".join(text[max(text.find("<body"), 0) :].split())


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_the_example_s_stalkerware_is_the_first_thing_said(fmt: str) -> None:
    out = _flat(_check(fmt))
    threats = out.index("Possible spyware or stalkerware")
    rating = out.index("Rating")
    assert threats < rating
    # The first package the report names is the finding's, with its sentence right after.
    assert out.index(FAMILY) < rating
    assert out.index(SENTENCE) > out.index(FAMILY)
    assert "behaves like stalkerware (score 100/100)" in out
    assert "may alert them" in out and "stopstalkerware.org" in out


def test_the_example_s_stalkerware_is_the_first_json_threat() -> None:
    data = json.loads(_check("json"))
    assert [t["package"] for t in data["threats"]] == [FAMILY]
    assert data["threats"][0]["summary"].startswith(SENTENCE)


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_after_a_gate_verdict_and_before_the_rating(fmt: str) -> None:
    out = _flat(_check(fmt, "--profile", "factory"))
    verdict = out.index("FAIL")
    threats = out.index("Possible spyware or stalkerware")
    assert verdict < threats < out.index("Rating")
    assert f"threat:{FAMILY}" in out or f"{FAMILY}: {SENTENCE}" in out  # a gate reason


def _terminal(report: Report) -> str:
    console = Console(width=100, color_system=None, file=io.StringIO(), record=True)
    render_terminal(report, console)
    return console.export_text()


RENDERERS: dict[str, Callable[[Report], str]] = {
    "terminal_threats.txt": _terminal,
    "markdown_threats.md": render_markdown,
    "html_threats.html": render_html,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_threats_golden(golden: Callable[[str, str], None], name: str) -> None:
    golden(name, RENDERERS[name](with_threats()))


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_threats_ordered_with_evidence_and_weights(name: str) -> None:
    out = RENDERERS[name](with_threats())
    flat = _flat(out)
    assert flat.index("com.spy.truth") < flat.index("com.android.sys.update") < flat.index("POOR")
    assert "known stalkerware or spyware (TheTruthSpy)" in flat
    assert "behaves like stalkerware (score 85/100)" in flat
    assert "is in the indicator set stalkerware-indicators" in flat
    assert "+25" in flat and "hides its icon from the list of apps" in flat
    assert "disabled for user 0: com.android.sys.update.Main" in flat
    assert "5302" in flat  # the evidence's line


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_safe_output_wording(name: str) -> None:
    out = _flat(RENDERERS[name](with_threats(advice=(), safe_output=True)))
    assert "Apps that need a closer look" in out
    assert "matches a published indicator (TheTruthSpy)" in out and "score 85/100" in out
    assert "behaves like stalkerware" not in out and "Before you act" not in out


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_no_threats_no_section(name: str) -> None:
    from .conftest import build_report

    out = RENDERERS[name](build_report())
    assert "spyware" not in out.replace("known stalkerware or spyware) caps", "")
    assert "closer look" not in out
