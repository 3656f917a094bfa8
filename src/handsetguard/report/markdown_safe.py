"""Markdown built so that data can neither close a code span or fence nor start markup:
prose escaped and kept in one block, code spans that outlast any backtick run, table cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from handsetguard.report.present import visible

__all__ = ["cell", "code", "table", "text"]

# CommonMark backslash escapes: what could start emphasis, strikethrough, code, links, entities
# or raw HTML in prose, and what would start a heading, quote, list or rule at a line's start.
# An underscore between letters or digits can neither open nor close emphasis (CommonMark's
# flanking rules), so ``device_state`` stays as it is.
_SPECIAL = re.compile(r"([\\`*~\[\]<&]|(?<![^\W_])_|_(?![^\W_]))")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=|]|\d+(?=[.)]))", re.MULTILINE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# "x ##" at the end of a heading: the hashes would be read as its optional closing sequence.
_CLOSING_HASHES = re.compile(r"(?<=\s)(?=#+\s*\Z)")


def text(value: str) -> str:
    """Prose from the report, markdown syntax escaped and kept in one block: a line break in
    the data is a ``<br>``, so a blank line cannot end the paragraph, list item or cell."""
    # Surrounding blanks go: four at a line's start open an indented code block, one inside
    # "**…**" keeps the emphasis from closing.
    escaped = _SPECIAL.sub(r"\\\1", visible(value).strip())
    escaped = _BLOCK_START.sub(_escape_block, _CLOSING_HASHES.sub(r"\\", escaped))
    return _LINE_BREAK.sub("<br>", escaped)


def _escape_block(match: re.Match[str]) -> str:
    indent, mark = match[1], match[2]
    # "1." / "1)" start an ordered list: escape the punctuation, which follows the digits.
    return f"{indent}{mark}\\" if mark.isdigit() else f"{indent}\\{mark}"


def code(value: str) -> str:
    """A code span that survives backticks inside ``value``; line breaks become spaces (a
    blank line would end the paragraph, and the span with it)."""
    value = " ".join(_LINE_BREAK.split(visible(value)))
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that has both: pad to keep them.
    ends = (value[:1], value[-1:])
    pad = " " if "`" in ends or ends == (" ", " ") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def cell(value: str) -> str:
    """A table cell: pipes escaped (also inside code spans, as GFM requires), lines joined."""
    return value.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return lines
