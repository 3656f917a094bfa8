"""The compiled index on disk, as JSON (never pickle: a cache file is data, not code), keyed by
the sha256 of every indicator file read and the code version. A cache file that is missing,
unreadable, of another key or malformed in any way is ignored and rebuilt, never trusted.

Its integrity check is a CRC-32 (zlib), not a sha256: the check is against truncation and
damage (anyone who can write the file could rewrite a digest too, and every loaded value is
shape-checked anyway), and hashlib would load OpenSSL, ~4 MiB of RSS and 5 ms, on every check.
zlib-ng's CRC-32 when it is installed (the same values, a tenth of the system zlib's cost on
the megabytes of a cached index)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from handsetguard.boundedio import read_bounded
from handsetguard.errors import HandsetGuardError
from handsetguard.threats.indicators.files import Digests
from handsetguard.threats.indicators.index import INDEX_FORMAT, IndicatorIndex
from handsetguard.zlibng import zlib

__all__ = [
    "MAX_CACHE_BYTES",
    "check_compiled",
    "load_cached",
    "load_digests",
    "store_cached",
    "store_digests",
]

MAX_CACHE_BYTES = 512 * 1024 * 1024
_PREFIX = "iocs-index-"
_KEEP = 4  # cache files kept (one per combination of sets recently used)


class _CacheError(HandsetGuardError):
    pass


def _file(folder: Path, key: str) -> Path:
    # One file per combination of sets; two keys sharing a name only cost a rebuild (the
    # header holds the whole key, compared on load).
    return folder / f"{_PREFIX}{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}.json"


def load_cached(folder: Path, key: str) -> IndicatorIndex | None:
    """The cached index for ``key``, or None (absent, stale, corrupt: the caller rebuilds).

    The file is a header line (the key, the CRC-32 of the rest, the lengths of the JSON
    parts), the index's other fields as JSON, each map as JSON (parsed when a match first
    looks in it: see :class:`_CachedMaps`), then the indicator rows as text, decoded only
    when a match needs one. A truncated or altered file fails the check before anything is
    parsed."""
    path = _file(folder, key)
    try:
        raw = read_bounded(path, MAX_CACHE_BYTES, _CacheError)
    except _CacheError:
        return None
    # Offsets into the one buffer read, not slices of it: each slice of a megabyte is a copy,
    # and a new mapping whose pages are faulted in (~1,100 faults, 4 ms, before this).
    body = raw.find(b"\n") + 1
    if body == 0:
        return None
    try:
        header = json.loads(raw[: body - 1])
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or header.get("key") != key:
        return None
    size, spans = header.get("json_bytes"), _spans(header.get("map_bytes"))
    with memoryview(raw) as view, view[body:] as rest:
        crc = zlib.crc32(rest)
    if type(size) is not int or spans is None or header.get("crc32") != crc:
        return None
    end = body + size + sum(length for _, length in spans)
    if raw[end : end + 1] != b"\n":
        return None
    try:
        data = json.loads(raw[body : body + size])
    except (ValueError, RecursionError, MemoryError):
        return None
    if not isinstance(data, dict) or "rows" in data or "maps" in data:
        return None
    data["maps"] = _CachedMaps(raw, body + size, spans)
    data["rows"] = raw[end + 1 :]
    if not check_compiled(data):
        return None
    return IndicatorIndex(data)


def _spans(value: object) -> list[tuple[str, int]] | None:
    """The header's ``map_bytes``: [name, length] of each map's JSON, in order."""
    if not isinstance(value, list):
        return None
    spans = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        if type(item[1]) is not int or item[1] < 0:
            return None
        spans.append((item[0], item[1]))
    return spans


class _CachedMaps(Mapping[str, dict[str, int | list[int]]]):
    """A cached index's maps, each parsed from its JSON when first read: a bugreport's check
    never looks in the file-hash and certificate maps (most of the JSON), so it does not pay
    for them. A map whose JSON (CRC-checked with the rest: only a deliberate edit gets here)
    is not an object reads as empty, as an entry out of range does in
    :meth:`IndicatorIndex.lookup`: never trusted, never an error."""

    def __init__(self, blob: bytes, start: int, spans: list[tuple[str, int]]) -> None:
        """``blob[start:]`` holds the maps' JSON, one after another, ``spans`` long."""
        self._blob = blob
        self._at: dict[str, tuple[int, int]] = {}
        for name, length in spans:
            self._at.setdefault(name, (start, start + length))
            start += length
        self._made: dict[str, dict[str, int | list[int]]] = {}

    def __getitem__(self, name: str) -> dict[str, int | list[int]]:
        made = self._made.get(name)
        if made is None:
            start, end = self._at[name]
            try:
                table = json.loads(self._blob[start:end])
            except (ValueError, RecursionError, MemoryError):
                table = None
            made = self._made[name] = table if type(table) is dict else {}
        return made

    def __contains__(self, name: object) -> bool:
        return name in self._at  # without parsing the map

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def store_cached(folder: Path, key: str, index: IndicatorIndex) -> None:
    """Write the index atomically (temporary file, then rename); a cache that cannot be written
    is only a slower next start, so failures are ignored."""
    meta = {k: v for k, v in index.data.items() if k not in ("rows", "maps")}
    body = json.dumps(meta, separators=(",", ":")).encode()
    maps = [
        (name, json.dumps(table, separators=(",", ":")).encode())
        for name, table in index.maps.items()
    ]
    rows = index.rows_text().encode("utf-8")
    rest = body + b"".join(blob for _, blob in maps) + b"\n" + rows
    header = json.dumps(
        {
            "key": key,
            "crc32": zlib.crc32(rest),
            "json_bytes": len(body),
            "map_bytes": [[name, len(blob)] for name, blob in maps],
        }
    ).encode()
    _write_atomic(_file(folder, key), header + b"\n" + rest)
    with contextlib.suppress(OSError):
        _prune(folder)


_DIGESTS = "iocs-digests.json"
_MAX_DIGEST_BYTES = 16 * 1024 * 1024


def load_digests(folder: Path) -> Digests:
    """The digest memo of the files read before (empty when absent or unreadable)."""
    try:
        doc = json.loads(read_bounded(folder / _DIGESTS, _MAX_DIGEST_BYTES, _CacheError))
    except (_CacheError, ValueError, RecursionError):
        return Digests()
    if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
        return Digests()
    known = doc.get("files")
    if not isinstance(known, dict) or not all(isinstance(v, list) for v in known.values()):
        return Digests()
    return Digests(known)


def store_digests(folder: Path, digests: Digests) -> None:
    """Write the memo atomically when it changed; failures only cost a re-hash next time."""
    if not digests.changed:
        return
    _write_atomic(
        folder / _DIGESTS, json.dumps({"format": INDEX_FORMAT, "files": digests.known}).encode()
    )


def _write_atomic(target: Path, data: bytes) -> None:
    """A cache file, whole or not at all; one that cannot be written is rebuilt next time."""
    from handsetguard.atomicfile import replace_file

    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        replace_file(target, data, durable=False)


def _prune(folder: Path) -> None:
    files = sorted(folder.glob(f"{_PREFIX}*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def check_compiled(data: object) -> bool:
    """Whether ``data`` has the shape :func:`build_index` writes: the top-level fields and
    their types, every set's summary, the row count, and CN patterns that pass the
    backtracking guard."""
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        return False
    sets, rows, maps, n_rows = (
        data.get("sets"),
        data.get("rows"),
        data.get("maps"),
        data.get("n_rows"),
    )
    if not (isinstance(sets, list) and isinstance(rows, bytes) and isinstance(maps, Mapping)):
        return False
    if type(n_rows) is not int or (rows.count(b"\n") + 1 if rows else 0) != n_rows:
        return False
    lengths, patterns = data.get("path_lengths"), data.get("patterns")
    if not (isinstance(lengths, dict) and isinstance(patterns, list)):
        return False
    if not isinstance(data.get("problems"), list) or not all(_set_ok(s) for s in sets):
        return False
    # Map entries are checked where they are used (IndicatorIndex.lookup keeps only row
    # numbers in range): checking 20,000 of them here would be a third of the load time; a
    # cached map is checked to be an object when it is parsed (_CachedMaps).
    if isinstance(maps, dict) and not all(type(table) is dict for table in maps.values()):
        return False
    return (
        all(type(v) is list and all(type(n) is int for n in v) for v in lengths.values())
        and all(type(p) is list and len(p) == 2 and _rows_ok(p[1], n_rows) for p in patterns)
        and _patterns_compile(patterns)
    )


def _rows_ok(value: object, n_rows: int) -> bool:
    if type(value) is int:
        return 0 <= value < n_rows
    return type(value) is list and all(type(v) is int and 0 <= v < n_rows for v in value)


def _set_ok(raw: object) -> bool:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return False
    return all(
        isinstance(raw.get(k), list | dict)
        for k in ("files", "counts", "unknown_types", "problems")
    )


def _patterns_compile(patterns: list[list[object]]) -> bool:
    from handsetguard.threats.indicators.normalise import unsafe_regex_reason

    return all(unsafe_regex_reason(str(p[0])) is None for p in patterns)
