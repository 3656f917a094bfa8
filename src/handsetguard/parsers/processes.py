"""Process lists (``ps -A``, ``ps -A -T -Z …`` in dumpstate, AndroidQF ``processes.txt``):
the process names, for root-tool detection."""

from __future__ import annotations

from handsetguard.errors import ParseError
from handsetguard.records import record

__all__ = ["ProcessList", "parse_processes"]

_NAME_COLUMNS = ("NAME", "CMD", "COMMAND", "ARGS")


@record
class ProcessList:
    names: tuple[str, ...]
    skipped: int = 0


def parse_processes(text: str) -> ProcessList:
    """Names from the last column of a ``ps`` table (or a JSON-free one-name-per-line list)."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise ParseError("ps: empty process list")
    header = lines[0].split()
    if not header or header[-1] not in _NAME_COLUMNS:
        raise ParseError("ps: no header line ending in NAME/CMD")
    width = len(header)
    names: list[str] = []
    skipped = 0
    for line in lines[1:]:
        fields = line.split(None, width - 1) if width > 1 else [line.strip()]
        if len(fields) < width:
            skipped += 1
            continue
        names.append(fields[-1].strip())
    return ProcessList(tuple(names), skipped)
