"""Open any supported input by looking at its content: bugreport zip/folder/text or AndroidQF
collection (folder or zip). The file name is only a tie-breaker, never the deciding fact."""

from __future__ import annotations

from pathlib import Path

from handsetguard.errors import SourceError
from handsetguard.evidence import Evidence, SourceKind
from handsetguard.sources.androidqf import MARKER_FILES, androidqf_from_tree, find_collection_root
from handsetguard.sources.bugreport import (
    SNIFF_BYTES,
    bugreport_from_dir,
    bugreport_from_text,
    bugreport_from_zip,
    find_main_entry,
    sniff_text,
)
from handsetguard.sources.limits import open_zip, read_file
from handsetguard.sources.snapshot import MANIFEST_NAME, snapshot_evidence
from handsetguard.sources.tree import DirTree, ZipTree

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
    # Decide from the head; the whole file is read only when it is a dumpstate text.
    if sniff_text(head):
        return bugreport_from_text(path, read_file(path))
    raise SourceError(
        f"{path}: not a bugreport (zip, folder or dumpstate text) or an AndroidQF collection",
        remediation="pass the .zip from 'adb bugreport', its unzipped folder, "
        "or an AndroidQF folder",
    )


def _open_dir(path: Path) -> Evidence:
    names = {p.name for p in path.iterdir()}
    if MANIFEST_NAME in names:
        return snapshot_evidence(path)
    if "main_entry.txt" in names or any(
        n.startswith("bugreport") and n.endswith(".txt") for n in names
    ):
        return bugreport_from_dir(path)
    if names & MARKER_FILES:
        return androidqf_from_tree(DirTree(path), SourceKind.ANDROIDQF_DIR, str(path))
    subdirs = [p for p in path.iterdir() if p.is_dir()]
    if len(subdirs) == 1 and {p.name for p in subdirs[0].iterdir()} & MARKER_FILES:
        return androidqf_from_tree(DirTree(subdirs[0]), SourceKind.ANDROIDQF_DIR, str(path))
    if "dumpstate.txt" in names:
        return bugreport_from_dir(path)
    raise SourceError(
        f"{path}: folder is neither an unzipped bugreport (main_entry.txt, "
        "bugreport-*.txt) nor an AndroidQF collection (getprop.txt, dumpsys.txt, …)"
    )


def _open_zip(path: Path) -> Evidence:
    archive = open_zip(path, str(path))
    with archive:
        if find_main_entry(archive, str(path)) is not None:
            return bugreport_from_zip(path, archive)
        root = find_collection_root([info.filename for info in archive.infolist()])
        if root is not None:
            tree = ZipTree(archive, path.name, root)
            return androidqf_from_tree(tree, SourceKind.ANDROIDQF_ZIP, str(path))
    raise SourceError(
        f"{path}: zip is neither a bugreport (main_entry.txt, bugreport-*.txt) "
        "nor an AndroidQF collection (getprop.txt, dumpsys.txt, …)"
    )
