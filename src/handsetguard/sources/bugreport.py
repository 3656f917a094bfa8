"""Bugreports: the modern zip (``main_entry.txt``), zips holding only the text, unzipped
bugreport directories and plain ``adb bugreport > file.txt`` dumpstate texts."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from handsetguard.errors import SourceError
from handsetguard.evidence import (
    AcquiredAt,
    CoverageEntry,
    CoverageStatus,
    Evidence,
    Provenance,
    Section,
    SourceKind,
)
from handsetguard.sources.bugreport_fs import add_fs_from_dir, add_fs_from_zip
from handsetguard.sources.completeness import note_index_stop, record_truncation
from handsetguard.sources.dumpstate import dumpstate_time
from handsetguard.sources.limits import (
    MAX_SMALL_FILE_BYTES,
    iter_file,
    iter_member,
    read_file,
    read_member,
)
from handsetguard.sources.stream import blob_chunks, index_stream
from handsetguard.textcodec import Blob, utf8_chunks

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from handsetguard.sources.limits import Archive, Member

__all__ = [
    "add_dumpstate",
    "SNIFF_BYTES",
    "bugreport_from_dir",
    "bugreport_from_text",
    "bugreport_from_zip",
    "find_main_entry",
]

SNIFF_BYTES = 64 * 1024


def _is_dumpstate_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.endswith(".txt") and (
        base.startswith(("bugreport", "dumpstate-")) or base == "dumpstate.txt"
    )


def find_main_entry(archive: Archive, name: str) -> Member | None:
    """The dumpstate text inside a bugreport zip: the one ``main_entry.txt`` names, else the
    largest ``bugreport-*.txt``/``dumpstate*.txt`` entry; ``None`` when there is none."""
    infos = {info.filename: info for info in archive.infolist() if not info.is_dir()}
    main = infos.get("main_entry.txt")
    if main is not None:
        target = read_member(archive, main, name, limit=4096).decode("utf-8", "replace").strip()
        if target in infos:
            return infos[target]
    candidates = [
        info
        for info in infos.values()
        if _is_dumpstate_name(info.filename)
        and not PurePosixPath(info.filename).name.startswith("dumpstate_")
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda info: info.file_size)


def add_dumpstate(evidence: Evidence, data: Blob | Iterable[Blob], file: str) -> None:
    """Index a dumpstate text (its bytes, or its chunks as they are read) into ``evidence``
    and record its acquisition time. The text streams past once: only the sections state.py
    reads are kept (sources/wanted.py), the others are listed in ``evidence.unread``."""
    chunks = blob_chunks(data) if isinstance(data, bytes | bytearray) else data
    found = index_stream(utf8_chunks(chunks), file)
    for section in found.sections:
        evidence.add(section)
    for name, where, _ in found.unread:
        evidence.unread.setdefault(name, where)
    note_index_stop(evidence, found)
    record_truncation(evidence, found.truncation)
    when = dumpstate_time(found.head)
    if when is not None and evidence.acquired_at is None and when.year >= 2000:
        evidence.acquired_at = AcquiredAt(when, f"dumpstate header of {file}")


def bugreport_from_zip(
    path: Path, archive: Archive, kind: SourceKind = SourceKind.BUGREPORT_ZIP
) -> Evidence:
    info = find_main_entry(archive, str(path))
    if info is None:
        raise SourceError(
            f"{path}: zip holds no bugreport text (no main_entry.txt, "
            "bugreport-*.txt or dumpstate*.txt entry)"
        )
    evidence = Evidence(kind, str(path))
    add_dumpstate(evidence, iter_member(archive, info, str(path)), f"{path.name}!{info.filename}")
    _require_sections(evidence, f"{path.name}!{info.filename}")
    _add_mounts(evidence, archive, path.name)
    add_fs_from_zip(evidence, archive, path.name)
    return evidence


# Mount tables dumpstate copies into the zip's FS/ tree (init's view first).
_MOUNT_MEMBERS = ("FS/proc/mounts", "FS/proc/self/mounts", "FS/proc/1/mountinfo")


def _add_mounts(evidence: Evidence, archive: Archive, name: str) -> None:
    """Add the first mount table found in the zip as the ``mounts`` section; a corrupt one
    becomes a coverage problem, not a failure of the whole input."""
    members = {info.filename: info for info in archive.infolist()}
    for member in _MOUNT_MEMBERS:
        info = members.get(member)
        if info is None:
            continue
        try:
            data = read_member(archive, info, name, limit=MAX_SMALL_FILE_BYTES)
        except SourceError as exc:
            evidence.problems.append(
                CoverageEntry(
                    "mounts", CoverageStatus.ERROR, exc.message, Provenance(f"{name}!{member}")
                )
            )
            return
        evidence.add(Section("mounts", Provenance(f"{name}!{member}", 1), data))
        return


def bugreport_from_dir(path: Path) -> Evidence:
    main = path / "main_entry.txt"
    target: Path | None = None
    if main.is_file() and not main.is_symlink():
        name = read_file(main, 4096).decode("utf-8", "replace").strip()
        candidate = (path / name).resolve()
        if candidate.is_file() and candidate.is_relative_to(path.resolve()):
            target = candidate
    if target is None:
        # Regular files of the folder only: a symlinked bugreport-*.txt is not followed.
        candidates = sorted(
            (
                p
                for p in path.iterdir()
                if _is_dumpstate_name(p.name)
                and not p.name.startswith("dumpstate_")
                and p.is_file()
                and not p.is_symlink()
            ),
            key=lambda p: p.lstat().st_size,
            reverse=True,
        )
        if not candidates:
            raise SourceError(
                f"{path}: directory holds no bugreport text (no main_entry.txt, "
                "bugreport-*.txt or dumpstate*.txt)"
            )
        target = candidates[0]
    evidence = Evidence(SourceKind.BUGREPORT_DIR, str(path))
    add_dumpstate(evidence, iter_file(target), target.name)
    _require_sections(evidence, str(target))
    add_fs_from_dir(evidence, path)
    return evidence


def bugreport_from_text(path: Path, target: Path | None = None) -> Evidence:
    """A plain dumpstate text, read from ``target`` (the file a symlink named on the command
    line resolves to) or ``path``, named ``path`` in the evidence."""
    evidence = Evidence(SourceKind.DUMPSTATE_TXT, str(path))
    add_dumpstate(evidence, iter_file(path if target is None else target), path.name)
    _require_sections(evidence, str(path))
    return evidence


def _require_sections(evidence: Evidence, file: str) -> None:
    if not any(name != "header" for name in [*evidence.sections, *evidence.unread]):
        raise SourceError(f"{file}: no dumpstate sections found; not a bugreport text")
