"""Inflate one zip member straight from the archive file: the member's compressed bytes read in
large pieces and decompressed by zlib-ng when it is installed (its inflate and CRC-32 are 2-10x
faster than the system zlib's), without zipfile's per-read buffering and copies.

Only the plain cases take this path: a stored or deflated member, not encrypted, not patched,
whose local header agrees with the central directory (signature, name) and whose data ends
before the next member starts. Anything else returns ``None`` and is read by zipfile, which
raises its own error for a damaged header, exactly as before. A damaged stream (bad deflate
data, truncated data, a CRC-32 mismatch) raises ``zipfile.BadZipFile``, ``zlib.error`` or
``EOFError``, as zipfile does, for the caller to translate.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from handsetguard.zlibng import ZLIB_ERROR as _INFLATE_ERROR
from handsetguard.zlibng import zlib as _zlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import IO, Any

    from handsetguard.sources.limits import Archive, Member

__all__ = ["inflate_member"]

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_MAGIC = b"PK\x03\x04"
_ENCRYPTED, _UTF8, _PATCHED, _STRONG = 0x1, 0x800, 0x20, 0x40
_STORED, _DEFLATED = 0, 8  # zipfile's ZIP_STORED, ZIP_DEFLATED (not imported for a plain zip)
_READ_BYTES = 64 * 1024
"""Compressed bytes read at a time: a dumpstate inflates 7-10x, so one read gives a few
output chunks, each decompressed with an output bound (never the whole member at once)."""


def _data_start(archive: Archive, info: Member) -> int | None:
    """Offset of the member's data, or ``None`` when zipfile should read it instead."""
    fp: IO[bytes] | None = archive.fp
    if (
        fp is None
        or info.compress_type not in (_STORED, _DEFLATED)
        or info.flag_bits & (_ENCRYPTED | _PATCHED | _STRONG)
    ):
        return None
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_MAGIC:
        return None
    name_length, extra_length = int(fields[10]), int(fields[11])
    name = fp.read(name_length)
    encoding = "utf-8" if info.flag_bits & _UTF8 else "cp437"
    if name != info.orig_filename.encode(encoding, "surrogateescape"):
        return None
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    end: Any = getattr(info, "_end_offset", None)  # zipfile's overlap guard (3.11.4+)
    if end is not None and start + info.compress_size > end:
        return None
    return start


def inflate_member(archive: Archive, info: Member, chunk: int) -> Iterator[bytes] | None:
    """The member's bytes in pieces of at most ``chunk`` bytes (``info.file_size`` of them
    at most, as zipfile gives), or ``None`` when zipfile must read this member."""
    start = _data_start(archive, info)
    if start is None:
        return None
    return _inflate(archive, info, start, chunk)


def _inflate(archive: Archive, info: Member, start: int, chunk: int) -> Iterator[bytes]:
    """As zipfile's ZipExtFile reads: at most ``compress_size`` bytes from the archive, the
    output cut at ``file_size``, the CRC-32 checked once the member ends."""
    fp = archive.fp
    assert fp is not None
    inflater = _zlib.decompressobj(-15) if info.compress_type == _DEFLATED else None
    position, compressed_left, left = start, info.compress_size, info.file_size
    crc = 0
    pending = b""
    ended = False
    while left > 0 and not ended:
        if not pending and compressed_left > 0:
            fp.seek(position)
            pending = fp.read(min(_READ_BYTES, compressed_left))
            if not pending:
                raise EOFError
            position += len(pending)
            compressed_left -= len(pending)
        if inflater is None:
            data, pending = pending[:chunk], pending[chunk:]
            ended = compressed_left <= 0 and not pending
        else:
            try:
                data = inflater.decompress(pending, chunk)
                pending = inflater.unconsumed_tail
                ended = inflater.eof or (compressed_left <= 0 and not pending)
                if ended:
                    data += inflater.flush()
            except _INFLATE_ERROR as exc:
                raise _bad_zip(str(exc)) from exc
        if len(data) > left:
            data = data[:left]
        left -= len(data)
        crc = _zlib.crc32(data, crc)
        if data:
            yield data
    if crc != info.CRC:
        raise _bad_zip(f"Bad CRC-32 for file {info.filename!r}")


def _bad_zip(message: str) -> Exception:
    """zipfile's BadZipFile, as zipfile raises it for the same damage (imported only then)."""
    import zipfile

    return zipfile.BadZipFile(message)
