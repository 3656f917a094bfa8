"""Module-level regular expressions compiled on first use, at no cost per use after it.

Compiling is pure Python in CPython (``re._parser``, ``re._compiler``): the parsers' patterns
cost ~25 ms of every start-up on the 2-core build machine, and any one input leaves 40-60 of
the ~110 unused (a bugreport without adb keys never needs the key patterns, the bundled
example has no notification dump…). :func:`lazy_compile` returns a stand-in whose first
attribute read compiles the pattern and stores the compiled pattern's methods in its slots, so
that every later ``PATTERN.match`` is a slot read returning the real bound method. The
compiled program itself comes from :mod:`handsetguard.patterncache` when an earlier run kept
it (these are the package's own literal patterns).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Any, AnyStr

__all__ = ["lazy_compile"]

# Everything a caller reads from a compiled pattern, filled in at once on the first read.
_FILLED = (
    "match",
    "fullmatch",
    "search",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "flags",
    "groups",
    "groupindex",
)


class _LazyPattern:
    __slots__ = ("_flags", "pattern", *_FILLED)

    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        # Python calls this only for a name the slots do not hold yet: the first use.
        from handsetguard.patterncache import compile_pattern

        compiled = compile_pattern(self.pattern, self._flags)
        for attribute in _FILLED:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r})"


def lazy_compile(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, done on first use (an invalid pattern raises then)."""
    return _LazyPattern(pattern, flags)  # type: ignore[return-value]  # it stands in for one
