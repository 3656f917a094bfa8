"""System properties from ``getprop`` output (``[name]: [value]`` lines), as printed by a bugreport,
AndroidQF or ``adb shell getprop``; keeps empty values, ``]`` inside values and multi-line values.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping
from types import MappingProxyType

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.values import split_lines
from handsetguard.records import field, record

__all__ = ["Properties", "Property", "parse_getprop"]

# The start of an entry: ``[name]: [``. Property names never contain ``]`` or whitespace
# (bionic's __system_property_set rejects neither, but init and property_service only create
# names of [A-Za-z0-9_.@:-]); a looser class keeps odd vendor names rather than skipping them.
_ENTRY_START = lazy_compile(r"[ \t]*\[([^\[\]\s]+)\]: \[")


@record
class Property:
    """One system property; ``line`` is the 0-based line of its ``[name]: [`` in the given text."""

    name: str
    value: str
    line: int


@record
class Properties:
    """All properties of one ``getprop`` output, by name; ``skipped`` counts unreadable lines."""

    by_name: Mapping[str, Property] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    skipped: int = 0

    def get(self, name: str) -> str | None:
        prop = self.by_name.get(name)
        return None if prop is None else prop.value

    def items(self) -> ItemsView[str, Property]:
        return self.by_name.items()

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __len__(self) -> int:
        return len(self.by_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_name)


def parse_getprop(text: str) -> Properties:
    """Parse ``getprop`` output. Blank text gives no properties; text with lines but no
    ``[name]: [value]`` entry at all raises :class:`ParseError`.

    A value ends at the last ``]`` of its entry: an entry whose first line does not end in ``]``
    continues on the following lines (joined with ``\\n``) until one does, as getprop prints
    values containing newlines (``persist.sys.boot.reason.history``). If a new entry or the end
    of the text comes first, the value is cut at the last ``]`` seen, or dropped if there is none.
    """
    lines = split_lines(text)
    props: dict[str, Property] = {}
    skipped = 0
    entries = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("```"):
            index += 1
            continue
        match = _ENTRY_START.match(line)
        if match is None:
            skipped += 1
            index += 1
            continue
        entries += 1
        end, value = _read_value(lines, index, match.end())
        if value is None:
            skipped += sum(1 for skipped_line in lines[index:end] if skipped_line.strip())
        else:
            props[match.group(1)] = Property(match.group(1), value, index)
        index = end
    if skipped and not entries:
        raise ParseError("getprop: no [name]: [value] lines")
    return Properties(MappingProxyType(props), skipped)


def _read_value(lines: list[str], start: int, offset: int) -> tuple[int, str | None]:
    """The value of the entry starting at ``lines[start]`` (after ``offset``) and the index of
    the line after the entry; ``None`` when the entry never closes."""
    first = lines[start][offset:]
    if first.endswith("]"):
        return start + 1, first[:-1]
    parts = [first]
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if _ENTRY_START.match(line):
            break
        parts.append(line)
        index += 1
        if line.endswith("]"):
            return index, "\n".join(parts)[:-1]
    # Unterminated (truncated output, or junk after the closing bracket): keep what the last
    # closing bracket delimits; with none, the caller counts the entry's lines as skipped.
    joined = "\n".join(parts)
    cut = joined.rfind("]")
    if cut < 0:
        return index, None
    return index, joined[:cut]
