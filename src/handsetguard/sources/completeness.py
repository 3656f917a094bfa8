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

from collections.abc import Callable, Sequence

from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance
from handsetguard.lazyre import lazy_compile
from handsetguard.records import record
from handsetguard.sources.dumpstate import (
    MAX_MARKER_LINES,
    MAX_TITLE_BYTES,
    title_section,
)
from handsetguard.textcodec import Blob

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # a protocol is only read by the type checker

__all__ = [
    "Truncation",
    "TruncationScan",
    "find_truncation",
    "note_index_stop",
    "note_truncation",
    "record_truncation",
]

_TOP_DURATION = b"was the duration of '"
_TOP_END = lazy_compile(rb"------ [^\n]*was the duration of '[^\n]*' ------\r?")
_SERVICE_END = b"was the duration of dumpsys"
_SERVICE = lazy_compile(rb"DUMP OF SERVICE (?:(?:CRITICAL|HIGH|NORMAL) )?([^\s:]+):")
_TITLE = lazy_compile(rb"------ (.*?) ------\r?")
_BLANK = b" \t\r\n"
# A marker line is at most this long; longer lines are content (and would make the
# backtracking end-line pattern quadratic).
_MAX_MARKER_LINE = MAX_TITLE_BYTES + 64


@record
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
            # A title over MAX_TITLE_BYTES is content to the index, so here too.
            if match is not None and len(match.group(1)) <= MAX_TITLE_BYTES:
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
    top_end = end - start <= _MAX_MARKER_LINE and _TOP_END.fullmatch(data, start, end) is not None
    return _judge(
        file,
        data.count(b"\n", 0, start) + 1,
        data.find(_TOP_DURATION) >= 0,
        top_end,
        service,
        open_service,
        lambda: _open_title(data, end),
    )


def _judge(
    file: str,
    line: int,
    top_durations: bool,
    top_end: bool,
    service: tuple[int, str] | None,
    open_service: bool,
    open_title: Callable[[], tuple[int, str]],
) -> Truncation | None:
    """The verdict of find_truncation from what it found: the last non-blank line (its line,
    whether it closes a top-level section), the last service and whether it is open."""
    if top_durations:
        if top_end:
            return None
        closing = "its closing \"------ … was the duration of '…' ------\" line"
        title_at, section = open_title()
        if service is not None and open_service and service[0] > title_at:
            section = service[1]
    elif open_service and service is not None:
        closing = f"the '--------- … was the duration of dumpsys {service[1][8:]}' line"
        section = service[1]
    else:
        return None
    detail = (
        f"{file} stops at line {line} without {closing}: it was cut short, what follows is "
        f"missing and {section} may be incomplete"
    )
    return Truncation(Provenance(file, line), section, detail)


class TruncationScan:
    """find_truncation computed while a text streams past in regions of whole lines (see
    sources/stream.py): a few offsets and flags, never the text.

    One difference, on hostile input only: the open title is the last title line however many
    ``------ `` follow it (find_truncation stops looking back after MAX_MARKER_LINES of them,
    a bound on its cost that streaming does not need, and then names "dumpstate")."""

    def __init__(self) -> None:
        self.top_durations = False
        self.service_ends = False
        """Whether a ``was the duration of dumpsys`` has been seen (Android 7+)."""
        # The last two line-start "DUMP OF SERVICE " (text offset, section name or None when
        # not a service marker, whether a dumpsys duration line follows it): the last may be
        # a bare prefix on the very last line, which find_truncation does not count.
        self._services: list[tuple[int, str | None, bool]] = []
        self._at_zero: str | None = None
        self._title: tuple[int, str] = (-1, "dumpstate")
        self._last: tuple[int, int, int, bool] | None = None

    def feed(
        self,
        buf: Blob,
        stop: int,
        base: int,
        last_title: tuple[int, str] | None,
        line_of: Callable[[int], int],
        service_starts: Sequence[int] | None = None,
    ) -> None:
        """Scan ``buf[:stop]`` (whole lines, starting at offset ``base`` of the text; when
        ``base`` > 0, ``buf[0]`` is the newline ending the previous region). ``last_title`` is
        the region offset and name of its last ``------ TITLE ------`` line; ``line_of`` maps
        a text offset at or after the region's last marker to its line; ``service_starts``,
        when the caller has searched for them, are the region offsets of every line-start
        ``DUMP OF SERVICE `` in ``buf[:stop]``, in order (else they are searched here)."""
        if not self.top_durations and buf.find(_TOP_DURATION, 0, stop) >= 0:
            self.top_durations = True
        if base == 0 and buf.startswith(b"DUMP OF SERVICE "):
            self._at_zero = self._service_name(buf, 0, stop)
        latest: list[tuple[int, str | None, bool]]
        if service_starts is not None:
            latest = [
                (base + at, self._service_name(buf, at, stop), False) for at in service_starts[-2:]
            ]
        else:
            latest, pos = [], stop
            while len(latest) < 2 and (pos := buf.rfind(b"\nDUMP OF SERVICE ", 0, pos)) >= 0:
                latest.insert(0, (base + pos + 1, self._service_name(buf, pos + 1, stop), False))
        self._services = self._close_services(buf, stop, base, (self._services + latest)[-2:])
        if last_title is not None:
            at, name = last_title
            self._title = (base + at, name)
        end = _last_nonblank(buf, stop)
        if end > 0:
            start = buf.rfind(b"\n", 0, end) + 1
            top_end = (
                end - start <= _MAX_MARKER_LINE and _TOP_END.fullmatch(buf, start, end) is not None
            )
            self._last = (base + start, base + end, line_of(base + start), top_end)

    def _close_services(
        self, buf: Blob, stop: int, base: int, services: list[tuple[int, str | None, bool]]
    ) -> list[tuple[int, str | None, bool]]:
        """Mark the services a dumpsys duration line in this region follows; searched only
        from the first service still open (or for the first such line at all)."""
        opened = [at for at, _, closed in services if not closed]
        if self.service_ends and not opened:
            return services
        found = buf.find(_SERVICE_END, 0 if not opened else max(0, opened[0] - base), stop)
        if found < 0 and not self.service_ends:
            found = buf.find(_SERVICE_END, 0, stop)
        if found < 0:
            return services
        self.service_ends = True
        closed = []
        for at, name, done in services:
            if not done and at > base + found:
                done = buf.find(_SERVICE_END, max(0, at - base), stop) >= 0
            closed.append((at, name, True if at <= base + found else done))
        return closed

    @staticmethod
    def _service_name(buf: Blob, start: int, stop: int) -> str | None:
        match = _SERVICE.match(buf, start, stop)
        return None if match is None else "dumpsys:" + match.group(1).decode("latin-1")

    def _service(self, end: int) -> tuple[tuple[int, str] | None, bool]:
        """As _last_service: the last line-start ``DUMP OF SERVICE `` wholly before ``end``,
        and whether no dumpsys duration line follows it."""
        for at, name, closed in reversed(self._services):
            if at + 16 <= end:
                return (None if name is None else (at, name)), not closed
        if self._at_zero is None:
            return None, False
        return (0, self._at_zero), not self.service_ends

    def result(self, file: str) -> Truncation | None:
        """The :class:`Truncation` find_truncation gives for the whole text, else None."""
        if self._last is None:
            return None
        _, end, line, top_end = self._last
        service, unclosed = self._service(end)
        open_service = service is not None and unclosed and self.service_ends
        title = self._title
        return _judge(file, line, self.top_durations, top_end, service, open_service, lambda: title)


def _last_nonblank(buf: Blob, stop: int) -> int:
    """One past the last non-blank byte of ``buf[:stop]`` (0 if it is all blank), looking at
    a tail that doubles: a region of blanks costs a few C calls, not a Python step a byte."""
    size = 64
    while True:
        low = max(0, stop - size)
        kept = len(buf[low:stop].rstrip(_BLANK))
        if kept or low == 0:
            return low + kept
        stop, size = low, size * 2


def note_truncation(evidence: Evidence, data: Blob, file: str) -> None:
    """Record a cut ``data`` in ``evidence`` (a ``truncated`` coverage entry; the first cut
    text of the input also sets ``evidence.truncated``)."""
    record_truncation(evidence, find_truncation(data, file))


def record_truncation(evidence: Evidence, cut: Truncation | None) -> None:
    """Record a found :class:`Truncation` as :func:`note_truncation` does."""
    if cut is None:
        return
    if evidence.truncated is None:
        evidence.truncated = cut.where
    evidence.problems.append(
        CoverageEntry(cut.section, CoverageStatus.TRUNCATED, cut.detail, cut.where)
    )


class _Stops(Protocol):
    @property
    def stopped(self) -> Provenance | None: ...


def note_index_stop(evidence: Evidence, index: _Stops) -> None:
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
