"""The one sanitiser for untrusted text: anything read from a phone, a dump, an APK or a
certificate is shown as data, never obeyed as terminal control, markup or direction change.

``visible`` shows C0/C1 control characters, DEL, NUL and the ANSI/OSC/CSI escapes they start
as ``\\x1b``-style escapes, and the invisible characters that make text read differently from
what it is — bidi embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069,
U+200E/U+200F, U+061C), zero-width space and word joiner, BOM, line and paragraph separators —
as ``\\u202e``-style escapes. It is idempotent (escaping twice changes nothing) and leaves every
other character, Devanagari, Bengali, Sinhala and emoji included, alone; ZWJ and ZWNJ stay
because Indic scripts need them. ``json_text`` makes serialised JSON safe to print the same way
without changing the value a parser reads.
"""

from __future__ import annotations

import re

from handsetguard.lazyre import lazy_compile

__all__ = ["json_text", "visible"]

_DIRECTION_AND_INVISIBLE = (
    "\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff"
)
_ONE_LINE = lazy_compile(f"[\\x00-\\x1f\\x7f-\\x9f{_DIRECTION_AND_INVISIBLE}]")
# Multi-line text keeps tab and newline (a CR is shown: it can rewrite a terminal line).
_MULTI_LINE = lazy_compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_DIRECTION_AND_INVISIBLE}]")
# json.dumps already escapes C0 controls; DEL, C1 and the invisible characters it leaves.
_JSON_RAW = lazy_compile(f"[\\x7f-\\x9f{_DIRECTION_AND_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match[0]):04x}"


def visible(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control and invisible steering character shown as an escape;
    ``multiline`` keeps newlines and tabs (CRLF becomes LF)."""
    if text.isprintable():
        # Every character the patterns match is unprintable (Unicode "Other" or "Separator"):
        # the common case costs one C loop, and no pattern is compiled for it.
        return text
    if multiline:
        return _MULTI_LINE.sub(_escape, text.replace("\r\n", "\n"))
    return _ONE_LINE.sub(_escape, text)


def json_text(serialised: str) -> str:
    """Serialised JSON (``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls and
    invisible steering characters written as ``\\uXXXX`` escapes: the same JSON value, safe
    to show in a terminal or an editor."""
    if serialised.isascii() and "\x7f" not in serialised:
        return serialised  # DEL is the only ASCII character escaped here
    return _JSON_RAW.sub(_json_escape, serialised)
