"""Snapshots: every raw output of a live collection plus a ``snapshot.json`` manifest.

Format ``handsetguard.snapshot/1`` (documented in the README): the manifest names the tool,
the device, the acquisition time (host clock in UTC, device clock with its timezone), and for
each command its text, the section it feeds, the file holding its output, exit status,
duration and any error; the collection window on the device's clock and the app ops each
command may be charged to (see :class:`CollectionWindow`). ``handsetguard check DIR`` re-reads
a snapshot offline and yields the same evidence a live check used, because a live check *is* a
check of the snapshot it wrote.
"""

from __future__ import annotations

import json
import stat
from dataclasses import asdict, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from handsetguard.boundedio import loads_bounded
from handsetguard.errors import SourceError
from handsetguard.evidence import (
    AcquiredAt,
    CollectionWindow,
    CoverageEntry,
    CoverageStatus,
    Evidence,
    Provenance,
    Section,
    SourceKind,
)
from handsetguard.records import record
from handsetguard.sources.limits import MAX_MEMBER_BYTES, MAX_SMALL_FILE_BYTES, read_file

__all__ = [
    "MANIFEST_NAME",
    "SNAPSHOT_FORMAT",
    "CommandRecord",
    "Manifest",
    "read_manifest",
    "snapshot_evidence",
    "write_manifest",
]

SNAPSHOT_FORMAT = "handsetguard.snapshot/1"
MANIFEST_NAME = "snapshot.json"


@record
class CommandRecord:
    name: str
    command: str
    section: str
    file: str | None
    exit_status: int | None
    duration_s: float
    error: str | None = None
    stderr: str = ""
    shell_ops: tuple[str, ...] = ()  # app ops this command may be charged to (com.android.shell)


@record
class Manifest:
    tool_version: str
    serial: str
    model: str | None
    manufacturer: str | None
    acquired_utc: datetime
    device_time: str | None
    device_timezone: str | None
    commands: tuple[CommandRecord, ...]
    host_key_fingerprint: str | None = None
    device_window: tuple[datetime, datetime] | None = None  # collection span, device clock
    format: str = SNAPSHOT_FORMAT
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every command ran to its end (a refusal by the device still counts as complete)."""
        return all(record.error is None for record in self.commands)

    def to_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "tool": {"name": "handsetguard", "version": self.tool_version},
            "device": {
                "serial": self.serial,
                "model": self.model,
                "manufacturer": self.manufacturer,
            },
            "acquired_at": {
                "utc": self.acquired_utc.isoformat(),
                "device_local": self.device_time,
                "timezone": self.device_timezone,
                "device_window": None
                if self.device_window is None
                else {
                    "start": self.device_window[0].isoformat(),
                    "end": self.device_window[1].isoformat(),
                },
            },
            "host_key_fingerprint": self.host_key_fingerprint,
            "complete": self.complete,
            "commands": [asdict(record) for record in self.commands],
            "notes": list(self.notes),
        }


def write_manifest(directory: Path, manifest: Manifest) -> Path:
    """Write ``snapshot.json`` whole or not at all (:func:`atomicfile.replace_file`: a random
    temporary name beside it, never a link followed)."""
    from handsetguard.atomicfile import UnsafeTarget, replace_file

    path = directory / MANIFEST_NAME
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        replace_file(path, text.encode("utf-8"))
    except UnsafeTarget as exc:
        raise SourceError(f"{path}: {exc.reason}") from None
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot write the snapshot manifest ({exc.strerror or exc})"
        ) from exc
    return path


def _field(
    data: dict[str, object], key: str, kind: type, where: str, optional: bool = False
) -> object:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise SourceError(f"{where}: '{key}' must be {kind.__name__}")
    return value


def _dict(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise SourceError(f"{where}: expected a JSON object")
    return value


def _record(item: object, where: str) -> CommandRecord:
    data = _dict(item, where)
    exit_status = data.get("exit_status")
    duration = data.get("duration_s", 0.0)
    file = data.get("file")
    if file is not None:
        if not isinstance(file, str):
            raise SourceError(f"{where}: 'file' must be a string")
        pure = PurePosixPath(file)
        if pure.is_absolute() or ".." in pure.parts or len(pure.parts) != 1 or "\x00" in file:
            raise SourceError(f"{where}: file {file!r} is not a plain name inside the snapshot")
    if exit_status is not None and (
        not isinstance(exit_status, int) or isinstance(exit_status, bool)
    ):
        raise SourceError(f"{where}: 'exit_status' must be an integer or null")
    if not isinstance(duration, int | float) or isinstance(duration, bool):
        raise SourceError(f"{where}: 'duration_s' must be a number")
    error = data.get("error")
    stderr = data.get("stderr", "")
    shell_ops = data.get("shell_ops", [])
    if not isinstance(shell_ops, list) or not all(isinstance(op, str) for op in shell_ops):
        raise SourceError(f"{where}: 'shell_ops' must be a list of app-op names")
    return CommandRecord(
        name=str(_field(data, "name", str, where)),
        command=str(_field(data, "command", str, where)),
        section=str(_field(data, "section", str, where)),
        file=file,
        exit_status=exit_status,
        duration_s=float(duration),
        error=error if isinstance(error, str) else None,
        stderr=stderr if isinstance(stderr, str) else "",
        shell_ops=tuple(shell_ops),
    )


def read_manifest(directory: Path) -> Manifest:
    """Read and validate ``snapshot.json``; every problem is a one-line SourceError."""
    path = directory / MANIFEST_NAME
    where = str(path)
    data = _dict(loads_bounded(read_file(path, MAX_SMALL_FILE_BYTES), where, SourceError), where)
    if data.get("format") != SNAPSHOT_FORMAT:
        raise SourceError(
            f"{where}: unsupported snapshot format {data.get('format')!r} "
            f"(this version reads {SNAPSHOT_FORMAT})"
        )
    tool = _dict(data.get("tool", {}), f"{where}: tool")
    device = _dict(data.get("device"), f"{where}: device")
    acquired = _dict(data.get("acquired_at"), f"{where}: acquired_at")
    try:
        utc = datetime.fromisoformat(str(_field(acquired, "utc", str, where)))
    except ValueError as exc:
        raise SourceError(f"{where}: acquired_at.utc is not an ISO date-time") from exc
    if utc.tzinfo is None:
        raise SourceError(f"{where}: acquired_at.utc has no UTC offset")
    commands = data.get("commands")
    if not isinstance(commands, list):
        raise SourceError(f"{where}: 'commands' must be a list")
    host_key = data.get("host_key_fingerprint")
    notes = data.get("notes", [])
    return Manifest(
        tool_version=str(tool.get("version", "?")),
        serial=str(_field(device, "serial", str, where)),
        model=_optional_str(device.get("model")),
        manufacturer=_optional_str(device.get("manufacturer")),
        acquired_utc=utc,
        device_time=_optional_str(acquired.get("device_local")),
        device_timezone=_optional_str(acquired.get("timezone")),
        commands=tuple(_record(item, f"{where}: commands[{i}]") for i, item in enumerate(commands)),
        host_key_fingerprint=_optional_str(host_key),
        device_window=_window(acquired, where),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )


def _window(acquired: dict[str, object], where: str) -> tuple[datetime, datetime] | None:
    """``acquired_at.device_window`` (absent in snapshots of earlier versions: None)."""
    value = acquired.get("device_window")
    if value is None:
        return None
    data = _dict(value, f"{where}: acquired_at.device_window")
    try:
        start = datetime.fromisoformat(str(_field(data, "start", str, where)))
        end = datetime.fromisoformat(str(_field(data, "end", str, where)))
    except ValueError as exc:
        raise SourceError(f"{where}: acquired_at.device_window is not ISO date-times") from exc
    if start.tzinfo is None or end.tzinfo is None or end < start:
        raise SourceError(f"{where}: acquired_at.device_window needs offsets and start <= end")
    return start, end


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _refusal(record: CommandRecord, data: bytes) -> str | None:
    """Why a command's output is not usable evidence, or None when it is."""
    if record.error is not None:
        return f"'{record.command}' {record.error}"
    if record.exit_status not in (0, None):
        detail = (record.stderr or data[:200].decode("utf-8", "replace")).strip()
        return f"'{record.command}' exited {record.exit_status}" + (
            f": {detail.splitlines()[0][:160]}" if detail else ""
        )
    if data.startswith(b"Can't find service"):
        return f"'{record.command}': {data.decode('utf-8', 'replace').strip()[:160]}"
    return None


def snapshot_evidence(directory: Path) -> Evidence:
    """The evidence a snapshot holds; refused or failed commands become coverage entries."""
    manifest = read_manifest(directory)
    evidence = Evidence(SourceKind.SNAPSHOT, str(directory))
    evidence.acquired_at = AcquiredAt(
        manifest.acquired_utc, f"{MANIFEST_NAME} (host clock at collection)"
    )
    evidence.collector_key = manifest.host_key_fingerprint
    if manifest.device_window is not None:
        evidence.collection_window = CollectionWindow(
            *manifest.device_window,
            shell_ops=frozenset(op for record in manifest.commands for op in record.shell_ops),
        )
    for note in manifest.notes:  # what the collector could not use (e.g. an absurd user id)
        evidence.problems.append(
            CoverageEntry(
                MANIFEST_NAME,
                CoverageStatus.SKIPPED,
                note,
                Provenance(f"{directory.name}/{MANIFEST_NAME}"),
            )
        )
    budget = MAX_MEMBER_BYTES  # all output files together, like a folder of loose dumps
    for command in manifest.commands:
        data = b""
        if command.file is not None:
            read = _read_output(directory, command, budget)
            if isinstance(read, CoverageEntry):
                evidence.problems.append(read)
                continue
            data = read
            budget -= len(data)
        problem = _refusal(command, data)
        where = Provenance(f"{directory.name}/{command.file or MANIFEST_NAME}", 1)
        if problem is not None:
            # Output cut short stays in the snapshot for people to read, but is not evidence:
            # half a package list would make checks pass that should not.
            evidence.problems.append(
                CoverageEntry(command.section, CoverageStatus.ERROR, problem, where)
            )
            if command.error is not None:  # cut short (timeout, unplug), not refused by the device
                evidence.collection_errors.append(problem)
            continue
        if command.file is not None:
            evidence.add(Section(command.section, where, data))
    return evidence


def _read_output(directory: Path, record: CommandRecord, budget: int) -> bytes | CoverageEntry:
    """A command's output file: a regular file of the snapshot folder itself (never a
    symlink, FIFO or device; its size judged before it is read), or why not."""
    assert record.file is not None
    file = directory / record.file
    where = Provenance(str(file))
    try:
        info = file.lstat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return CoverageEntry(
            record.section, CoverageStatus.ERROR, f"{file}: cannot read ({exc.strerror})", where
        )
    if info is None:
        reason = f"{record.file} named in {MANIFEST_NAME} is missing"
    elif stat.S_ISLNK(info.st_mode):
        reason = f"{record.file} named in {MANIFEST_NAME} is a symbolic link: not followed"
    elif not stat.S_ISREG(info.st_mode):
        reason = f"{record.file} named in {MANIFEST_NAME} is not a regular file: not read"
    elif info.st_size > budget:
        reason = f"{record.file}: the snapshot's files exceed {MAX_MEMBER_BYTES >> 20} MiB together"
    else:
        try:
            return bytes(read_file(file))
        except SourceError as exc:
            reason = exc.message
    return CoverageEntry(record.section, CoverageStatus.ERROR, reason, where)
