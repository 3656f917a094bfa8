"""Indicator files on disk → :class:`IndicatorSet`s: a file or a folder of STIX2 bundles, Echap
YAML, MVT ``indicators.yaml`` indexes and HandsetGuard's compiled JSON. Reading and parsing are
split so that the cache can hash what was read and skip the parse."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from handsetguard.boundedio import MAX_JSON_VALUES, read_bounded
from handsetguard.records import record
from handsetguard.threats.indicators.model import (
    MAX_INDICATOR_FILE_BYTES,
    IndicatorError,
    IndicatorSet,
)

# The STIX2 and YAML readers, and hashlib (OpenSSL: ~4 MiB of RSS), are imported where a file
# is hashed or parsed: a check whose index comes from the cache with every digest memoised
# needs neither.

__all__ = [
    "COMPILED_FORMAT",
    "MAX_FOLDER_FILES",
    "Digests",
    "SourceFile",
    "parse_source",
    "read_sources",
    "source_bytes",
]

COMPILED_FORMAT = "handsetguard-indicators/1"
"""The ``format`` of HandsetGuard's own JSON set (the bundled one): Echap families plus the
set's name, licence and attribution."""

MAX_FOLDER_FILES = 10_000
"""Most files looked at under one ``--iocs`` folder (the mvt-indicators checkout has ~60)."""

_SUFFIXES = (".stix2", ".json", ".yaml", ".yml")
_MVT_INDEX = "indicators.yaml"


@record
class SourceFile:
    """One indicator file: what the cache key hashes (its sha256) and what a parse reads.
    ``data`` is None when the digest came from the :class:`Digests` memo (the file unchanged
    since it was hashed): :func:`source_bytes` reads it if the index must be rebuilt."""

    path: Path
    name: str  # the set name it yields unless the file names itself
    origin: str
    data: bytes | None
    sha256: str
    mtime: float
    index_name: str | None = None  # the feed name, for a file an MVT index points at


Stamp = tuple[int, int, int, int, int]
_RACY_NS = 3_000_000_000


def _stamp(info: os.stat_result) -> Stamp:
    # ctime cannot be set from user space: with size, inode and mtime it changes on any write
    # (git's index trusts the same fields).
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class Digests:
    """The sha256 of each file read before, by path, valid while its stat stamp is unchanged:
    a cached load need not read and hash megabytes of unchanged bundles. Any change of size,
    inode, mtime or ctime and the file is read and hashed again."""

    def __init__(self, known: dict[str, list[object]] | None = None) -> None:
        self.known: dict[str, list[object]] = known or {}
        self.changed = False

    def get(self, path: Path, stamp: Stamp) -> str | None:
        # A file changed within the last seconds may have been rewritten within one timestamp
        # tick of the time it was hashed ("racy git"): always hashed again.
        if time.time_ns() - stamp[2] < _RACY_NS:
            return None
        entry = self.known.get(str(path))
        if entry is None or len(entry) != 6 or tuple(entry[:5]) != stamp:
            return None
        digest = entry[5]
        return digest if isinstance(digest, str) and len(digest) == 64 else None

    def put(self, path: Path, stamp: Stamp, digest: str) -> None:
        self.known[str(path)] = [*stamp, digest]
        self.changed = True


def _read_bytes(path: Path, origin: str) -> bytes:
    return read_bounded(
        path,
        MAX_INDICATOR_FILE_BYTES,
        IndicatorError,
        remediation="indicator files over 64 MiB are refused; split the set",
        follow_symlinks=origin != "user",
    )


def _read(
    path: Path,
    name: str,
    origin: str,
    index_name: str | None = None,
    digests: Digests | None = None,
) -> SourceFile:
    try:
        info = path.stat() if origin != "user" else path.lstat()
    except OSError:
        info = None
    if digests is not None and info is not None and info.st_size <= MAX_INDICATOR_FILE_BYTES:
        known = digests.get(path, _stamp(info))
        if known is not None:
            return SourceFile(path, name, origin, None, known, info.st_mtime, index_name)
    import hashlib

    data = _read_bytes(path, origin)
    digest = hashlib.sha256(data).hexdigest()
    if digests is not None and info is not None:
        digests.put(path, _stamp(info), digest)
    mtime = info.st_mtime if info is not None else 0.0
    return SourceFile(path, name, origin, data, digest, mtime, index_name)


def source_bytes(source: SourceFile) -> bytes:
    """The file's bytes: as read, or read now (the memo spared reading it for the key)."""
    return source.data if source.data is not None else _read_bytes(source.path, source.origin)


def read_sources(
    root: Path, origin: str, digests: Digests | None = None
) -> tuple[list[SourceFile], list[str]]:
    """The indicator files of ``root`` (a file, or a folder walked in name order) read into
    memory, and a one-line problem for each that could not be read. An MVT index in a folder
    brings the files it names (resolved locally) under the feeds' names."""
    problems: list[str] = []
    if root.is_file():
        try:
            return [_read(root, root.stem, origin, None, digests)], problems
        except IndicatorError as exc:
            return [], [exc.message]
    if not root.is_dir():
        return [], [f"{root}: no such indicator file or folder"]
    found: list[SourceFile] = []
    taken: set[Path] = set()
    index = root / _MVT_INDEX
    if index.is_file():
        _read_mvt_index(index, origin, found, problems, digests)
        taken = {f.path.resolve() for f in found} | {index.resolve()}
    nested: list[Path] = []
    for path in _walk(root, problems, nested):
        if path.resolve() in taken:
            continue
        try:
            name = str(path.relative_to(root).with_suffix(""))
            found.append(_read(path, name, origin, None, digests))
        except IndicatorError as exc:
            problems.append(exc.message)
    for folder in nested:  # a checkout of mvt-indicators inside the folder given
        more, why = read_sources(folder, origin, digests)
        found.extend(more)
        problems.extend(why)
    return found, problems


def _read_mvt_index(
    index: Path,
    origin: str,
    found: list[SourceFile],
    problems: list[str],
    digests: Digests | None,
) -> None:
    """The feeds of an MVT index that are under its folder, under the feeds' names."""
    from handsetguard.threats.indicators.yamlsets import load_yaml, resolve_mvt_index

    try:
        data = load_yaml(_read_bytes(index, origin), str(index))
        entries = resolve_mvt_index(data, str(index), index.parent)
    except IndicatorError as exc:
        problems.append(exc.message)
        return
    for entry in entries:
        if entry.path is None:
            continue
        try:
            found.append(_read(entry.path, entry.name, origin, entry.name, digests))
        except IndicatorError as exc:
            problems.append(exc.message)
    offline = [e.location for e in entries if e.path is None]
    if offline:
        shown = ", ".join(offline[:3]) + (", …" if len(offline) > 3 else "")
        problems.append(
            f"{index}: {len(offline)} of {len(entries)} feeds are not under this folder "
            f"(nothing is downloaded): {shown}"
        )


def _walk(root: Path, problems: list[str], nested: list[Path]) -> list[Path]:
    """Indicator files under ``root``; folders holding an MVT index go to ``nested``."""
    paths: list[Path] = []
    for folder, dirs, names in os.walk(root):  # never follows links to folders
        if folder != str(root) and _MVT_INDEX in names:
            nested.append(Path(folder))
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        paths.extend(
            Path(folder) / name
            for name in sorted(names)
            if name.lower().endswith(_SUFFIXES) and not name.startswith(".")
        )
        if len(paths) > MAX_FOLDER_FILES:
            problems.append(f"{root}: more than {MAX_FOLDER_FILES} files; the rest not read")
            return paths[:MAX_FOLDER_FILES]
    return paths


def loads_json(data: bytes, where: str) -> object:
    """JSON with the bounds of ``boundedio.loads_bounded`` at a fraction of its cost on a
    multi-megabyte bundle: the values are over-counted from the commas and brackets (C-speed
    byte counts), the nesting depth is left to the decoder's own recursion guard."""
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        raise IndicatorError(f"{where}: more than {MAX_JSON_VALUES} JSON values; refusing it")
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise IndicatorError(f"{where}: JSON nested too deep; refusing it") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndicatorError(f"{where}: not valid JSON ({str(exc)[:160]})") from exc


def _iso(stamp: float) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).date().isoformat() if stamp else None


def parse_source(source: SourceFile) -> IndicatorSet:
    """Parse one read file by its content (a STIX2 bundle, Echap YAML/JSON, HandsetGuard JSON);
    :class:`IndicatorError` naming the file when it is none of them or malformed."""
    where = str(source.path)
    raw = source_bytes(source)
    head = raw.lstrip()[:1]
    if head == b"{" and source.path.suffix.lower() in (".json", ".stix2"):
        data = loads_json(raw, where)
        if isinstance(data, dict) and data.get("format") == COMPILED_FORMAT:
            return _compiled(data, source)
        if isinstance(data, dict) and data.get("type") == "bundle":
            # Imported here: the bundled set is compiled, and a check that reads no STIX2
            # bundle should not pay for the parser's imports (dataclasses pulls in inspect).
            from handsetguard.threats.indicators.stix2 import parse_stix2

            bundle = parse_stix2(data, where)
            return IndicatorSet(
                name=source.index_name or source.name,
                files=(where,),
                indicators=tuple(bundle.indicators),
                licence=bundle.licence,
                origin=source.origin,
                updated=(bundle.created or "")[:10] or _iso(source.mtime),
                unknown_types=bundle.unknown_types,
                problems=tuple(bundle.problems),
            )
        raise IndicatorError(f"{where}: neither a STIX2 bundle nor a HandsetGuard indicator set")
    if source.path.suffix.lower() in (".yaml", ".yml"):
        from handsetguard.threats.indicators.yamlsets import load_yaml, parse_echap

        data = load_yaml(raw, where)
        if isinstance(data, dict) and "indicators" in data:
            raise IndicatorError(
                f"{where}: an MVT indicators index; pass the folder that holds it and its files"
            )
        families = parse_echap(data, where)
        return IndicatorSet(
            name=source.name,
            files=(where,),
            indicators=tuple(families.indicators),
            origin=source.origin,
            updated=_iso(source.mtime),
            unknown_types=families.unknown_types,
            problems=tuple(families.problems),
        )
    raise IndicatorError(f"{where}: not an indicator file (expected STIX2 JSON or YAML)")


def _compiled(data: dict[str, object], source: SourceFile) -> IndicatorSet:
    from handsetguard.threats.indicators.yamlsets import parse_echap

    where = str(source.path)
    families = parse_echap(data.get("families"), where)
    meta = {k: v for k, v in data.items() if isinstance(v, str)}
    return IndicatorSet(
        name=meta.get("name", source.name),
        files=(where,),
        indicators=tuple(families.indicators),
        licence=meta.get("licence"),
        origin=source.origin,
        attribution=meta.get("attribution"),
        updated=meta.get("updated") or _iso(source.mtime),
        unknown_types=families.unknown_types,
        problems=tuple(families.problems),
    )
