"""One pass over a dumpstate text that indexes its sections by name, with file and line.

The index works on bytes (no decoding of the 20–150 MB text); each parser later decodes only
its own slice. Layout, from AOSP ``frameworks/native/cmds/dumpstate``: a header, then
``------ TITLE (command) ------`` sections, each closed by ``------ 0.01s was the duration of
'TITLE' ------``; the dumpsys sections hold ``DUMP OF SERVICE [PRIORITY ]name:`` blocks closed by
``--------- 0.001s was the duration of dumpsys name, ending at: …`` and a line of 79 dashes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime

from handsetguard.evidence import Provenance, Section
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.values import fixed_timestamp
from handsetguard.textcodec import Blob

__all__ = [
    "MAX_MARKER_LINES",
    "MAX_SERVICE_NAME_BYTES",
    "MAX_TITLE_BYTES",
    "DumpstateIndex",
    "dumpstate_time",
    "has_dumpstate_layout",
    "index_dumpstate",
    "looks_like_dumpstate",
    "title_section",
]

# Top-level section titles we index under a stable name (first word match, case-sensitive).
_TITLE_NAMES: dict[bytes, str] = {
    b"SYSTEM PROPERTIES": "getprop",
    b"PROCESSES AND THREADS": "processes",
    b"PROCESSES": "processes",
    b"FILESYSTEMS & FREE SPACE": "df",
    b"MOUNTS": "mounts",
    b"SELINUX": "selinux",
    # Android <= 7 have no `dumpsys settings`: the tables are in the SettingsProvider record
    # here (Android 9+ split the section; the platform half holds SettingsProvider).
    b"APP PROVIDERS": "app_providers",
    b"APP PROVIDERS PLATFORM": "app_providers:platform",
    b"KERNEL LOG": "kernel_log",
}

MAX_MARKER_LINES = 50_000
"""Section markers (titles, ``DUMP OF SERVICE`` and end lines) indexed in one text, which also
bounds its sections. Real dumpstates have 860–1,520 (the corpus); past this the rest of the text
is not indexed and a ``truncated`` coverage entry says where indexing stopped."""

MAX_TITLE_BYTES = 1024
"""Longest ``------ TITLE (command) ------`` title read as a marker (real ones: under 120
bytes); a longer line is content. Bounds the per-line work of the index."""

MAX_SERVICE_NAME_BYTES = 256
"""Longest service name of a ``DUMP OF SERVICE name:`` marker (real ones: under 80 bytes)."""

# Each marker is a whole line. The leading "\n" (instead of ^ with MULTILINE) lets the regex
# engine jump from newline to newline: ~9x faster on a 25 MB dumpstate. A marker on the very
# first line is matched separately with _FIRST.
_MARKER_BODY = (
    rb"(?:"
    rb"------ (?P<title>[^\n]{0,%d}?) ------"
    rb"|DUMP OF SERVICE (?:(?:CRITICAL|HIGH|NORMAL) )?(?P<service>[^\s:]{1,%d}):"
    rb"|(?P<end>--------- [^\n]{0,40}was the duration of dumpsys [^\n]*)"
    rb"|(?P<dashes>-{79})"
    rb")\r?(?=\n|\Z)"
) % (MAX_TITLE_BYTES, MAX_SERVICE_NAME_BYTES)
_MARKER = lazy_compile(rb"\n(?=[-D])" + _MARKER_BODY)
_FIRST = lazy_compile(_MARKER_BODY)
_DURATION = b"was the duration of dumpsys"
_HEADER_TIME = lazy_compile(rb"^== dumpstate: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\r?$", re.MULTILINE)
_SNIFF = lazy_compile(rb"^== dumpstate: |^DUMP OF SERVICE |^------ .* ------\r?$", re.MULTILINE)


def looks_like_dumpstate(head: Blob) -> bool:
    """Whether the first bytes of a file look like a dumpstate/bugreport or dumpsys text."""
    return _SNIFF.search(head) is not None


_LAYOUT = lazy_compile(rb"^== dumpstate: |^------ .* ------\r?$", re.MULTILINE)


def has_dumpstate_layout(head: Blob) -> bool:
    """Whether the text has a dumpstate's own header or ``------ TITLE ------`` sections (a
    bare ``dumpsys`` output has only ``DUMP OF SERVICE`` blocks)."""
    return _LAYOUT.search(head) is not None


def dumpstate_time(data: Blob) -> datetime | None:
    """The device-local wall-clock time in the ``== dumpstate: …`` header line, if any."""
    match = _HEADER_TIME.search(data, 0, 4096)
    if match is None:
        return None
    return fixed_timestamp(match.group(1))  # the pattern fixed the layout


def title_section(title: bytes) -> str | None:
    """The section name a ``------ TITLE (command) ------`` line opens; None for a duration line."""
    # The name ends at the first " (" of a title that ends in ")": a split by hand, because a
    # regex for it backtracks quadratically on a title full of " (".
    paren = title.find(b" (") if title.endswith(b")") else -1
    name = title if paren < 0 else title[:paren]
    if b"was the duration of" in name:
        return None
    mapped = _TITLE_NAMES.get(name)
    return mapped if mapped is not None else "section:" + name.decode("latin-1")


class _Cursor:
    """Counts newlines incrementally so line numbers cost one pass in total."""

    def __init__(self, data: Blob) -> None:
        self.data = data
        self.pos = 0
        self.line = 1

    def line_of(self, offset: int) -> int:
        self.line += self.data.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line


def _body_start(data: Blob, marker_end: int) -> int:
    newline = data.find(b"\n", marker_end)
    return len(data) if newline < 0 else newline + 1


class DumpstateIndex:
    """The sections of a dumpstate, yielded lazily (one marker match alive at a time).

    After iteration, ``stopped`` is where indexing gave up (more than MAX_MARKER_LINES
    markers; the section open there and everything after it are not yielded), else None.
    """

    def __init__(self, data: Blob, file: str) -> None:
        self.data = data
        self.file = file
        self.stopped: Provenance | None = None

    def __iter__(self) -> Iterator[Section]:
        return _index(self, self.data, self.file)


def index_dumpstate(data: Blob, file: str) -> DumpstateIndex:
    """The sections of a dumpstate (or of a plain multi-service ``dumpsys`` output).

    Yields ``header`` (text before the first section), ``getprop`` and other mapped top-level
    sections, ``section:<TITLE>`` for the rest, and ``dumpsys:<service>`` for each service.
    """
    return DumpstateIndex(data, file)


def _index(index: DumpstateIndex, data: Blob, file: str) -> Iterator[Section]:
    cursor = _Cursor(data)
    # Services such as `window` print the 79-dash separator inside their own output; when the
    # dump has "was the duration of dumpsys" lines (Android 7+), only those end a service.
    dashes_end_service = data.find(_DURATION) < 0
    top: tuple[str, int, int] | None = None  # (name, body start offset, body start line)
    service: tuple[str, int, int] | None = None
    first = True
    head = _FIRST.match(data)
    markers = itertools.chain(() if head is None else (head,), _MARKER.finditer(data))
    for count, match in enumerate(markers):
        # A match begins at the newline before its line, except the first-line match.
        start = match.start() + (0 if match.start() == 0 and match is head else 1)
        if count == MAX_MARKER_LINES:
            index.stopped = Provenance(file, cursor.line_of(start))
            return
        if first:
            first = False
            if start > 0:
                yield Section("header", Provenance(file, 1), data, 0, start)
        ends_service = (
            match.group("end")
            or match.group("service")
            or match.group("title") is not None
            or (dashes_end_service and match.group("dashes"))
        )
        if service is not None and ends_service:
            name, body, line = service
            yield Section(name, Provenance(file, line), data, body, start)
            service = None
        if match.group("service"):
            body = _body_start(data, match.end())
            service = (
                "dumpsys:" + match.group("service").decode("latin-1"),
                body,
                cursor.line_of(start) + 1,
            )
            continue
        title = match.group("title")
        if title is None:
            continue
        if top is not None:
            name, body, line = top
            yield Section(name, Provenance(file, line), data, body, start)
            top = None
        mapped = title_section(title)
        if mapped is not None:
            top = (mapped, _body_start(data, match.end()), cursor.line_of(start) + 1)
    # (No marker at all: nothing is open, nothing is yielded.)
    if service is not None:
        name, body, line = service
        yield Section(name, Provenance(file, line), data, body, len(data))
    if top is not None:
        name, body, line = top
        yield Section(name, Provenance(file, line), data, body, len(data))
