"""One APK inspected: its container, manifest and signatures, into an :class:`ApkReport`.
Nothing is extracted to disk; every read is bounded."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from handsetguard.apk.axml import AxmlError, Element, Reference, parse_axml
from handsetguard.apk.dex import class_names
from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.indicators import match_indicators
from handsetguard.apk.manifest import Manifest, read_manifest
from handsetguard.apk.model import ApkReport
from handsetguard.apk.trackers import Tracker, TrackerHit, find_trackers
from handsetguard.apk.verify import verify_apk
from handsetguard.apk.zip import Container, Tampering, open_container

if TYPE_CHECKING:
    from handsetguard.threats.indicators import IndicatorIndex

__all__ = ["MAX_DEX", "MAX_MANIFEST", "inspect_apk", "inspect_container"]

MAX_MANIFEST = 8 << 20
"""A binary manifest larger than this is refused (real ones are well under 1 MiB)."""
MAX_ARSC = 128 << 20
"""resources.arsc larger than this is not read (manifest references then stay unresolved)."""
MAX_DEX = 512 << 20
"""A DEX file larger than this is not read for class names (the largest real ones are ~100 MiB)."""


def _file_sha256(container: Container) -> str:
    digest = hashlib.sha256()
    for piece in container.iter_range(0, container.file_size):
        digest.update(piece)
    return digest.hexdigest()


def _has_references(root: Element) -> bool:
    return any(isinstance(v, Reference) for e in root.iter() for v in e.attributes.values())


def _manifest(container: Container, notes: list[str]) -> tuple[Manifest | None, str | None]:
    entry = container.by_name.get("AndroidManifest.xml")
    if entry is None:
        return None, "no AndroidManifest.xml"
    try:
        root = parse_axml(container.read_entry(entry, MAX_MANIFEST), notes)
        table = container.by_name.get("resources.arsc")
        if table is not None and _has_references(root):
            from handsetguard.apk.resources import ResourceTable, resolve_references

            count = resolve_references(root, ResourceTable(container.read_entry(table, MAX_ARSC)))
            if count:
                notes.append(f"{count} attribute(s) resolved from resources.arsc")
        return read_manifest(root), None
    except (AxmlError, ApkFormatError) as exc:
        return None, f"AndroidManifest.xml: {exc}"


def _dex(
    container: Container, names: list[str], trackers: tuple[Tracker, ...] | None, notes: list[str]
) -> tuple[int, tuple[TrackerHit, ...] | None]:
    """Class definitions counted from each DEX header; with ``trackers``, the class names of
    every DEX read from its type table and matched."""
    count = 0
    classes: list[str] = []
    for name in names:
        entry = container.by_name[name]
        try:
            header = b"".join(container.iter_entry(entry, limit=0x70))
            if len(header) == 0x70 and header.startswith(b"dex\n"):
                count += struct.unpack_from("<I", header, 0x60)[0]
            if trackers is not None:
                classes += class_names(container.read_entry(entry, MAX_DEX), notes, name)
        except ApkFormatError as exc:
            notes.append(exc.message)
    return count, None if trackers is None else find_trackers(classes, trackers)


def inspect_apk(
    path: Path | str,
    min_sdk: int | None = None,
    *,
    trackers: tuple[Tracker, ...] | None = None,
    indicators: IndicatorIndex | None = None,
) -> ApkReport:
    """Inspect the APK at ``path``; ``min_sdk`` overrides the manifest's for verification;
    ``trackers`` (an εxodus list) and ``indicators`` are matched when given.
    :class:`ApkFormatError` when the file is no ZIP archive at all."""
    path = Path(path)
    idsig = path.with_name(path.name + ".idsig")  # v4: the signature file beside the APK
    with open_container(path) as container:
        return inspect_container(
            container,
            min_sdk,
            idsig=idsig if idsig.is_file() else None,
            trackers=trackers,
            indicators=indicators,
        )


def inspect_container(
    container: Container,
    min_sdk: int | None = None,
    *,
    idsig: Path | None = None,
    trackers: tuple[Tracker, ...] | None = None,
    indicators: IndicatorIndex | None = None,
) -> ApkReport:
    """:func:`inspect_apk` of an open container (``idsig``: its v4 signature file, if any)."""
    notes: list[str] = []
    manifest, problem = _manifest(container, notes)
    found: list[Tampering] = []
    signature = verify_apk(
        container,
        min_sdk if min_sdk is not None else (manifest.min_sdk if manifest else 1),
        manifest.target_sdk if manifest else 1,
        manifest.target_sandbox if manifest else 1,
        has_manifest="AndroidManifest.xml" in container.by_name,
        found=found,
        idsig=idsig,
    )
    names = [e.name for e in container.entries]
    dex_files = tuple(
        n for n in names if n.startswith("classes") and n.endswith(".dex") and "/" not in n
    )
    dex_notes: list[str] = []
    classes, tracker_hits = _dex(container, list(dex_files), trackers, dex_notes)
    report = ApkReport(
        path=str(container.path),
        size=container.file_size,
        sha256=_file_sha256(container),
        entries=len(container.entries),
        manifest=manifest,
        manifest_notes=tuple(notes),
        manifest_error=problem,
        signature=signature,
        tampering=container.tampering + tuple(found),
        dex_files=dex_files,
        native_abis=tuple(
            sorted({n.split("/")[1] for n in names if n.startswith("lib/") and n.count("/") >= 2})
        ),
        classes=classes,
        trackers=tracker_hits,
        notes=tuple(dex_notes),
    )
    if indicators is None:
        return report
    return replace(report, indicators=match_indicators(report, indicators))
