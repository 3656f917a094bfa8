"""textsafe's fast paths: a printable text (visible) and ASCII JSON without DEL (json_text) are
returned as they are, without their pattern: sound only if no character those patterns escape
is printable, nor ASCII other than DEL."""

from __future__ import annotations

import pytest

from handsetguard import textsafe
from handsetguard.textsafe import json_text, visible

_PATTERNS = {
    "one line": textsafe._ONE_LINE,
    "multi-line": textsafe._MULTI_LINE,
    "json": textsafe._JSON_RAW,
}


@pytest.mark.parametrize("name", list(_PATTERNS))
def test_every_escaped_character_is_unprintable(name: str) -> None:
    pattern = _PATTERNS[name]
    escaped = [chr(c) for c in range(0x30000) if pattern.fullmatch(chr(c))]
    assert escaped  # the pattern is not empty
    assert not [ch for ch in escaped if ch.isprintable()]
    if name == "json":
        assert [ch for ch in escaped if ch.isascii()] == ["\x7f"]


@pytest.mark.parametrize(
    "text", ["plain", "", "Pixel 9 · 設定 · किसान", "tab\there", "a\u202eb", "x\x1b[2Jy", "\ufeff"]
)
def test_same_as_the_pattern(text: str) -> None:
    assert visible(text) == textsafe._ONE_LINE.sub(textsafe._escape, text)
    assert json_text(text) == textsafe._JSON_RAW.sub(textsafe._json_escape, text)
    multi = textsafe._MULTI_LINE.sub(textsafe._escape, text.replace("\r\n", "\n"))
    assert visible(text, multiline=True) == multi


def test_printable_text_is_returned_as_is() -> None:
    text = "com.example/.Service granted=true"
    assert visible(text) is text
    assert json_text('{"a": "b"}') == '{"a": "b"}'
    assert json_text('{"a": "\x7f"}') == '{"a": "\\u007f"}'
