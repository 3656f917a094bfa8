"""The APK's ZIP container read the way Android's installer reads it: the end-of-central-
directory record found from the end, the central directory as the only index, a local header
used only to find where an entry's data starts. Every place where the file says two different
things (the tricks apkInspector documents: local/central header mismatch, a compression method
the installer inflates anyway, EOCD comments, odd extra fields, bytes between the central
directory and the EOCD, duplicate names) is kept as a :class:`Tampering` finding.

Reads are bounded: the file is read through one descriptor with ``pread``; nothing is extracted
to disk, an entry is inflated in pieces and never past its declared size.
See AOSP system/core/libziparchive/zip_archive.cc (the installer) and apksig's ZipUtils.
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.zip_records import (
    EOCD_SIZE,
    MAX_COMMENT,
    STORED,
    Entry,
    Tampering,
    TamperingKind,
    find_eocd,
    parse_central_directory,
)
from handsetguard.records import record

__all__ = [
    "Container",
    "Entry",
    "Tampering",
    "TamperingKind",
    "open_container",
    "open_container_fd",
]

_CHUNK = 1 << 16


@record
class Container:
    """The parsed container: entries in central-directory order, the first of each name in
    ``by_name``, the layout offsets the signature schemes need, and the findings."""

    path: Path
    file_size: int
    entries: tuple[Entry, ...]
    by_name: dict[str, Entry]
    cd_offset: int
    cd_size: int
    eocd_offset: int
    eocd: bytes
    comment: bytes
    tampering: tuple[Tampering, ...]
    _fd: int

    def read_at(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``offset`` (an error past the end of the file)."""
        if offset < 0 or length < 0 or offset + length > self.file_size:
            raise ApkFormatError(
                f"{self.path}: read of {length} bytes at {offset} is outside the file"
            )
        data = os.pread(self._fd, length, offset)
        if len(data) != length:
            raise ApkFormatError(f"{self.path}: file shrank while being read")
        return data

    def iter_range(self, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
        """The bytes ``[start, end)`` in pieces of at most ``chunk``."""
        while start < end:
            piece = min(chunk, end - start)
            yield self.read_at(start, piece)
            start += piece

    def iter_entry(self, entry: Entry, limit: int | None = None) -> Iterator[bytes]:
        """``entry``'s uncompressed bytes in pieces, as the installer inflates them: stored
        when the method is 0, inflated for any other method; never more than the declared
        size (or ``limit``), an error when the data is short, corrupt or longer."""
        if entry.data_offset < 0:
            raise ApkFormatError(f"{self.path}: {entry.name!r}: local header unreadable")
        most = entry.size if limit is None else min(entry.size, limit)
        end = entry.data_offset + entry.compressed_size
        if entry.method == STORED:
            yield from self.iter_range(
                entry.data_offset, entry.data_offset + min(most, entry.compressed_size)
            )
            return
        yield from self._inflate(entry, end, most)

    def _inflate(self, entry: Entry, end: int, most: int) -> Iterator[bytes]:
        inflater = zlib.decompressobj(-15)
        produced = 0
        try:
            for piece in self.iter_range(entry.data_offset, end, _CHUNK):
                data = inflater.decompress(piece, most - produced + 1)
                while True:
                    produced += len(data)
                    if produced > most:
                        if most < entry.size:
                            yield data[: len(data) - (produced - most)]
                            return
                        raise ApkFormatError(
                            f"{self.path}: {entry.name!r}: inflates past its declared size "
                            f"{entry.size} (zip bomb or tampered size)"
                        )
                    if data:
                        yield data
                    if not inflater.unconsumed_tail:
                        break
                    data = inflater.decompress(inflater.unconsumed_tail, most - produced + 1)
                if inflater.eof:
                    break
            tail = inflater.flush()
        except zlib.error as exc:
            raise ApkFormatError(
                f"{self.path}: {entry.name!r}: corrupt deflate data ({exc})"
            ) from None
        produced += len(tail)
        if produced > most:
            raise ApkFormatError(f"{self.path}: {entry.name!r}: inflates past its declared size")
        if tail:
            yield tail
        if produced < most:
            raise ApkFormatError(
                f"{self.path}: {entry.name!r}: {produced} bytes inflated, {most} declared"
            )

    def read_entry(self, entry: Entry, limit: int) -> bytes:
        """``entry``'s whole uncompressed content; refused when declared larger than ``limit``."""
        if entry.size > limit:
            raise ApkFormatError(
                f"{self.path}: {entry.name!r} declares {entry.size} bytes, "
                f"over the {limit} read limit"
            )
        return b"".join(self.iter_entry(entry))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_container(path: Path) -> Container:
    """Open ``path`` and parse its container; :class:`ApkFormatError` when it is no ZIP."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        raise ApkFormatError(
            f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ApkFormatError(f"{path}: not a regular file")
        return _parse(path, fd, info.st_size)
    except BaseException:
        os.close(fd)
        raise


def open_container_fd(fd: int, label: Path) -> Container:
    """Parse the container of an open descriptor (an APK held in memory, named ``label`` in
    messages); the descriptor is the container's, closed with it or on error."""
    try:
        return _parse(label, fd, os.fstat(fd).st_size)
    except BaseException:
        os.close(fd)
        raise


def _parse(path: Path, fd: int, size: int) -> Container:
    if size < EOCD_SIZE:
        raise ApkFormatError(f"{path}: not a ZIP archive ({size} bytes)")
    tail_start = max(0, size - EOCD_SIZE - MAX_COMMENT)
    tail = os.pread(fd, size - tail_start, tail_start)
    found: list[Tampering] = []
    eocd_at = find_eocd(tail, found)
    if eocd_at < 0:
        raise ApkFormatError(f"{path}: not a ZIP archive (no end of central directory record)")
    eocd_offset = tail_start + eocd_at
    eocd = tail[eocd_at : eocd_at + EOCD_SIZE]
    (disk, cd_disk, disk_entries, total, cd_size, cd_offset, comment_length) = struct.unpack(
        "<HHHHIIH", eocd[4:]
    )
    comment = tail[eocd_at + EOCD_SIZE : eocd_at + EOCD_SIZE + comment_length]
    if 0xFFFFFFFF in (cd_size, cd_offset) or total == 0xFFFF and disk_entries == 0xFFFF:
        raise ApkFormatError(f"{path}: ZIP64 archive (Android does not install ZIP64 APKs)")
    if disk or cd_disk or disk_entries != total:
        raise ApkFormatError(f"{path}: multi-disk ZIP archive")
    if comment:
        found.append(Tampering(TamperingKind.EOCD_COMMENT, f"EOCD comment of {len(comment)} bytes"))
    cd_end = cd_offset + cd_size
    if cd_end > eocd_offset:
        if cd_offset > eocd_offset:
            raise ApkFormatError(f"{path}: central directory starts after the EOCD record")
        found.append(
            Tampering(
                TamperingKind.CD_OVERLAPS_EOCD,
                f"central directory ends at {cd_end}, past the EOCD at {eocd_offset}",
                fatal=True,
            )
        )
        cd_size = eocd_offset - cd_offset
    elif cd_end < eocd_offset:
        found.append(
            Tampering(
                TamperingKind.DATA_BEFORE_EOCD,
                f"{eocd_offset - cd_end} bytes between the central directory and the EOCD",
            )
        )
    cd = os.pread(fd, cd_size, cd_offset)
    container_args = (path, size, cd_offset, cd_size, eocd_offset, eocd, comment)
    entries = parse_central_directory(fd, cd, total, cd_offset, found)
    by_name: dict[str, Entry] = {}
    for entry in entries:
        if entry.name in by_name:
            found.append(
                Tampering(
                    TamperingKind.DUPLICATE_NAME,
                    "name appears more than once in the central directory",
                    entry.name,
                    fatal=True,
                )
            )
            continue
        by_name[entry.name] = entry
    found += _overlaps(entries)
    return Container(
        container_args[0],
        container_args[1],
        tuple(entries),
        by_name,
        cd_offset,
        cd_size,
        eocd_offset,
        eocd,
        comment,
        tuple(found),
        fd,
    )


def _overlaps(entries: list[Entry]) -> list[Tampering]:
    """Entries whose local records overlap another's (the trick of overlapping zip bombs,
    where many names share one compressed stream): one finding per entry, non-fatal (the
    installer does not look), each entry still bounded by its declared size."""
    found = []
    spans = sorted(
        (
            (e.local_offset, e.data_offset + e.compressed_size, e.index, e.name)
            for e in entries
            if e.data_offset >= 0
        ),
        key=lambda span: span[:3],
    )
    reach, holder = -1, ""
    for start, end, _index, name in spans:
        if start < reach:
            found.append(
                Tampering(TamperingKind.ENTRY_BOUNDS, f"overlaps the data of {holder!r}", name)
            )
        if end > reach:
            reach, holder = end, name
    return found
