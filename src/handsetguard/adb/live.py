"""Live acquisition: ``adb`` / ``adb:SERIAL`` targets, collection into a snapshot (kept with
``--save`` or temporary), and the evidence a check reads — always from the snapshot, so a live
check and an offline check of the saved snapshot give the same result."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from handsetguard.adb.collect import Progress, collect
from handsetguard.adb.hostkey import host_key_fingerprint
from handsetguard.adb.transport import AdbServer, DeviceInfo
from handsetguard.evidence import Evidence
from handsetguard.records import record
from handsetguard.sources.snapshot import Manifest, snapshot_evidence

__all__ = ["LiveResult", "acquire", "adb_target", "is_adb_target"]


def is_adb_target(source: str) -> bool:
    return source == "adb" or source.startswith("adb:")


def adb_target(source: str) -> str | None:
    """The serial in ``adb:SERIAL``; ``None`` for plain ``adb`` (the only device)."""
    serial = source.partition(":")[2].strip()
    return serial or None


@record
class LiveResult:
    evidence: Evidence
    manifest: Manifest
    saved_to: Path | None


def acquire(
    device: DeviceInfo,
    server: AdbServer,
    *,
    save: Path | None = None,
    progress: Progress | None = None,
    timeout_cap: float | None = None,
) -> LiveResult:
    """Collect from ``device`` into ``save`` (or a temporary folder, removed afterwards) and
    read the snapshot back as evidence."""
    phone = server.phone(device)
    directory = save if save is not None else Path(tempfile.mkdtemp(prefix="handsetguard-"))
    try:
        manifest = collect(
            phone,
            directory,
            progress=progress,
            host_key_fingerprint=host_key_fingerprint(),
            timeout_cap=timeout_cap,
        )
        evidence = snapshot_evidence(directory)
        evidence.path = f"adb:{device.serial}" + (f" (saved to {save})" if save else "")
    finally:
        if save is None:
            shutil.rmtree(directory, ignore_errors=True)
    return LiveResult(evidence, manifest, save)
