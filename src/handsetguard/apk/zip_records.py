"""The records of a ZIP container, read as Android's installer reads them: the EOCD found
from the end, the central directory's records in order, each local header only for where the
entry's data starts; every disagreement a :class:`Tampering` finding (see :mod:`.zip`)."""

from __future__ import annotations

import enum
import os
import struct

from handsetguard.records import record

__all__ = [
    "CD_SIGNATURE",
    "DEFLATED",
    "EOCD_SIZE",
    "MAX_COMMENT",
    "STORED",
    "Entry",
    "Tampering",
    "TamperingKind",
    "find_eocd",
    "parse_central_directory",
]

EOCD_SIGNATURE = b"PK\x05\x06"
CD_SIGNATURE = 0x02014B50
LOCAL_SIGNATURE = 0x04034B50
EOCD_SIZE = 22
CD_RECORD_SIZE = 46
LOCAL_HEADER_SIZE = 30
MAX_COMMENT = 0xFFFF
STORED, DEFLATED = 0, 8
FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008


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


@record
class Tampering:
    """One place where the container says two things, or something no honest packer writes.
    ``fatal`` findings make Android refuse the APK."""

    kind: TamperingKind
    detail: str
    entry: str | None = None
    fatal: bool = False


@record
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


def find_eocd(tail: bytes, found: list[Tampering]) -> int:
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


def parse_central_directory(
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
