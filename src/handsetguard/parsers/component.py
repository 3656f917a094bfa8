"""Android component names (``pkg/cls``, ``pkg/.Cls``) read the way the platform reads them, and
the record of a list entry that is not one: every security-relevant list parser shares these.

``ComponentName.unflattenFromString`` (AOSP ``frameworks/base/core/java/android/content/
ComponentName.java``) takes everything before the first ``/`` as the package and everything
after it as the class, a class starting with ``.`` being relative to the package. It checks
neither half, so this module adds only what Android itself enforces elsewhere:

- a package name is ASCII letters, digits and ``_`` in ``.``-separated segments of any length
  (``FrameworkParsingPackageUtils.validateName``; it also wants each segment to start with a
  letter, which is not required here: a looser package is read, looked up and, not being
  installed, judged third-party);
- a class name is ``.``-separated dex ``SimpleName`` segments (an ``$`` or ``-`` is allowed,
  and so are letters of any script): https://source.android.com/docs/core/runtime/dex-format
  (``SimpleNameChar``). A service whose class is not a loadable name cannot run; such text is
  not a component but an :class:`Unreadable` entry (a zero-width space, a bidi override, a
  control character).
"""

from __future__ import annotations

from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = [
    "Component",
    "MAX_UNREADABLE_TEXT",
    "Unreadable",
    "is_component",
    "is_package_name",
    "parse_component",
    "printable",
    "unreadable",
]

# Segments of any length: Android limits a whole package name only through file-name limits.
_PACKAGE = lazy_compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
# dex SimpleNameChar (DEX 040+ adds the spaces U+0020, U+00A0, U+2000-U+200A, U+202F):
# A-Z a-z 0-9 space $ - _, U+00A0-U+1FFF, U+2000-U+200A, U+2010-U+2027, U+202F,
# U+2030-U+D7FF, U+E000-U+FFEF, U+10000-U+10FFFF. Written as its complement, which is the same
# set (a test compares them over every code point) and compiles ~50x faster than the ranges.
_NOT_SIMPLE_NAME = (
    r"\x00-\x1f!-#%-,.-/:-@\[-\^`{-\x9f\u200b-\u200f\u2028-\u202e\ud800-\udfff\ufff0-\uffff"
)
_CLASS = lazy_compile(rf"\.?[^{_NOT_SIMPLE_NAME}]+(?:\.[^{_NOT_SIMPLE_NAME}]+)*")
# The same pattern on ASCII text, where the set is A-Z a-z 0-9 space $ - _ (a test compares the
# two): nearly every class name is ASCII, and this compiles in a tenth of the time.
_ASCII_CLASS = lazy_compile(r"\.?[A-Za-z0-9 $_-]+(?:\.[A-Za-z0-9 $_-]+)*")

MAX_UNREADABLE_TEXT = 240
"""An unreadable entry keeps at most this many characters of its text (then ``…``)."""


@record
class Component:
    """A component as a list printed it: ``class_name`` may be relative (``.Receiver``)."""

    package: str
    class_name: str

    @property
    def full_class_name(self) -> str:
        """``pkg.Receiver`` for ``.Receiver`` (unflattenFromString); others unchanged."""
        if self.class_name.startswith("."):
            return self.package + self.class_name
        return self.class_name

    def flatten(self) -> str:
        """``pkg/cls`` with the class as printed (``flattenToShortString`` when it was short)."""
        return f"{self.package}/{self.class_name}"


@record
class Unreadable:
    """An entry of a security-relevant list that the parser could not read: which list
    (``enabled services``, ``device admins (user 0)``), its text as read (capped at
    :data:`MAX_UNREADABLE_TEXT`) and its 0-based line in the parsed text."""

    where: str
    text: str
    line: int


def is_package_name(text: str) -> bool:
    return _PACKAGE.fullmatch(text) is not None


def parse_component(text: str) -> Component | None:
    """``pkg/cls`` → :class:`Component`; ``None`` when ``text`` is not a component Android
    could run (no ``/``, an empty or non-ASCII package, a class that is not a dex name)."""
    package, sep, class_name = text.partition("/")
    if not sep or not is_package_name(package):
        return None
    if (_ASCII_CLASS if class_name.isascii() else _CLASS).fullmatch(class_name) is None:
        return None
    return Component(package, class_name)


def is_component(text: str) -> bool:
    """Whether ``text`` is a flattened component (``pkg/cls``, ``pkg/.cls``) or a package
    (approval lists name a bare package to approve all its components)."""
    return is_package_name(text) or parse_component(text) is not None


def unreadable(where: str, text: str, line: int) -> Unreadable:
    """An :class:`Unreadable` entry with its text capped."""
    if len(text) > MAX_UNREADABLE_TEXT:
        text = text[:MAX_UNREADABLE_TEXT] + "…"
    return Unreadable(where, text, line)


def printable(text: str, limit: int = 80) -> str:
    """``text`` for a report: characters that do not print (controls, zero-width and bidi
    format characters) as ``\\u200b``-style escapes; past ``limit`` characters, ``…``."""
    shown = "".join(c if c.isprintable() else _escape(c) for c in text[:limit])
    return shown + "…" if len(text) > limit else shown


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
