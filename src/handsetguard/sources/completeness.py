"""Whether a dumpstate or dumpsys text reached its end. A cut text is still graded, but the
evidence says where it stops, so no report can pass a check on the half that is missing.

dumpstate closes every top-level section with ``------ 0.1s was the duration of 'TITLE' ------``
and ends with the one of its last section (``'DUMPSTATE'`` on Android 7-10, ``'SYSTEM LOG'``
on the Android 14 emulator in the corpus); dumpsys closes each service with ``--------- 0.01s
was the duration of dumpsys NAME, ending at: …`` (AOSP ``frameworks/native/cmds/dumpstate``
and ``cmds/dumpsys``). A text whose layout has neither (Android 2.3, a single service's own
output) cannot tell, and is not judged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance
from handsetguard.sources.dumpstate import (
    MAX_MARKER_LINES,
    MAX_TITLE_BYTES,
    DumpstateIndex,
    title_section,
)
from handsetguard.textcodec import Blob

__all__ = ["Truncation", "find_truncation", "note_index_stop", "note_truncation"]

_TOP_DURATION = b"was the duration of '"
_TOP_END = re.compile(rb"------ [^\n]*was the duration of '[^\n]*' ------\r?")
_SERVICE_END = b"was the duration of dumpsys"
_SERVICE = re.compile(rb"DUMP OF SERVICE (?:(?:CRITICAL|HIGH|NORMAL) )?([^\s:]+):")
_TITLE = re.compile(rb"------ (.*?) ------\r?")
_BLANK = b" \t\r\n"
# A marker line is at most this long; longer lines are content (and would make the
# backtracking end-line pattern quadratic).
_MAX_MARKER_LINE = MAX_TITLE_BYTES + 64


@dataclass(frozen=True, slots=True)
class Truncation:
    """Where a text stops (its last line) and the section that was being written there."""

    where: Provenance
    section: str
    detail: str


def _last_line(data: Blob) -> tuple[int, int]:
    """Start and end offsets of the last non-blank line."""
    end = len(data)
    while end > 0 and data[end - 1] in _BLANK:
        end -= 1
    return data.rfind(b"\n", 0, end) + 1, end


def _open_title(data: Blob, before: int) -> tuple[int, str]:
    """Offset and section name of the last ``------ TITLE ------`` line before ``before``
    ("dumpstate" when that line closes a section, or there is none)."""
    pos = before
    # Bounded like the index: a text of a million near-marker lines is not walked back.
    for _ in range(MAX_MARKER_LINES):
        pos = data.rfind(b"------ ", 0, pos)
        if pos < 0:
            break
        if pos == 0 or data[pos - 1] == 0x0A:
            line_end = data.find(b"\n", pos)
            line_end = len(data) if line_end < 0 else line_end
            if line_end - pos > _MAX_MARKER_LINE:
                continue
            match = _TITLE.fullmatch(data, pos, line_end)
            if match is not None:
                return pos, title_section(match.group(1)) or "dumpstate"
    return -1, "dumpstate"


def _last_service(data: Blob, before: int) -> tuple[int, str] | None:
    pos = data.rfind(b"\nDUMP OF SERVICE ", 0, before)
    start = pos + 1 if pos >= 0 else (0 if data.startswith(b"DUMP OF SERVICE ") else -1)
    if start < 0:
        return None
    match = _SERVICE.match(data, start)
    return None if match is None else (start, "dumpsys:" + match.group(1).decode("latin-1"))


def find_truncation(data: Blob, file: str) -> Truncation | None:
    """A :class:`Truncation` when ``data`` stops before its closing marker, else None."""
    start, end = _last_line(data)
    if end == 0:
        return None
    service = _last_service(data, end)
    open_service = (
        service is not None
        and data.find(_SERVICE_END, service[0]) < 0
        and data.find(_SERVICE_END) >= 0
    )
    if data.find(_TOP_DURATION) >= 0:
        if end - start <= _MAX_MARKER_LINE and _TOP_END.fullmatch(data, start, end) is not None:
            return None
        closing = "its closing \"------ … was the duration of '…' ------\" line"
        title_at, section = _open_title(data, end)
        if service is not None and open_service and service[0] > title_at:
            section = service[1]
    elif open_service and service is not None:
        closing = f"the '--------- … was the duration of dumpsys {service[1][8:]}' line"
        section = service[1]
    else:
        return None
    line = data.count(b"\n", 0, start) + 1
    detail = (
        f"{file} stops at line {line} without {closing}: it was cut short, what follows is "
        f"missing and {section} may be incomplete"
    )
    return Truncation(Provenance(file, line), section, detail)


def note_truncation(evidence: Evidence, data: Blob, file: str) -> None:
    """Record a cut ``data`` in ``evidence`` (a ``truncated`` coverage entry; the first cut
    text of the input also sets ``evidence.truncated``)."""
    cut = find_truncation(data, file)
    if cut is None:
        return
    if evidence.truncated is None:
        evidence.truncated = cut.where
    evidence.problems.append(
        CoverageEntry(cut.section, CoverageStatus.TRUNCATED, cut.detail, cut.where)
    )


def note_index_stop(evidence: Evidence, index: DumpstateIndex) -> None:
    """Record where an index gave up (too many markers) as a ``truncated`` coverage entry: the
    sections after it are absent, so no check can pass on them."""
    if index.stopped is None:
        return
    if evidence.truncated is None:
        evidence.truncated = index.stopped
    evidence.problems.append(
        CoverageEntry(
            "dumpstate",
            CoverageStatus.TRUNCATED,
            f"{index.stopped.file}: not indexed past line {index.stopped.line}: more than "
            f"{MAX_MARKER_LINES:,} section marker lines (a real dumpstate has about 1,500); "
            "the sections from there on are not read",
            index.stopped,
        )
    )
