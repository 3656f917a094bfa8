"""Bounded reads: every byte a source takes from disk or a zip goes through here.

The limits stop zip bombs and hostile sizes before they cost memory; they are generous for real
bugreports (a busy phone's dumpstate is 20–150 MB).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from handsetguard.boundedio import read_bounded
from handsetguard.errors import SourceError
from handsetguard.textcodec import Blob

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_SMALL_FILE_BYTES",
    "MAX_ZIP_MEMBERS",
    "open_zip",
    "read_file",
    "read_member",
]

MAX_MEMBER_BYTES = 512 * 1024 * 1024
"""Largest single text we read (a dumpstate, a dumpsys file)."""

MAX_SMALL_FILE_BYTES = 64 * 1024 * 1024
"""Largest side file we read (getprop, settings, JSON manifests)."""

MAX_ZIP_MEMBERS = 100_000

_CHUNK = 4 * 1024 * 1024


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"


def read_file(path: Path, limit: int | None = None) -> Blob:
    """Read a whole file, refusing one larger than ``limit`` (default MAX_MEMBER_BYTES)."""
    return read_bounded(
        path,
        MAX_MEMBER_BYTES if limit is None else limit,
        SourceError,
        remediation="check that this is a bugreport or collection file",
    )


def open_zip(source: Path | bytes | bytearray, name: str) -> zipfile.ZipFile:
    """Open a zip archive (a path or bytes), translating zipfile's errors."""
    try:
        archive = zipfile.ZipFile(
            io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceError(f"{name}: not a readable zip archive ({exc})") from exc
    if len(archive.infolist()) > MAX_ZIP_MEMBERS:
        archive.close()
        raise SourceError(f"{name}: more than {MAX_ZIP_MEMBERS} entries; refusing to read it")
    return archive


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int | None = None
) -> bytearray:
    """Read one zip member in chunks, stopping as soon as it exceeds ``limit``.

    The declared size is checked first, but not trusted: a forged header cannot make us
    decompress more than ``limit`` bytes.
    """
    limit = MAX_MEMBER_BYTES if limit is None else limit
    where = f"{name}!{info.filename}"
    if info.file_size > limit:
        raise SourceError(
            f"{where}: expands to {info.file_size} bytes, over {_mib(limit)} "
            "(zip bomb?); refusing to read it"
        )
    # One buffer sized from the header and grown only if the header lied: peak memory is the
    # member's size plus one chunk, not twice the size.
    buffer = bytearray(info.file_size)
    total = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                end = total + len(chunk)
                if end > limit:
                    raise SourceError(
                        f"{where}: expands beyond {_mib(limit)} (zip bomb?); refusing to read it"
                    )
                buffer[total:end] = chunk
                total = end
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression method.
        raise SourceError(f"{where}: corrupt, truncated or encrypted zip entry ({exc})") from exc
    del buffer[total:]
    return buffer
