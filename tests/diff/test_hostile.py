"""Hostile strings from a phone pushed through every diff format: whatever a package name, a
component, a setting value, a check title, a threat summary or a source path says, the text
output has no control character and no line of the data's making, the HTML and the Markdown
(rendered as GitHub would) have the structure a harmless string gives, and the JSON carries
the value exactly, escaped."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from rich.console import Console

from handsetguard.diff import Diff, diff_documents
from handsetguard.diff.render_html import render_html
from handsetguard.diff.render_json import render_json
from handsetguard.diff.render_markdown import render_markdown
from handsetguard.diff.render_text import render_text
from handsetguard.textsafe import visible
from tests.diff.conftest import PIXEL1_81_BUGREPORT, report
from tests.report.test_hostile_text import MD, _shape, hostile

_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _diff(text: str) -> Diff:
    """The Pixel 8.1 report (first packages only) against a copy with ``text`` everywhere a
    later acquisition's data can put it."""
    old = report(PIXEL1_81_BUGREPORT)
    old["inventory"]["packages"]["items"] = old["inventory"]["packages"]["items"][:5]
    old["source"]["path"] = text
    old["device"]["model"] = text
    new = json.loads(json.dumps(old))
    inventory = new["inventory"]
    inventory["packages"]["items"].append(
        {
            "package": text,
            "version_code": 1,
            "version_name": text,
            "installer": text,
            "system": False,
            "signers": [text],
            "signer_kind": "hashcode",
            "granted_permissions": [text],
        }
    )
    inventory["accessibility_services"]["items"].append(f"{text}/{text}")
    inventory["settings"]["items"].append({"key": "secure:default_input_method", "value": text})
    check = next(c for c in new["checks"] if c["id"] == "encryption")
    check.update(status="fail", title=text)
    new["threats"].append(
        {
            "package": text,
            "kind": "behaviour",
            "confidence": "heuristic",
            "score": 60,
            "summary": text,
            "reasons": [],
            "matches": [],
            "advice": [],
        }
    )
    return diff_documents(old, new)


def _text(result: Diff) -> str:
    console = Console(width=20_000, color_system=None, highlight=False)  # no wrapping
    with console.capture() as captured:
        render_text(result, console)
    return captured.get()


BASE = _diff("x")
BASE_TEXT_LINES = len(_text(BASE).splitlines())
BASE_HTML = _shape(render_html(BASE))
BASE_MD = _shape(MD.render(render_markdown(BASE)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_every_format_shows_the_data_and_obeys_none_of_it(text: str) -> None:
    result = _diff(text)
    assert len(result.changes) == len(BASE.changes)

    shown = _text(result)
    assert not _UNSAFE.search(shown)
    assert len(shown.splitlines()) == BASE_TEXT_LINES  # no line of the data's making
    assert visible(text) in shown

    html = _shape(render_html(result))
    assert html.tags == BASE_HTML.tags
    assert html.handlers == [] and html.comments == []
    assert visible(text) in html.codes

    md = _shape(MD.render(render_markdown(result)))
    assert md.tags == BASE_MD.tags
    assert md.handlers == [] and md.comments == []
    assert visible(text) in md.codes

    serialised = render_json(result)
    assert not re.search("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]", serialised)
    document = json.loads(serialised)
    keys = {c["key"] for f in document["facets"] for c in f["changes"]}
    assert text in keys and f"{text}/{text}" in keys
    assert document["old"]["source"]["path"] == text
