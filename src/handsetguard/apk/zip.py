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

import enum
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from handsetguard.apk.errors import ApkFormatError

__all__ = [
    "MAX_ENTRIES",
    "Container",
    "Entry",
    "Tampering",
    "TamperingKind",
    "open_container",
]

EOCD_SIGNATURE = b"PK\x05\x06"
CD_SIGNATURE = 0x02014B50
LOCAL_SIGNATURE = 0x04034B50
EOCD_SIZE = 22
CD_RECORD_SIZE = 46
LOCAL_HEADER_SIZE = 30
MAX_COMMENT = 0xFFFF
MAX_ENTRIES = 0xFFFF
"""The 16-bit entry count of a non-ZIP64 EOCD; Android does not read ZIP64 APKs."""
STORED, DEFLATED = 0, 8
FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008
_CHUNK = 1 << 16


class TamperingKind(enum.Enum):
    LOCAL_HEADER_MISMATCH = "local_header_mismatch"
    COMPRESSION_METHOD = "compression_method"
    EOCD_COMMENT = "eocd_comment"
    EXTRA_FIELD = "extra_field"
    DATA_BEFORE_EOCD = "data_between_cd_and_eocd"
    CD_OVERLAPS_EOCD = "cd_overlaps_eocd"
    DUPLICATE_NAME = "duplicate_name"
    ENCRYPTED_FLAG = "encrypted_flag"
    ENTRY_NAME = "entry_name"
    ENTRY_BOUNDS = "entry_bounds"
    ENTRY_COUNT = "entry_count"
    SIZE_MISMATCH = "size_mismatch"
    CRC_MISMATCH = "crc_mismatch"


@dataclass(frozen=True)
class Tampering:
    """One place where the container says two things, or something no honest packer writes.
    ``fatal`` findings make Android refuse the APK."""

    kind: TamperingKind
    detail: str
    entry: str | None = None
    fatal: bool = False


@dataclass(frozen=True)
class Entry:
    """One central-directory record (the installer's view) and where its data starts."""

    name: str
    method: int
    flags: int
    crc32: int
    compressed_size: int
    size: int
    local_offset: int
    data_offset: int  # -1: the local header could not be read
    index: int


@dataclass(frozen=True)
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


def _parse(path: Path, fd: int, size: int) -> Container:
    if size < EOCD_SIZE:
        raise ApkFormatError(f"{path}: not a ZIP archive ({size} bytes)")
    tail_start = max(0, size - EOCD_SIZE - MAX_COMMENT)
    tail = os.pread(fd, size - tail_start, tail_start)
    found: list[Tampering] = []
    eocd_at = _find_eocd(tail, found)
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
    entries = _parse_cd(fd, cd, total, cd_offset, found)
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


def _find_eocd(tail: bytes, found: list[Tampering]) -> int:
    """The EOCD record's offset in ``tail``: the last one whose comment ends the file exactly
    (apksig's rule); failing that, the last whose comment fits (the installer's looser rule),
    with a finding for the bytes after it."""
    loose = -1
    at = len(tail) - EOCD_SIZE
    while at >= 0:
        at = tail.rfind(EOCD_SIGNATURE, 0, at + 4)
        if at < 0:
            break
        (comment_length,) = struct.unpack_from("<H", tail, at + 20)
        remaining = len(tail) - at - EOCD_SIZE
        if comment_length == remaining:
            return at
        if comment_length < remaining and loose < 0:
            loose = at
        at -= 1
    if loose >= 0:
        (comment_length,) = struct.unpack_from("<H", tail, loose + 20)
        extra = len(tail) - loose - EOCD_SIZE - comment_length
        found.append(
            Tampering(
                TamperingKind.EOCD_COMMENT,
                f"{extra} bytes after the EOCD comment's end",
                fatal=True,
            )
        )
    return loose


def _parse_cd(
    fd: int, cd: bytes, total: int, cd_offset: int, found: list[Tampering]
) -> list[Entry]:
    entries: list[Entry] = []
    at = 0
    while at + CD_RECORD_SIZE <= len(cd):
        (signature,) = struct.unpack_from("<I", cd, at)
        if signature != CD_SIGNATURE:
            # The installer stops here; an analyst still wants the rest, so resynchronise on
            # the next record signature (as apkInspector does) and say so.
            resync = cd.find(CD_SIGNATURE.to_bytes(4, "little"), at + 1)
            found.append(
                Tampering(
                    TamperingKind.ENTRY_COUNT,
                    f"central directory record #{len(entries) + 1} at {cd_offset + at} has a bad "
                    f"signature" + (f"; resumed {resync - at} bytes later" if resync > 0 else ""),
                    fatal=True,
                )
            )
            if resync < 0:
                break
            at = resync
            continue
        fields = struct.unpack_from("<HHHHHHIIIHHHHHII", cd, at + 4)
        flags, method, crc, csize, usize = fields[2], fields[3], fields[6], fields[7], fields[8]
        name_len, extra_len, comment_len, local_offset = (
            fields[9],
            fields[10],
            fields[11],
            fields[15],
        )
        raw_name = cd[at + CD_RECORD_SIZE : at + CD_RECORD_SIZE + name_len]
        extra = cd[at + CD_RECORD_SIZE + name_len : at + CD_RECORD_SIZE + name_len + extra_len]
        name = raw_name.decode("utf-8", errors="replace")
        at += CD_RECORD_SIZE + name_len + extra_len + comment_len
        if at > len(cd):
            found.append(
                Tampering(
                    TamperingKind.ENTRY_BOUNDS,
                    "record runs past the central directory",
                    name,
                    fatal=True,
                )
            )
            break
        _check_record(name, raw_name, flags, method, extra, found)
        data_offset = _local_header(
            fd, name, raw_name, method, crc, csize, usize, local_offset, cd_offset, found
        )
        entries.append(
            Entry(name, method, flags, crc, csize, usize, local_offset, data_offset, len(entries))
        )
    if len(entries) != total:
        found.append(
            Tampering(
                TamperingKind.ENTRY_COUNT,
                f"EOCD declares {total} entries, the central directory holds {len(entries)}",
                fatal=True,
            )
        )
    return entries


def _check_record(
    name: str, raw_name: bytes, flags: int, method: int, extra: bytes, found: list[Tampering]
) -> None:
    if method not in (STORED, DEFLATED):
        found.append(
            Tampering(
                TamperingKind.COMPRESSION_METHOD,
                f"compression method {method} (the installer inflates any method but 0)",
                name,
            )
        )
    if flags & FLAG_ENCRYPTED:
        found.append(
            Tampering(TamperingKind.ENCRYPTED_FLAG, "encrypted flag set (data is read as is)", name)
        )
    if b"\x00" in raw_name or name.startswith("/") or "../" in name or "\ufffd" in name:
        found.append(
            Tampering(TamperingKind.ENTRY_NAME, "NUL, non-UTF-8 or path-escaping entry name", name)
        )
    if extra and not _well_formed_extra(extra):
        found.append(
            Tampering(TamperingKind.EXTRA_FIELD, f"malformed {len(extra)}-byte extra field", name)
        )


def _well_formed_extra(extra: bytes) -> bool:
    at = 0
    while at + 4 <= len(extra):
        (_header, length) = struct.unpack_from("<HH", extra, at)
        at += 4 + length
    return at == len(extra)


def _local_header(
    fd: int,
    name: str,
    raw_name: bytes,
    method: int,
    crc: int,
    csize: int,
    usize: int,
    offset: int,
    cd_offset: int,
    found: list[Tampering],
) -> int:
    """Where the entry's data starts (from the local header's own name and extra lengths, as
    the installer computes it), with a finding for each field that disagrees with the CD."""
    header = (
        os.pread(fd, LOCAL_HEADER_SIZE, offset) if offset + LOCAL_HEADER_SIZE <= cd_offset else b""
    )
    if len(header) < LOCAL_HEADER_SIZE or struct.unpack_from("<I", header)[0] != LOCAL_SIGNATURE:
        found.append(
            Tampering(TamperingKind.ENTRY_BOUNDS, f"no local header at {offset}", name, fatal=True)
        )
        return -1
    (_v, flags, lmethod, _t, _d, lcrc, lcsize, lusize, name_len, extra_len) = struct.unpack_from(
        "<HHHHHIIIHH", header, 4
    )
    local_name = os.pread(fd, name_len, offset + LOCAL_HEADER_SIZE)
    differs = []
    if local_name != raw_name:
        differs.append("name")
    if lmethod != method:
        differs.append("compression method")
    if not flags & FLAG_DATA_DESCRIPTOR:
        differs += [
            label
            for label, local, central in (
                ("crc32", lcrc, crc),
                ("compressed size", lcsize, csize),
                ("size", lusize, usize),
            )
            if local != central
        ]
    if differs:
        found.append(
            Tampering(
                TamperingKind.LOCAL_HEADER_MISMATCH,
                "local header disagrees with the central directory: " + ", ".join(differs),
                name,
                fatal=local_name != raw_name,
            )
        )
    data_offset = offset + LOCAL_HEADER_SIZE + int(name_len) + int(extra_len)
    if data_offset + csize > cd_offset:
        found.append(
            Tampering(
                TamperingKind.ENTRY_BOUNDS, "data overlaps the central directory", name, fatal=True
            )
        )
    return data_offset
