"""The ``FS/`` tree a bugreport carries beside its dumpstate text (a zip's members, or an
unzipped folder's files): the device paths it holds, for file-path indicators, and the
process each native crash tombstone (``FS/data/tombstones/tombstone_NN``) names, for process
indicators — what MVT's ``check-bugreport`` reads there too.

Bounded: at most :data:`MAX_FS_ENTRIES` paths, :data:`MAX_TOMBSTONES` tombstones of at most
:data:`MAX_TOMBSTONE_BYTES` each, of which only the first :data:`HEAD_BYTES` are read; a
folder's symbolic links are never followed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section
from handsetguard.lazyre import lazy_compile
from handsetguard.sources.limits import iter_file, iter_member

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from handsetguard.sources.limits import Archive

__all__ = [
    "FS_SECTION",
    "MAX_FS_ENTRIES",
    "MAX_TOMBSTONES",
    "HEAD_BYTES",
    "MAX_TOMBSTONE_BYTES",
    "TOMBSTONE_SECTION",
    "add_fs_from_dir",
    "add_fs_from_zip",
]

FS_SECTION = "bugreport:fs"
TOMBSTONE_SECTION = "bugreport:tombstone"
MAX_FS_ENTRIES = 100_000
MAX_TOMBSTONES = 64
MAX_TOMBSTONE_BYTES = 4 * 1024 * 1024
HEAD_BYTES = 64 * 1024
"""Bytes read of each tombstone: the ``pid: … >>> name <<<`` line is in its first lines (the
rest, backtraces and memory maps, is up to megabytes that would cost the run inflating)."""
_TOMBSTONE_NAME = lazy_compile(r"data/tombstones/tombstone_\d{1,4}")  # text ones (not .pb)
# "pid: 9850, tid: 9893, name: UsbFfs-worker  >>> /system/bin/adbd <<<"
_CRASHED = lazy_compile(rb"^pid: \d+, tid: \d+, name: [^\n]*?>>> ([^\n]{1,512}?) <<<", re.MULTILINE)


def _listing(evidence: Evidence, paths: list[str], where: str) -> None:
    if paths:
        clean = [p.replace("\n", "?").replace("\r", "?") for p in paths[:MAX_FS_ENTRIES]]
        data = "\n".join(clean).encode("utf-8", "surrogateescape")
        evidence.add(Section(FS_SECTION, Provenance(where), data))


def _tombstone(evidence: Evidence, data: bytes | bytearray, where: str, n: int) -> None:
    """The crashed process of one tombstone, as a one-line section at its line."""
    match = _CRASHED.search(data)
    if match is None:
        return
    line = data.count(b"\n", 0, match.start()) + 1
    evidence.add(
        Section(f"{TOMBSTONE_SECTION}:{n}", Provenance(where, line), bytes(match.group(1)))
    )


def _problem(evidence: Evidence, message: str, where: str) -> None:
    evidence.problems.append(
        CoverageEntry(TOMBSTONE_SECTION, CoverageStatus.ERROR, message, Provenance(where))
    )


def add_fs_from_zip(evidence: Evidence, archive: Archive, name: str) -> None:
    """The zip's ``FS/`` members: their device paths and their tombstones' crashed processes."""
    members = [i for i in archive.infolist() if i.filename.startswith("FS/") and not i.is_dir()]
    _listing(evidence, [i.filename[2:] for i in members], f"{name}!FS/")
    tombstones = [i for i in members if _TOMBSTONE_NAME.fullmatch(i.filename[3:])]
    for n, info in enumerate(tombstones[:MAX_TOMBSTONES]):
        where = f"{name}!{info.filename}"
        try:
            chunks = iter_member(archive, info, name, MAX_TOMBSTONE_BYTES, chunk=HEAD_BYTES)
            data = next(iter(chunks), b"")
        except SourceError as exc:
            _problem(evidence, exc.message, where)
            continue
        _tombstone(evidence, data, where, n)


def add_fs_from_dir(evidence: Evidence, folder: Path) -> None:
    """The same for an unzipped bugreport: the regular files under ``folder/FS``."""
    root = folder / "FS"
    if not root.is_dir() or root.is_symlink():
        return
    found: list[str] = []
    for top, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(top, d)))
        relative = os.path.relpath(top, root)
        for file in sorted(files):
            device = "/" + file if relative == "." else f"/{relative}/{file}"
            found.append(device)
        if len(found) >= MAX_FS_ENTRIES:
            break
    _listing(evidence, found, f"{folder.name}/FS/")
    tombstones = [p for p in found if _TOMBSTONE_NAME.fullmatch(p[1:])]
    for n, device in enumerate(tombstones[:MAX_TOMBSTONES]):
        where = f"{folder.name}/FS{device}"
        try:
            data = next(iter(iter_file(root / device[1:], MAX_TOMBSTONE_BYTES)), b"")[:HEAD_BYTES]
        except SourceError as exc:
            _problem(evidence, exc.message, where)
            continue
        _tombstone(evidence, data, where, n)
