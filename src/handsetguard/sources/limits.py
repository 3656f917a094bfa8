"""Bounded reads: every byte a source takes from disk or a zip goes through here.

The limits stop zip bombs and hostile sizes before they cost memory; they are generous for real
bugreports (a busy phone's dumpstate is 20–150 MB).

zipfile (and the shutil, threading and importlib.util it imports: ~8 M instructions, 4.5-6 ms)
is imported by :func:`open_zip` only for an archive that is not plain (sources/zipdir.py): a
text input, or a bugreport zip as phones write them, never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from handsetguard.boundedio import iter_bounded, read_bounded
from handsetguard.errors import SourceError
from handsetguard.textcodec import Blob

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    import zipfile
    from typing import IO

    from handsetguard.sources.zipdir import PlainMember, PlainZip

    Archive = zipfile.ZipFile | PlainZip
    """An open zip: zipfile's, or a plain one read without it."""
    Member = zipfile.ZipInfo | PlainMember

__all__ = [
    "MAX_INFLATE_RATIO",
    "MAX_MEMBER_BYTES",
    "MAX_SMALL_FILE_BYTES",
    "MAX_ZIP_MEMBERS",
    "MIN_RATIO_CHECKED_BYTES",
    "STREAM_CHUNK_BYTES",
    "iter_file",
    "iter_member",
    "open_zip",
    "read_file",
    "read_member",
]

MAX_MEMBER_BYTES = 512 * 1024 * 1024
"""Largest single text we read (a dumpstate, a dumpsys file)."""

MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024
"""Largest side file we read (getprop, settings, JSON manifests)."""

MAX_ZIP_MEMBERS = 100_000

MAX_INFLATE_RATIO = 64
"""Most a zip member may expand per compressed byte once past MIN_RATIO_CHECKED_BYTES. Real
dumpstate texts deflate 5–10x (the corpus: 7.4–10.0x); 64x is a bomb (a megabyte of zip
holding 512 MiB of one repeated line is 500x), refused before it costs memory or time."""

MIN_RATIO_CHECKED_BYTES = 4 * 1024 * 1024
"""Members smaller than this are not held to MAX_INFLATE_RATIO (tiny files compress well)."""

_CHUNK = 4 * 1024 * 1024

STREAM_CHUNK_BYTES = 256 * 1024
"""Bytes a streaming reader takes at a time (iter_member, iter_file): the text in memory is
about one chunk. 256 KiB: 1 MiB chunks cost 2–3 MB more peak RSS on the corpus (allocator
reuse of the large buffers), 64 KiB gains nothing and is slower."""


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def read_file(path: Path, limit: int | None = None) -> Blob:
    """Read a whole regular file, refusing one larger than ``limit`` (default
    MAX_MEMBER_BYTES), a symlink (never followed: a folder of evidence is read, not what it
    points at) and a FIFO or device (before a byte is read)."""
    return read_bounded(
        path,
        MAX_MEMBER_BYTES if limit is None else limit,
        SourceError,
        remediation="check that this is a bugreport or collection file",
        follow_symlinks=False,
    )


def open_zip(source: Path | bytes | bytearray, name: str) -> Archive:
    """Open a zip archive (a path or bytes), translating zipfile's errors. A plain archive at a
    path is read without zipfile (sources/zipdir.py); any other is zipfile's."""
    archive: Archive | None = None
    if not isinstance(source, bytes | bytearray):
        from handsetguard.sources.zipdir import open_plain

        archive = open_plain(source, MAX_ZIP_MEMBERS)
    if archive is None:
        archive = _open_zipfile(source, name)
    if len(archive.infolist()) > MAX_ZIP_MEMBERS:
        archive.close()
        raise SourceError(f"{name}: more than {MAX_ZIP_MEMBERS} entries; refusing to read it")
    return archive


def _open_zipfile(source: Path | bytes | bytearray, name: str) -> zipfile.ZipFile:
    import io
    import zipfile

    try:
        return zipfile.ZipFile(
            io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        )
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,  # an entry of a zip version zipfile does not read (> 6.3)
    ) as exc:
        raise SourceError(f"{name}: not a readable zip archive ({exc})") from exc


def _member_limit(info: Member, where: str, limit: int | None) -> tuple[int, str]:
    """The most bytes ``info`` may inflate to and how to say so; a member whose header already
    declares more is refused here."""
    limit = MAX_MEMBER_BYTES if limit is None else limit
    over = f"over {_mib(limit)}"
    # zipfile reads no more than the compressed size from the archive, so a ratio bound on
    # that size bounds the output even when the uncompressed size in the header lies.
    by_ratio = max(MIN_RATIO_CHECKED_BYTES, MAX_INFLATE_RATIO * info.compress_size)
    if by_ratio < limit:
        limit = by_ratio
        over = f"over {MAX_INFLATE_RATIO}x its {info.compress_size:,} compressed bytes"
    if info.file_size > limit:
        raise SourceError(
            f"{where}: expands to {info.file_size:,} bytes, {over} (zip bomb?); refusing to read it"
        )
    return limit, over


def _zip_read_errors() -> tuple[type[BaseException], ...]:
    """What reading a member can raise (zipfile and zlib are loaded: an archive is open).
    RuntimeError: an encrypted member; NotImplementedError: an unknown compression method."""
    import zipfile
    import zlib

    return (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    )


def iter_member(
    archive: Archive,
    info: Member,
    name: str,
    limit: int | None = None,
    chunk: int = STREAM_CHUNK_BYTES,
) -> Iterator[bytes]:
    """:func:`read_member` in chunks of at most ``chunk`` bytes, for a reader that needs the
    text once: the same bounds, never the whole member in memory."""
    where = f"{name}!{info.filename}"
    limit, over = _member_limit(info, where, limit)
    total = 0
    try:
        for data in _member_chunks(archive, info, chunk):
            total += len(data)
            if total > limit:
                raise SourceError(
                    f"{where}: expands to more than {limit:,} bytes, {over} (zip bomb?); "
                    "refusing to read it"
                )
            yield data
    except Exception as exc:  # not a reader leaving early (GeneratorExit): nothing to import
        if isinstance(exc, SourceError) or not isinstance(exc, _zip_read_errors()):
            raise
        raise SourceError(f"{where}: corrupt, truncated or encrypted zip entry ({exc})") from exc


def _member_chunks(archive: Archive, info: Member, chunk: int) -> Iterator[bytes]:
    """The member's bytes: inflated straight from the archive (sources/inflate.py) when it is
    a plain stored or deflated member, else read through zipfile."""
    from handsetguard.sources.inflate import inflate_member  # zip inputs only: zlib-ng's import

    fast = inflate_member(archive, info, chunk)
    if fast is not None:
        yield from fast
        return
    with _open_member(archive, info) as handle:
        while data := handle.read(chunk):
            yield data


def _open_member(archive: Archive, info: Member) -> IO[bytes]:
    """``info`` read through zipfile: ``archive``'s own, or the one a plain archive opens."""
    from handsetguard.sources.zipdir import PlainMember, PlainZip

    if isinstance(archive, PlainZip) and isinstance(info, PlainMember):
        return archive.open(info)
    if not isinstance(archive, PlainZip) and not isinstance(info, PlainMember):
        return archive.open(info)
    raise TypeError("a zip member read from another kind of archive")


def iter_file(path: Path, limit: int | None = None) -> Iterator[bytes]:
    """:func:`read_file` in chunks."""
    return iter_bounded(
        path,
        MAX_MEMBER_BYTES if limit is None else limit,
        SourceError,
        remediation="check that this is a bugreport or collection file",
        follow_symlinks=False,
        chunk=STREAM_CHUNK_BYTES,
    )


def read_member(archive: Archive, info: Member, name: str, limit: int | None = None) -> bytearray:
    """Read one zip member in chunks, stopping as soon as it exceeds ``limit``.

    The declared size is checked first, but not trusted: a forged header cannot make us
    decompress more than ``limit`` bytes.
    """
    # One buffer sized from the header and grown only if the header lied: peak memory is the
    # member's size plus one chunk, not twice the size.
    _member_limit(info, f"{name}!{info.filename}", limit)
    buffer = bytearray(info.file_size)
    total = 0
    for data in iter_member(archive, info, name, limit, _CHUNK):
        end = total + len(data)
        buffer[total:end] = data
        total = end
    del buffer[total:]
    return buffer
