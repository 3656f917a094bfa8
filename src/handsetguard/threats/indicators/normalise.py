"""One spelling per indicator value, so that a lookup is one hash probe: hex digests, domains,
package names and property names lower case; a URL as parsers.links.normalise_url spells it; a
certificate as DER. Also the guard that keeps a
published regex from backtracking without end."""

from __future__ import annotations

import re

from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.links import normalise_url

__all__ = ["MAX_PATTERN_CHARS", "java_hashcode", "normalise", "unsafe_regex_reason"]

_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = lazy_compile(r"[0-9a-f]+")
_MAX_VALUE = 4096
_CONTROL = lazy_compile(r"[\x00-\x1f\x7f]")
MAX_PATTERN_CHARS = 512
"""Longest regex accepted from an indicator set (Echap's one CN pattern is 70 characters)."""


def normalise(kind: str, raw: str) -> tuple[str | None, str]:
    """The lookup form of ``raw`` for indicator type ``kind``, or None and why not."""
    value = raw.strip()
    if not value:
        return None, "has an empty value"
    if len(value) > _MAX_VALUE and kind != "app:cert.der":
        return None, f"value longer than {_MAX_VALUE} characters"
    if _CONTROL.search(value) and kind != "app:cert.der":
        return None, "value with control characters"
    algo = kind.rpartition(".")[2]
    if kind.startswith(("file:hashes.", "app:cert.")) and algo in _HEX_LENGTHS:
        value = value.lower().replace(":", "")
        if len(value) != _HEX_LENGTHS[algo] or _HEX.fullmatch(value) is None:
            return None, f"is not a {algo} digest: {value[:80]!r}"
        return value, ""
    if kind == "app:cert.der":
        return _der(value)
    if kind == "app:cert.cname-pattern":
        why = unsafe_regex_reason(value)
        return (None, why) if why else (value, "")
    if kind == "url:value":
        return normalise_url(value), ""
    if kind in ("domain-name:value", "app:id", "android-property:name", "email-addr:value"):
        value = value.lower().rstrip(".") if kind == "domain-name:value" else value.lower()
    if kind == "app:cert.organization":
        value = value.casefold()
    return value, ""


def _der(value: str) -> tuple[str | None, str]:
    """A certificate given as PEM or base64 DER → base64 of its DER bytes."""
    import base64  # only when a set is compiled (never in a check that reads the cache)
    import binascii

    body = re.sub(r"-----[A-Z ]+-----|\s", "", value)
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None, "is not a base64 or PEM certificate"
    if len(der) < 64 or der[0] != 0x30:
        return None, "is not a DER certificate (too short or not a SEQUENCE)"
    return base64.b64encode(der).decode("ascii"), ""


def java_hashcode(der: bytes) -> str:
    """``Integer.toHexString(Arrays.hashCode(cert))``: what ``dumpsys package`` prints for a
    signing certificate (``android.content.pm.Signature.hashCode`` hashes the DER bytes, each a
    signed Java byte; 32-bit wrap-around)."""
    h = 1
    for byte in der:
        h = (31 * h + (byte - 256 if byte > 127 else byte)) & 0xFFFFFFFF
    return f"{h:x}"


# Constructs that make Python's backtracking engine exponential or that need a state per match.
_BACKREFERENCE = lazy_compile(r"\\[1-9]|\(\?P=")
_LOOKAROUND = lazy_compile(r"\(\?<?[=!]")


def unsafe_regex_reason(pattern: str) -> str | None:
    """Why ``pattern`` may not be compiled into the index (None: it may).

    Refused: longer than :data:`MAX_PATTERN_CHARS`, back-references, look-arounds, named or
    inline-flag groups, and a quantified group that itself contains a quantifier or an
    alternation (``(a+)+``, ``(a|aa)*``: the shapes of catastrophic backtracking). What remains
    is matched in time linear in the text for the patterns published so far."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regex longer than {MAX_PATTERN_CHARS} characters"
    if _BACKREFERENCE.search(pattern) or _LOOKAROUND.search(pattern):
        return "regex with a back-reference or look-around"
    if "(?P<" in pattern or re.search(r"\(\?[aiLmsux-]", pattern):
        return "regex with a named group or inline flags"
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"invalid regex ({exc})"
    return _nested_quantifier(pattern)


def _nested_quantifier(pattern: str) -> str | None:
    # Per open group: whether it holds a quantifier or an alternation.
    stack: list[bool] = [False]
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern.startswith(("[]", "[^]"), i):
                i += 2 if pattern.startswith("[]", i) else 3
                continue
        elif char == "(":
            stack.append(False)
        elif char == ")" and len(stack) > 1:
            inner = stack.pop()
            if inner and pattern[i + 1 : i + 2] in ("*", "+", "?", "{"):
                return "regex with a quantified group that repeats inside (backtracking)"
            stack[-1] = stack[-1] or inner
        elif char in "*+{|" or (char == "?" and i and pattern[i - 1] not in "(*+?}"):
            stack[-1] = True
        i += 1
    return None
