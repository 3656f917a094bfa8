"""Index a dumpstate while it streams past in chunks: the sections, lines and provenance of
dumpstate.index_dumpstate over the whole text, but only the bytes of the sections wanted (those
state.py reads) are kept; the rest are counted (coverage, caps, truncation) and dropped.

The text is scanned in regions of whole lines: each region ends at the last newline read so
far and the next one starts at that same newline, so a marker (always one line) is never split
and ``\\n``-anchored patterns see their newline. A line longer than a chunk waits whole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator

from handsetguard.evidence import Provenance, Section
from handsetguard.lazyre import lazy_compile
from handsetguard.records import field, mutable_record
from handsetguard.sources.completeness import Truncation, TruncationScan
from handsetguard.sources.dumpstate import _FIRST, MAX_MARKER_LINES, title_section
from handsetguard.sources.limits import STREAM_CHUNK_BYTES
from handsetguard.sources.wanted import LINK_ONLY_SECTIONS, read_by_state
from handsetguard.textcodec import Blob

__all__ = ["HEAD_BYTES", "StreamedDumpstate", "blob_chunks", "index_stream", "link_lines"]

HEAD_BYTES = 4096
"""Bytes kept from the start of the text (dumpstate_time reads its header line there)."""


@mutable_record
class _Open:
    """A section being read: its body so far when it is kept, and where its body starts."""

    name: str
    line: int
    body: int
    kept: bytearray | None
    filled: int
    end: int = -1
    links_only: bool = False
    """Keep only the lines holding ``://`` (the others as empty lines, so line numbers hold):
    the link sections of sources/wanted.py, which the link parser alone reads."""
    cut: int = -1
    cut_kept: int = -1  # a links-only section: the length of ``kept`` at ``cut``
    """The first 79-dash line inside a service: where it ends if the text turns out to have no
    ``was the duration of dumpsys`` line (Android <= 6), as index_dumpstate decides."""


@mutable_record
class StreamedDumpstate:
    """What streaming a dumpstate found: the kept sections (in the order the whole-text index
    yields them), the others by name, line and size, and what completeness needs."""

    sections: list[Section] = field(default_factory=list)
    unread: list[tuple[str, Provenance, int]] = field(default_factory=list)
    stopped: Provenance | None = None
    truncation: Truncation | None = None
    head: bytes = b""
    size: int = 0


class _Streamer:
    def __init__(self, file: str, keep: Callable[[str], bool], links_only: Collection[str]) -> None:
        self.file = file
        self.keep = keep
        self.links_only = links_only
        self.buf = bytearray()
        self.base = 0  # text offset of buf[0]
        self.cursor = (0, 1)  # (text offset, its line): newlines are counted once
        self.markers = 0
        self.stopped: Provenance | None = None
        self.started = False
        self.header: _Open | None = self._open("header", 0, 1)
        self.top: _Open | None = None
        self.service: _Open | None = None
        self.closed: list[_Open] = []
        self.scan = TruncationScan()
        self.head = bytearray()
        self.size = 0

    def _open(self, name: str, body: int, line: int) -> _Open:
        kept = bytearray() if self.keep(name) else None
        return _Open(name, line, body, kept, body, links_only=name in self.links_only)

    def _fill(self, open_: _Open, stop: int) -> None:
        """Append the text from where ``open_`` was filled up to offset ``stop``."""
        assert open_.kept is not None
        start, end = open_.filled - self.base, stop - self.base
        if open_.links_only:
            open_.kept += link_lines(self.buf[start:end])
        else:
            with memoryview(self.buf) as view, view[start:end] as region:
                open_.kept += region  # appended from a view: no intermediate copy
        open_.filled = stop

    def line_of(self, offset: int) -> int:
        pos, line = self.cursor
        line += self.buf.count(b"\n", pos - self.base, offset - self.base)
        self.cursor = (offset, line)
        return line

    def feed(self, chunk: Blob) -> None:
        if not chunk:
            return
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self.size += len(chunk)
        before = len(self.buf)
        self.buf += chunk
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            self._region(before + newline + 1, final=False)

    def finish(self) -> StreamedDumpstate:
        self._region(len(self.buf), final=True)
        if self.stopped is None:
            for open_ in (self.service, self.top):
                if open_ is not None:
                    self._close(open_, self.size)
        self.buf = bytearray()
        return self._result()

    def _region(self, stop: int, *, final: bool) -> None:
        """Index ``buf[:stop]``: whole lines (or the rest of the text when ``final``)."""
        buf, base = self.buf, self.base
        head = None if self.started else _FIRST.match(buf, 0, stop)
        self.started = True
        last_title: tuple[int, str] | None = None
        services: list[int] = []  # filled as the markers are found: the scan reads it
        found = _line_markers(buf, stop, services)
        for match in itertools.chain(() if head is None else (head,), found):
            at = match.start()
            title = match.group("title")
            mapped = None if title is None else title_section(title)
            if title is not None:
                last_title = (at, mapped or "dumpstate")
            if self.stopped is not None:
                continue  # past the cap: titles still feed the truncation scan
            if self.markers == MAX_MARKER_LINES:
                # The sections open here are not yielded: stop filling them.
                self.stopped = Provenance(self.file, self.line_of(base + at))
                self.top = self.service = None
                continue
            self.markers += 1
            self._marker(match, base + at, stop, mapped)
        self.scan.feed(buf, stop, base, last_title, self.line_of, services)
        for open_ in (self.header, self.top, self.service):
            if open_ is not None and open_.kept is not None and open_.filled < base + stop:
                self._fill(open_, base + stop)
        if not final and stop > 1:
            # Keep the newline that ends this region: \n-anchored patterns need it.
            self.line_of(base + stop - 1)
            del buf[: stop - 1]
            self.base = base + stop - 1

    def _marker(self, match: re.Match[bytes], start: int, stop: int, mapped: str | None) -> None:
        """A marker line at text offset ``start``; ``mapped`` is its title's section name
        (title_section's), when it has a title."""
        if self.header is not None:
            if start > 0:
                self._close(self.header, start)
            self.header = None
        title = match.group("title")
        service = self.service
        if service is not None:
            if match.group("end") or match.group("service") or title is not None:
                self._close(service, start)
                self.service = None
            elif match.group("dashes") and service.cut < 0 and not self.scan.service_ends:
                service.cut = start
                if service.links_only and service.kept is not None:
                    if service.filled < start:
                        self._fill(service, start)
                    service.cut_kept = len(service.kept)
        if match.group("service"):
            name = "dumpsys:" + match.group("service").decode("latin-1")
            self.service = self._open(name, self._body(match, stop), self.line_of(start) + 1)
            return
        if title is None:
            return
        if self.top is not None:
            self._close(self.top, start)
            self.top = None
        if mapped is not None:
            self.top = self._open(mapped, self._body(match, stop), self.line_of(start) + 1)

    def _body(self, match: re.Match[bytes], stop: int) -> int:
        """Text offset of the line after a marker (the end of the text if there is none)."""
        newline = self.buf.find(b"\n", match.end(), stop)
        return self.base + (stop if newline < 0 else newline + 1)

    def _close(self, open_: _Open, end: int) -> None:
        if open_.kept is not None and open_.filled < end:
            self._fill(open_, end)
        open_.end = end
        self.closed.append(open_)

    def _result(self) -> StreamedDumpstate:
        # Only when the whole text has no dumpsys duration line does a dash line end a service.
        dashes_end_service = not self.scan.service_ends
        found = StreamedDumpstate(stopped=self.stopped, head=bytes(self.head), size=self.size)
        for open_ in self.closed:
            end = open_.cut if dashes_end_service and open_.cut >= 0 else open_.end
            where = Provenance(self.file, open_.line)
            if open_.kept is None:
                found.unread.append((open_.name, where, end - open_.body))
            else:
                # Cut in place: a copy to exact-size bytes costs more peak RSS than it saves.
                # (A links-only section's bytes are not the text's: it is cut where ``cut``
                # left it.)
                if not open_.links_only:
                    del open_.kept[end - open_.body :]
                elif end == open_.cut:
                    del open_.kept[open_.cut_kept :]
                found.sections.append(Section(open_.name, where, open_.kept, owned=True))
        found.truncation = self.scan.result(self.file)
        return found


# Every marker line starts with one of these (dumpstate.py's _MARKER_BODY: a title, an end
# line and the 79 dashes start with six dashes), found by one search with the newline before.
_MARKER_START = lazy_compile(rb"\n(?:------|DUMP OF SERVICE )")
_SERVICE_START = len(b"\nDUMP OF SERVICE ")


def _line_markers(
    buf: bytearray, stop: int, services: list[int] | None = None
) -> Iterator[re.Match[bytes]]:
    """The marker lines of ``buf[:stop]`` after its first, in order: the lines ``\\n`` +
    dumpstate.py's marker pattern finds, but the pattern tried only where a line starts as a
    marker must (one search for the two starts, which skips through the text between them: a
    quarter of the time of the pattern's own scan, or of a substring search for each start;
    the index's largest cost on a 12-25 MB text). Every line-start ``DUMP OF SERVICE `` met (a
    marker or not) is appended to ``services`` as it is passed."""
    match_at = _FIRST.match
    for start in _MARKER_START.finditer(buf, 0, stop):
        at = start.start() + 1
        if services is not None and start.end() - at + 1 == _SERVICE_START:
            services.append(at)
        match = match_at(buf, at, stop)
        if match is not None:
            yield match


def link_lines(region: bytes | bytearray) -> bytes | bytearray:
    """``region`` with every line that holds no ``://`` emptied (its newline kept)."""
    at = region.find(b"://")
    if at < 0:
        return b"\n" * region.count(b"\n")
    out = bytearray()
    done = 0  # region[:done] is accounted for
    while at >= 0:
        start = region.rfind(b"\n", done, at) + 1 or done
        end = region.find(b"\n", at)
        end = len(region) if end < 0 else end
        out += b"\n" * region.count(b"\n", done, start)
        out += region[start:end]
        done = end
        at = region.find(b"://", end)
    out += b"\n" * region.count(b"\n", done)
    return out


def index_stream(
    chunks: Iterable[Blob],
    file: str,
    keep: Callable[[str], bool] = read_by_state,
    links_only: Collection[str] = LINK_ONLY_SECTIONS,
) -> StreamedDumpstate:
    """Index the dumpstate (or multi-service dumpsys) text ``chunks`` make up, as
    :func:`~handsetguard.sources.dumpstate.index_dumpstate` does, keeping the bytes of the
    sections ``keep`` names (by default those state.py reads) — of those in ``links_only``,
    only their lines that hold a link (see :func:`link_lines`)."""
    streamer = _Streamer(file, keep, links_only)
    for chunk in chunks:
        streamer.feed(chunk)
    return streamer.finish()


def blob_chunks(data: Blob, size: int = STREAM_CHUNK_BYTES) -> Iterable[bytes]:
    """A text already in memory, in chunks (each a copy of ``size`` bytes, not of the whole)."""
    view = memoryview(data)
    return (bytes(view[pos : pos + size]) for pos in range(0, len(data), size))
