"""The parsers' hot patterns use possessive repeats, or a look-behind moved after a literal
(issue 10's speed pass): each must find exactly what its former form finds — the same spans
and groups with ``finditer``, ``match`` and ``fullmatch`` — on hostile random text built from
the pieces that matter around each repeat, and on every line of the corpus dumps they read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.parsers import appops, dumpsys_package, links, package_builder, package_mentions
from handsetguard.parsers import settings as settings_parser
from tests.conftest import corpus_path

# (the pattern in use, its backtracking form as it was written before, pieces to build text of)
_NAME = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+"
_OP = r"[A-Za-z][A-Za-z0-9_]{0,80}(?:\(-?\d{1,9}\))?"
_MODE = r"[a-z]{1,20}|mode=-?\d{1,9}"
PAIRS = {
    "grant": (
        dumpsys_package._GRANT_LINE,
        r"\n[^\S\n]*([^\s:,]+): granted=(true|false)\b",
        ["a", "Z9", ".", ":", ",", " ", "\t", "\n", ": granted=", "granted=", "true", "false"],
    ),
    "permission_name": (
        dumpsys_package._NAME_LINE,
        r"\n[^\S\n]*([^\s:,]+)",
        ["a", "Z9", ".", ":", ",", " ", "\t", "\n", "\x1c", "\u2028"],
    ),
    "duration": (
        appops._DURATION,
        r"([+-])?(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m(?!s))?(?:(\d{1,9})s)?(?:(\d{1,9})ms)?",
        ["+", "-", "0", "1234567890", "d", "h", "m", "s", "ms"],
    ),
    "legacy_time": (
        appops._LEGACY_TIME,
        r"; time=(\S{1,40}) ago",
        ["; time=", "+1s", "x" * 41, " ago", " ", "\t", ";"],
    ),
    "legacy_reject": (
        appops._LEGACY_REJECT,
        r"; rejectTime=(\S{1,40}) ago",
        ["; rejectTime=", "+1s", "x" * 41, " ago", " ", ";"],
    ),
    "settings_row": (
        settings_parser._ROW,
        r"_id:(\S*) name:(\S*)(?: pkg:(\S*))? value:",
        ["_id:", "1", " name:", "a", " pkg:", "b", " value:", " ", "\t", ":"],
    ),
    "resolver": (
        package_mentions._PATTERNS["resolver"],
        r"\n +[0-9a-f]{1,16} ([A-Za-z][\w.]*)/",
        ["\n", " ", "0a9f", "0123456789abcdef0", "z", "A", ".", "_", "/", "é", "ab"],
    ),
    "history": (
        package_mentions._PATTERNS["history"],
        rf'=(?:u[0-9]+a[0-9]+|[0-9]+):"({_NAME})[/"]',
        ["=", "u", "0", "a", "19", ':"', "c", ".", "x", "/", '"', "_"],
    ),
    "daily": (
        package_mentions._PATTERNS["daily"],
        rf"[ \t]+(?:Update|Install|Uninstall) ({_NAME})",
        [" ", "\t", "Update ", "Install ", "Uninstall ", "c", ".", "x_9", "-"],
    ),
    "process": (
        package_mentions._PATTERNS["process"],
        rf"\*\* Database info for pid [0-9]+ \[({_NAME})\]",
        ["** Database info for pid ", "12", " [", "c", ".", "x", "]", " "],
    ),
    "data_dir": (
        package_mentions._PATTERNS["data_dir"],
        rf"/data/(?:user(?:_de)?/[0-9]+|data)/({_NAME})/",
        ["/data/", "user/", "user_de/", "data/", "0", "c", ".", "x", "/"],
    ),
    "overrides": (
        package_mentions._OVERRIDE_NAME,
        rf"({_NAME})=",
        ["c", ".", "x_9", "=", ";", "9"],
    ),
    "name": (package_mentions._NAME_ONLY, _NAME, ["c", ".", "x_9", "-", "9"]),
    "signatures": (
        package_builder._SIGNATURES,
        r"(?<!past )signatures:\[([^\]]*)\]",
        ["signatures:[", "past ", "past", " ", "a21a2de9", ",", "]", "[", "version:1, "],
    ),
    "scheme": (
        links._SCHEME,
        r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30})://",
        ["http", "x" * 31, "://", ":", "/", "+", ".", "-", " ", "9", "dat="],
    ),
    "op_header": (
        appops._OP_HEADER,
        rf"({_OP}) \(({_MODE})(?: / switch {_OP}=(?:{_MODE}))?\):",
        [
            "CAMERA",
            "x" * 81,
            "(",
            ")",
            "-1",
            "123456789",
            " ",
            "(allow",
            "mode=3",
            " / switch ",
            "=",
            "):",
            ":",
        ],
    ),
    "mode_line": (
        appops._MODE_LINE,
        rf"({_OP}): mode=([^\s;]{{1,20}})(.*)",
        ["CAMERA", "x" * 81, "(", ")", "-1", "12", ": mode=", "allow", ";", " ", "; time=+1s"],
    ),
}


def _same(ours: re.Pattern[str], theirs: re.Pattern[str], text: str) -> None:
    assert [(m.span(), m.groups()) for m in ours.finditer(text)] == [
        (m.span(), m.groups()) for m in theirs.finditer(text)
    ]
    for method in ("match", "fullmatch"):
        mine, old = getattr(ours, method)(text), getattr(theirs, method)(text)
        assert (mine and (mine.span(), mine.groups())) == (old and (old.span(), old.groups()))


@pytest.mark.parametrize("name", sorted(PAIRS))
@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_possessive_pattern_finds_what_its_backtracking_form_finds(
    name: str, data: st.DataObject
) -> None:
    pattern, old, pieces = PAIRS[name]
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=24)))
    _same(pattern, re.compile(old), text)  # type: ignore[arg-type]


CORPUS = [
    "device/meizu-mx6-android7.1-bugreport/bugreport.zip",
    "device/emulator-sdkgphone-x86-android9-bugreport/bugreport.zip",
]


# The sections each pattern reads.
READS = {
    "grant": ("dumpsys:package",),
    "permission_name": ("dumpsys:package",),
    "duration": ("dumpsys:appops",),
    "legacy_time": ("dumpsys:appops",),
    "legacy_reject": ("dumpsys:appops",),
    "settings_row": ("dumpsys:settings", "settings:"),
    "resolver": ("dumpsys:package",),
    "history": ("dumpsys:batterystats",),
    "daily": ("dumpsys:batterystats",),
    "process": ("dumpsys:dbinfo",),
    "data_dir": ("dumpsys:dbinfo",),
    "overrides": ("dumpsys:platform_compat", "dumpsys:dbinfo"),
    "name": ("dumpsys:dbinfo",),
    "signatures": ("dumpsys:package",),
    "scheme": ("dumpsys:activity", "dumpsys:shortcut"),
    "op_header": ("dumpsys:appops",),
    "mode_line": ("dumpsys:appops",),
}


@pytest.mark.parametrize("zip_name", CORPUS)
def test_the_same_matches_on_corpus_dumps(zip_name: str) -> None:
    """Meizu MX6 (Android 7.1, Flyme) and the Android 9 emulator: each pattern on the sections
    it reads, whole (finditer) and line by line (match, fullmatch)."""
    from handsetguard.sources import open_source

    evidence = open_source(Path(corpus_path(zip_name)))
    tried = 0
    for name, (pattern, old, _) in PAIRS.items():
        theirs = re.compile(old)
        for section, found in evidence.sections.items():
            if not section.startswith(READS[name]):
                continue
            text = found.text
            _same(pattern, theirs, text)  # type: ignore[arg-type]
            for method in ("match", "fullmatch"):
                mine, before = getattr(pattern, method), getattr(theirs, method)
                for line in text.split("\n"):
                    a, b = mine(line), before(line)
                    assert (a and (a.span(), a.groups())) == (b and (b.span(), b.groups()))
            tried += 1
    assert tried >= 8
