"""AndroidQF collections (folder or zip): getprop, settings, dumpsys, packages, processes,
root binaries, SELinux status, the acquisition record, a nested bugreport, the SMS of its
``backup.ab``, its ``logcat.txt`` (links for the indicator matcher) and the APKs of ``apks/``.

File names follow androidqf's modules (github.com/mvt-project/androidqf, ``modules/*.go``).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path, PurePosixPath

from handsetguard.boundedio import loads_bounded
from handsetguard.errors import SourceError
from handsetguard.evidence import (
    AcquiredAt,
    ApkFile,
    CoverageEntry,
    CoverageStatus,
    Evidence,
    Provenance,
    Section,
    SourceKind,
)
from handsetguard.sources.android_backup import SMS_SECTION, add_backup_sms
from handsetguard.sources.bugreport import add_dumpstate, find_main_entry
from handsetguard.sources.completeness import note_index_stop, note_truncation
from handsetguard.sources.dumpstate import index_dumpstate
from handsetguard.sources.limits import MAX_SMALL_FILE_BYTES, open_zip, read_member
from handsetguard.sources.tree import FileTree, ZipTree
from handsetguard.textcodec import Blob, normalise_bytes

__all__ = [
    "ANDROIDQF_SPECIFIC",
    "APKS_SECTION",
    "CONSUMED_FILES",
    "MARKER_FILES",
    "androidqf_from_tree",
    "find_collection_root",
]

MARKER_FILES = frozenset(
    {
        "acquisition.json",
        "getprop.txt",
        "dumpsys.txt",
        "packages.json",
        "settings_global.txt",
        "settings_secure.txt",
        "settings_system.txt",
    }
)

# Whole-file sections: file name -> section name.
_PLAIN = {
    "getprop.txt": "getprop",
    "settings_global.txt": "settings:global",
    "settings_secure.txt": "settings:secure",
    "settings_system.txt": "settings:system",
    "packages.json": "androidqf:packages",
    "files.json": "androidqf:files",
    "processes.txt": "processes",
    "ps.txt": "processes",
    "root_binaries.json": "androidqf:root_binaries",
    "selinux.txt": "selinux",
    "mounts.json": "androidqf:mounts",
    "mounts.txt": "mounts",
    "acquisition.json": "androidqf:acquisition",
    "logcat.txt": "logcat",
}

CONSUMED_FILES = frozenset(_PLAIN) | {"dumpsys.txt", "bugreport.zip", "backup.ab", "apks"}
"""Files this reader takes by name; any other file of the folder is recognised by content."""

ANDROIDQF_SPECIFIC = (MARKER_FILES - {"getprop.txt"}) | {"bugreport.zip"}
"""Names only AndroidQF writes: a lone getprop.txt makes a folder of loose dumps."""


def find_collection_root(names: list[str]) -> str | None:
    """The folder prefix ('' or 'dir/') that holds AndroidQF marker files, if any."""
    best: str | None = None
    for name in names:
        pure = PurePosixPath(name)
        if pure.name in MARKER_FILES and len(pure.parts) <= 2:
            prefix = "" if len(pure.parts) == 1 else pure.parts[0] + "/"
            if best is None or len(prefix) < len(best):
                best = prefix
    return best


def _acquired_at(evidence: Evidence, data: Blob, file: str) -> AcquiredAt | None:
    try:
        record = loads_bounded(data, file, SourceError)
    except SourceError as exc:
        evidence.problems.append(
            CoverageEntry(
                "androidqf:acquisition",
                CoverageStatus.ERROR,
                f"{exc.message}; the acquisition time is not known from it",
                Provenance(file),
            )
        )
        return None
    if not isinstance(record, dict):
        return None
    for key in ("completed", "started"):
        value = record.get(key)
        if isinstance(value, str):
            when = _parse_iso(value)
            if when is not None:
                return AcquiredAt(when, f"'{key}' in {file}")
    return None


_FRACTION = re.compile(r"(\.\d+)")


def _parse_iso(value: str) -> datetime | None:
    # Go prints nanoseconds; Python's fromisoformat accepts at most microseconds.
    text = _FRACTION.sub(lambda m: m.group(1)[:7], value.strip().replace("Z", "+00:00"))
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def androidqf_from_tree(tree: FileTree, kind: SourceKind, path: str) -> Evidence:
    """Read an AndroidQF collection whose files are at the top of ``tree``."""
    evidence = Evidence(kind, path)
    names = set(tree.names())
    for file, name in _PLAIN.items():
        if file not in names:
            continue
        display = tree.display(file)
        try:
            data = normalise_bytes(tree.read(file, MAX_SMALL_FILE_BYTES))
        except SourceError as exc:
            evidence.problems.append(
                CoverageEntry(name, CoverageStatus.ERROR, exc.message, Provenance(display))
            )
            continue
        evidence.add(Section(name, Provenance(display, 1), data))
        if file == "acquisition.json":
            evidence.acquired_at = _acquired_at(evidence, data, display)
    if "dumpsys.txt" in names:
        _add_dumpsys(evidence, tree)
    if "bugreport.zip" in names:
        _add_nested_bugreport(evidence, tree)
    if "backup.ab" in names:
        _add_backup(evidence, tree)
    _add_apks(evidence, tree, names)
    return evidence


APKS_SECTION = "androidqf:apks"


def _add_apks(evidence: Evidence, tree: FileTree, names: set[str]) -> None:
    """The APKs androidqf pulled into ``apks/`` (``modules/packages.go``: one file per APK
    of a package, ``<package>[_<name>][_<n>].apk``), located for their signatures."""
    for name in sorted(names):
        folder, _, base = name.partition("/")
        if folder != "apks" or "/" in base or not base.lower().endswith(".apk"):
            continue
        display = tree.display(name)
        path, size = tree.locate(name)
        if size is None:
            evidence.problems.append(
                CoverageEntry(
                    APKS_SECTION,
                    CoverageStatus.ERROR,
                    f"{display}: a symbolic link or not a regular file; not followed",
                    Provenance(display),
                )
            )
            continue
        if isinstance(tree, ZipTree) and isinstance(tree.archive.filename, str):
            # A member of a zip opened from its path: read from there when it is inspected.
            outer, member = Path(tree.archive.filename), tree.prefix + name
            evidence.apk_files.append(ApkFile(name, display, size, None, outer, member))
        else:
            evidence.apk_files.append(ApkFile(name, display, size, path))


def _add_backup(evidence: Evidence, tree: FileTree) -> None:
    display = tree.display("backup.ab")
    try:
        data = tree.read("backup.ab", MAX_SMALL_FILE_BYTES)
    except SourceError as exc:
        evidence.problems.append(
            CoverageEntry(SMS_SECTION, CoverageStatus.ERROR, exc.message, Provenance(display))
        )
        return
    add_backup_sms(evidence, bytes(data), display)


def _add_dumpsys(evidence: Evidence, tree: FileTree) -> None:
    display = tree.display("dumpsys.txt")
    try:
        dumpsys = normalise_bytes(tree.read("dumpsys.txt"))
    except SourceError as exc:
        evidence.problems.append(
            CoverageEntry("dumpsys.txt", CoverageStatus.ERROR, exc.message, Provenance(display))
        )
        return
    index = index_dumpstate(dumpsys, display)
    for section in index:
        if section.name.startswith("dumpsys:"):
            evidence.add(section)
    note_index_stop(evidence, index)
    note_truncation(evidence, dumpsys, display)


def _add_nested_bugreport(evidence: Evidence, tree: FileTree) -> None:
    display = tree.display("bugreport.zip")
    try:
        archive = open_zip(tree.read("bugreport.zip"), display)
        with archive:
            info = find_main_entry(archive, display)
            if info is None:
                raise SourceError(f"{display}: holds no bugreport text")
            data = read_member(archive, info, display)
    except SourceError as exc:
        evidence.problems.append(
            CoverageEntry("bugreport.zip", CoverageStatus.ERROR, exc.message, Provenance(display))
        )
        return
    before = evidence.acquired_at
    add_dumpstate(evidence, data, f"{display}!{info.filename}")
    if before is not None:
        evidence.acquired_at = before
