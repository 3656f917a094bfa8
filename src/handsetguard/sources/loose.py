"""Loose dumps: a single command's output (getprop, settings list, one dumpsys service, ps, a
mount table), markdown-fenced or not, or a folder of them, each recognised by its content.

A file's kind is decided from its first SNIFF_BYTES; it is read whole only when recognised.
Sections get the names the bugreport path gives them, so the parsers read them unchanged, and
markdown-fenced outputs keep line numbers of the original file.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section
from handsetguard.sources.completeness import note_index_stop, note_truncation
from handsetguard.sources.dumpstate import (
    MAX_MARKER_LINES,
    index_dumpstate,
    looks_like_dumpstate,
)
from handsetguard.sources.limits import MAX_MEMBER_BYTES, MAX_SMALL_FILE_BYTES, read_file
from handsetguard.sources.signatures import GRADED_SECTIONS, Recognised, recognise
from handsetguard.textcodec import Blob, normalise_bytes

__all__ = [
    "MAX_LOOSE_FILES",
    "SNIFF_BYTES",
    "add_loose_dir",
    "add_loose_file",
    "graded",
    "read_head",
]

SNIFF_BYTES = 64 * 1024
MAX_LOOSE_FILES = 256
"""Files of one folder looked at; the rest are noted, not read."""

_SAMPLE_LINES = 40
_FENCE = re.compile(rb"^```", re.MULTILINE)
_HEADING = re.compile(r"#{1,6}\s+(.*)")
_BACKUP = re.compile(rb"ANDROID BACKUP\n(\d+)\n([01])\n([^\n]*)\n")
# Every byte but the newline to a space: blanks a text while keeping its line numbers.
_BLANKS = bytes(0x0A if i == 0x0A else 0x20 for i in range(256))


def read_head(path: Path) -> bytes:
    """The first SNIFF_BYTES of a regular file, never following a symlink or blocking on a
    FIFO (both are refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(f"{path}: not a regular file (a FIFO, socket or device?)")
        return os.read(fd, SNIFF_BYTES)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)


def _lines(data: Blob, start: int, end: int) -> list[tuple[int, str]]:
    """Offsets and text of the first non-blank lines of ``data[start:end]`` (a sample)."""
    found: list[tuple[int, str]] = []
    pos = start
    while pos < end and len(found) < _SAMPLE_LINES:
        stop = data.find(b"\n", pos, end)
        stop = end if stop < 0 else stop
        text = bytes(data[pos:stop]).decode("utf-8", "replace").rstrip("\r")
        if text.strip():
            found.append((pos, text))
        pos = stop + 1
    return found


def _note(evidence: Evidence, name: str, detail: str, where: Provenance) -> None:
    evidence.problems.append(CoverageEntry(name, CoverageStatus.SKIPPED, detail, where))


def _add(evidence: Evidence, section: Section) -> None:
    """Add a section; a second file with the same section is noted (the larger is kept)."""
    old = evidence.get(section.name)
    evidence.add(section)
    if old is not None:
        kept = evidence.sections[section.name]
        other = section if kept is old else old
        _note(
            evidence,
            section.name,
            f"{section.name} also in {other.provenance}; kept the larger, {kept.provenance}",
            other.provenance,
        )


def _refusal(head: bytes) -> str | None:
    """Why a file is not a text dump at all, from its first bytes; None when it may be one."""
    if not head.strip():
        return "empty file: not a bugreport or a command output"
    backup = _BACKUP.match(head)
    if backup is not None:
        version, compressed, cipher = (g.decode("latin-1") for g in backup.groups())
        packing = "compressed" if compressed == "1" else "uncompressed"
        if cipher != "none":
            return (
                f"a password-encrypted Android backup ('adb backup' .ab v{version}, "
                f"{cipher[:20]}): it cannot be read without its password, and it holds app "
                "data, not device state: nothing to grade"
            )
        return (
            f"an Android backup ('adb backup' .ab v{version}, {packing}, not encrypted): it "
            "holds app data, not device state: nothing to grade"
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a zip archive inside a folder of dumps: pass it on its own"
    return None


def _binary(head: bytes) -> bool:
    """Bytes no text dump has (a protobuf, compressed data): a NUL, or more than 5% (and more
    than 8) of the first 4 KiB undecodable or control characters."""
    sample = head[:4096].decode("utf-8", "replace")
    odd = sum(ch == "\ufffd" or (ch < " " and ch not in "\t\n\r") for ch in sample)
    return "\x00" in sample or (odd > 8 and odd * 20 > len(sample))


def _add_region(
    evidence: Evidence,
    data: Blob,
    display: str,
    span: tuple[int, int, int],
    found: Recognised,
    sample: list[tuple[int, str]],
) -> None:
    """One recognised output, ``span`` = (start, end, 1-based line of start)."""
    start, end, line = span
    if found.skip_lines and len(sample) > found.skip_lines:
        body = sample[found.skip_lines][0]
        line += data.count(b"\n", start, body)
        start = body
    assert found.section is not None
    _add(evidence, Section(found.section, Provenance(display, line), data, start, end))


def _add_marked(evidence: Evidence, data: Blob, display: str) -> list[str]:
    """A ``dumpsys`` output with ``DUMP OF SERVICE`` blocks: its services, and a cut noted."""
    names = []
    index = index_dumpstate(data, display)
    for section in index:
        if section.name.startswith("dumpsys:"):
            _add(evidence, section)
            names.append(section.name)
    note_index_stop(evidence, index)
    note_truncation(evidence, data, display)
    return names


# Lines _fences acts on: a fence, or what may be a heading (``#`` after blanks). Only these
# are visited, so a file of millions of ordinary lines costs one regex pass.
_FENCE_OR_HEADING = re.compile(rb"^(?:```|[ \t\r\f\v]*#)", re.MULTILINE)


def _fences(data: Blob) -> tuple[list[tuple[int, int, int, str]], int | None]:
    """(body start, body end, body's 1-based line, heading above) of each ``` fence, and the
    line where the scan stopped after MAX_MARKER_LINES fence and heading lines (else None)."""
    found: list[tuple[int, int, int, str]] = []
    heading = ""
    opened: tuple[int, int] | None = None
    last, line = 0, 1
    for count, match in enumerate(_FENCE_OR_HEADING.finditer(data)):
        pos = match.start()
        line += data.count(b"\n", last, pos)
        last = pos
        if count == MAX_MARKER_LINES:
            return found, line
        stop = data.find(b"\n", pos)
        stop = len(data) if stop < 0 else stop
        if data.startswith(b"```", pos):
            if opened is None:
                opened = (stop + 1, line + 1)
            else:
                found.append((opened[0], pos, opened[1], heading))
                opened = None
        elif opened is None:
            head = _HEADING.match(bytes(data[pos:stop]).decode("utf-8", "replace").strip())
            if head is not None:
                heading = head.group(1)
    if opened is not None:  # an unclosed fence runs to the end of the file
        found.append((opened[0], len(data), opened[1], heading))
    return found, None


def _add_markdown(evidence: Evidence, data: Blob, display: str) -> str | None:
    """Every fenced output of a markdown file; the fences' own reasons when none is gradable."""
    fences, stopped = _fences(data)
    if stopped is not None:
        evidence.problems.append(
            CoverageEntry(
                display,
                CoverageStatus.TRUNCATED,
                f"{display}: not read past line {stopped}: more than {MAX_MARKER_LINES:,} "
                "fence and heading lines",
                Provenance(display, stopped),
            )
        )
    if any(looks_like_dumpstate(data[start:end]) for start, end, _, _ in fences):
        # Blank everything outside the fences (newlines kept, so lines still count) and index
        # the services found inside them.
        masked = bytearray(data.translate(_BLANKS))
        for start, end, _, _ in fences:
            masked[start:end] = data[start:end]
        added = len(_add_marked(evidence, masked, display))
    else:
        added = 0
    reasons: list[tuple[str, Provenance]] = []
    for start, end, line, heading in fences:
        sample = _lines(data, start, end)
        if not sample or looks_like_dumpstate(data[start:end]):
            continue
        found = recognise([text for _, text in sample], heading or display)
        where = Provenance(display, line)
        if found is None or found.section is None:
            reason = "unrecognised output" if found is None else f"{found.what}: {found.why}"
            reasons.append((reason, where))
            continue
        _add_region(evidence, data, display, (start, end, line), found, sample)
        added += 1
    if not fences:
        return "markdown without fenced command output"
    if not added:
        return "; ".join(f"{reason} (line {where.line})" for reason, where in reasons)
    for reason, where in reasons:
        _note(evidence, str(where), f"fenced block at {where}: {reason}", where)
    return None


def add_loose_file(evidence: Evidence, path: Path, display: str, head: bytes) -> str | None:
    """Add the outputs in ``path`` (whose first bytes are ``head``) to ``evidence``; the
    reason it holds nothing to read, or None."""
    refusal = _refusal(head)
    if refusal is not None:
        return refusal
    text_head = normalise_bytes(head)
    if _FENCE.search(text_head):
        return _add_markdown(evidence, normalise_bytes(read_file(path, MAX_MEMBER_BYTES)), display)
    if looks_like_dumpstate(text_head):
        data = normalise_bytes(read_file(path, MAX_MEMBER_BYTES))
        return None if _add_marked(evidence, data, display) else "no DUMP OF SERVICE output"
    sample = _lines(text_head, 0, len(text_head))
    found = recognise([text for _, text in sample], display) if sample else None
    if found is None:
        if _binary(head):
            return "binary data (a protobuf, compressed or encrypted file?), not a text dump"
        first = sample[0][1][:60] if sample else ""
        return (
            "not a bugreport, an AndroidQF collection or a getprop, settings, dumpsys, ps or "
            f"mount output (unrecognised text starting {first!r})"
        )
    if found.section is None:
        return f"{found.what}: {found.why}"
    data = normalise_bytes(read_file(path, MAX_SMALL_FILE_BYTES))
    _add_region(evidence, data, display, (0, len(data), 1), found, _lines(data, 0, len(data)))
    return None


def graded(evidence: Evidence) -> bool:
    """Whether any section of ``evidence`` feeds a check."""
    return any(name in GRADED_SECTIONS for name in evidence.sections)


def _entry_kind(entry: os.DirEntry[str]) -> str | None:
    """Why a folder entry is not read as a file (never following a link), or None."""
    if entry.is_symlink():
        return "a symbolic link: not followed"
    if entry.is_dir(follow_symlinks=False):
        return "a subfolder: not read (pass it on its own)"
    if not entry.is_file(follow_symlinks=False):
        return "not a regular file (a FIFO, socket or device): not read"
    return None


def add_loose_dir(evidence: Evidence, path: Path, skip: frozenset[str] = frozenset()) -> None:
    """Recognise every regular file at the top of ``path`` (except ``skip``) by its content;
    what is not read becomes a ``skipped`` coverage note naming the file and why."""
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        raise SourceError(f"{path}: cannot list the folder ({exc.strerror or exc})") from exc
    entries = [e for e in entries if e.name not in skip]
    budget = MAX_MEMBER_BYTES
    for count, entry in enumerate(entries):
        display = f"{path.name}/{entry.name}"
        where = Provenance(display)
        if count == MAX_LOOSE_FILES:
            _note(
                evidence,
                path.name,
                f"{len(entries) - count} more files not read (more than {MAX_LOOSE_FILES})",
                Provenance(path.name),
            )
            return
        reason = _entry_kind(entry)
        if reason is None:
            size = entry.stat(follow_symlinks=False).st_size
            if size > budget:
                reason = "not read: the folder's files exceed 512 MiB together"
            else:
                budget -= size
                try:
                    reason = add_loose_file(
                        evidence, Path(entry.path), display, read_head(Path(entry.path))
                    )
                except SourceError as exc:
                    evidence.problems.append(
                        CoverageEntry(display, CoverageStatus.ERROR, exc.message, where)
                    )
                    continue
        if reason is not None:
            _note(evidence, display, f"{display}: {reason}", where)
