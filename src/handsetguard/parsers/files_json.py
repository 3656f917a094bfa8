"""AndroidQF's ``files.json``: one object per file found on the phone (path, size, mode, times,
hashes when androidqf computed them), for the indicator matcher's path and hash look-ups."""

from __future__ import annotations

from handsetguard.boundedio import loads_bounded
from handsetguard.errors import ParseError
from handsetguard.records import record

__all__ = ["FileEntry", "FileListing", "parse_files_json", "parse_path_listing"]


@record
class FileEntry:
    path: str
    size: int | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None


@record
class FileListing:
    """The files in listing order; ``unreadable`` counts items without a string ``path``."""

    files: tuple[FileEntry, ...] = ()
    unreadable: int = 0


def _digest(value: object) -> str | None:
    return value.lower() if isinstance(value, str) and value not in ("", "null") else None


def parse_path_listing(text: str) -> FileListing:
    """One device path per line (a bugreport zip's ``FS/`` tree): paths only, no digests."""
    return FileListing(tuple(FileEntry(line) for line in text.split("\n") if line.startswith("/")))


def parse_files_json(text: str) -> FileListing:
    """Parse ``files.json`` (a JSON list); invalid JSON or another top level is a ParseError."""
    value = loads_bounded(text, "files.json", ParseError)
    if not isinstance(value, list):
        raise ParseError("files.json: top level is not a list")
    files: list[FileEntry] = []
    unreadable = 0
    for item in value:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or not path:
            unreadable += 1
            continue
        size = item.get("size")
        files.append(
            FileEntry(
                path=path,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                md5=_digest(item.get("md5")),
                sha1=_digest(item.get("sha1")),
                sha256=_digest(item.get("sha256")),
            )
        )
    return FileListing(tuple(files), unreadable)
