"""Open any supported input by looking at its content: bugreport zip/folder/text, AndroidQF
collection (folder or zip), snapshot, or loose command outputs (a file or a folder of them).
The file name is only a tie-breaker, never the deciding fact."""

from __future__ import annotations

from pathlib import Path

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageStatus, Evidence, SourceKind
from handsetguard.sources.bugreport import (
    SNIFF_BYTES,
    bugreport_from_dir,
    bugreport_from_text,
    bugreport_from_zip,
    find_main_entry,
)
from handsetguard.sources.dumpstate import has_dumpstate_layout
from handsetguard.sources.limits import open_zip
from handsetguard.textcodec import normalise_bytes

# The AndroidQF, snapshot and loose-output readers (and their tables of signatures) are
# imported by the branch that needs them: a bugreport, the common input, loads none of them.

__all__ = ["open_source"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def open_source(path: str | Path) -> Evidence:
    """Acquire the evidence in ``path``; raises :class:`SourceError` naming what is wrong."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir():
        return _open_dir(path)
    if not path.is_file():
        raise SourceError(f"{path}: not a regular file or folder (a FIFO, socket or device?)")
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if head.startswith(_ZIP_MAGIC):
        return _open_zip(path)
    # Decide from the head; the whole file is read only once its kind is known.
    # The file named on the command line may be a symlink the user made; files inside a
    # folder never are followed (limits.read_file refuses them).
    target = path.resolve() if path.is_symlink() else path
    if has_dumpstate_layout(normalise_bytes(head)):
        return bugreport_from_text(path, target)
    return _open_loose_file(path, head, target)


_REMEDY = (
    "pass the .zip from 'adb bugreport', its unzipped folder, an AndroidQF folder, or the "
    "output of getprop, settings list, dumpsys SERVICE, ps or mount"
)


def _open_loose_file(path: Path, head: bytes, target: Path) -> Evidence:
    from handsetguard.sources.loose import add_loose_file, graded

    evidence = Evidence(SourceKind.LOOSE_FILE, str(path))
    reason = add_loose_file(evidence, target, path.name, head)
    if reason is not None:
        raise SourceError(f"{path}: {reason}", remediation=_REMEDY)
    if not graded(evidence):
        found = ", ".join(sorted(evidence.sections))
        raise SourceError(f"{path}: holds only {found}: no check reads it", remediation=_REMEDY)
    return evidence


def _open_loose_dir(path: Path) -> Evidence:
    from handsetguard.sources.loose import add_loose_dir, graded

    evidence = Evidence(SourceKind.LOOSE_DIR, str(path))
    add_loose_dir(evidence, path)
    if not graded(evidence):
        notes = [e.detail for e in evidence.problems if e.status is not CoverageStatus.PARSED]
        more = f"; and {len(notes) - 3} more" if len(notes) > 3 else ""
        summary = "; ".join(notes[:3]) + more if notes else "it is empty"
        raise SourceError(
            f"{path}: no file in this folder can be graded ({summary})", remediation=_REMEDY
        )
    return evidence


def _open_dir(path: Path) -> Evidence:
    from handsetguard.sources.snapshot import MANIFEST_NAME, snapshot_evidence

    names = {p.name for p in path.iterdir()}
    if MANIFEST_NAME in names:
        return snapshot_evidence(path)
    if "main_entry.txt" in names or any(
        n.startswith("bugreport") and n.endswith(".txt") for n in names
    ):
        return bugreport_from_dir(path)
    from handsetguard.sources.androidqf import (
        ANDROIDQF_SPECIFIC,
        CONSUMED_FILES,
        MARKER_FILES,
        androidqf_from_tree,
    )
    from handsetguard.sources.loose import add_loose_dir
    from handsetguard.sources.tree import DirTree

    if names & ANDROIDQF_SPECIFIC:
        evidence = androidqf_from_tree(DirTree(path), SourceKind.ANDROIDQF_DIR, str(path))
        add_loose_dir(evidence, path, CONSUMED_FILES)
        return evidence
    subdirs = [p for p in path.iterdir() if p.is_dir() and not p.is_symlink()]
    if len(subdirs) == 1 and {p.name for p in subdirs[0].iterdir()} & MARKER_FILES:
        return androidqf_from_tree(DirTree(subdirs[0]), SourceKind.ANDROIDQF_DIR, str(path))
    if "dumpstate.txt" in names:
        return bugreport_from_dir(path)
    return _open_loose_dir(path)


def _open_zip(path: Path) -> Evidence:
    archive = open_zip(path, str(path))
    with archive:
        if find_main_entry(archive, str(path)) is not None:
            return bugreport_from_zip(path, archive)
        from handsetguard.sources.androidqf import androidqf_from_tree, find_collection_root
        from handsetguard.sources.tree import ZipTree

        root = find_collection_root([info.filename for info in archive.infolist()])
        if root is not None:
            tree = ZipTree(archive, path.name, root)
            return androidqf_from_tree(tree, SourceKind.ANDROIDQF_ZIP, str(path))
    raise SourceError(
        f"{path}: zip is neither a bugreport (main_entry.txt, bugreport-*.txt) "
        "nor an AndroidQF collection (getprop.txt, dumpsys.txt, …)"
    )
