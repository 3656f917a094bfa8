"""Indicator sets compiled into hash maps (package → indicators, certificate digest → …, file
hash, path, process, domain…), so that matching a phone costs one probe per thing seen on it,
whatever the number of indicators. The compiled form is plain JSON data: it is what the disk
cache stores and loads."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from handsetguard.lazyre import lazy_compile
from handsetguard.records import record
from handsetguard.threats.indicators.model import Indicator, IndicatorSet
from handsetguard.threats.indicators.normalise import java_hashcode

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from handsetguard.device import DeviceState
    from handsetguard.threats.model import Threat

__all__ = ["INDEX_FORMAT", "IndicatorIndex", "SetSummary", "build_index"]

INDEX_FORMAT = 4
"""Bumped whenever the compiled layout or the meaning of a map changes (part of the cache key)."""

# Indicator type → the map it is looked up in.
MAP_OF = {
    "app:id": "app",
    "app:cert.md5": "cert",
    "app:cert.sha1": "cert",
    "app:cert.sha256": "cert",
    "app:cert.der": "hashcode",
    "app:cert.organization": "org",
    "file:hashes.md5": "hash",
    "file:hashes.sha1": "hash",
    "file:hashes.sha256": "hash",
    "file:path": "path",
    "file:name": "fname",
    "process:name": "proc",
    "domain-name:value": "domain",
    "ipv4-addr:value": "domain",
    "url:value": "url",
    "email-addr:value": "email",
    "android-property:name": "prop",
    "configuration-profile:id": "profile",
}
# ``comm`` (what ps shows for a kernel thread or a renamed process) keeps 15 bytes; MVT also
# treats a 16-character name as a possible truncation.
TRUNCATED_LENGTHS = (15, 16)
_CONTROL = lazy_compile(r"[\x00-\x1f\x7f]")  # rows are tab- and newline-separated


@record
class SetSummary:
    """What ``iocs list`` and a report say about one loaded set."""

    name: str
    origin: str
    licence: str | None
    attribution: str | None
    updated: str | None
    files: tuple[str, ...]
    counts: Mapping[str, int]
    unknown_types: Mapping[str, int]
    problems: tuple[str, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "origin": self.origin,
            "licence": self.licence,
            "attribution": self.attribution,
            "updated": self.updated,
            "files": list(self.files),
            "counts": dict(self.counts),
            "unknown_types": dict(self.unknown_types),
            "problems": list(self.problems),
        }


class IndicatorIndex:
    """A compiled set of indicators: implements ``threats.model.IndicatorMatcher``."""

    __slots__ = ("_lines", "_n_rows", "_pattern", "_tables", "data", "maps", "path_lengths", "sets")

    def __init__(self, data: Mapping[str, object]) -> None:
        """From the compiled data (:func:`build_index` or the cache, which checks its shape
        first). The rows stay one string until a match needs one: loading is parsing the maps."""
        self.data = data
        self.sets: list[SetSummary] = [_summary(s) for s in data["sets"]]  # type: ignore[attr-defined]
        # A dict when built; the cache's lazily parsed maps (cache.py) when loaded.
        self.maps: Mapping[str, dict[str, int | list[int]]] = data["maps"]  # type: ignore[assignment]
        self.path_lengths: dict[str, list[int]] = data["path_lengths"]  # type: ignore[assignment]
        self._lines: list[str] | None = None
        # Each map as a plain dict once looked in: a lookup is then two dict reads, whatever
        # ``maps`` is (thousands per check).
        self._tables: dict[str, dict[str, int | list[int]]] = {}
        n_rows = data["n_rows"]
        self._n_rows = n_rows if isinstance(n_rows, int) else 0
        patterns: list[list[object]] = data["patterns"]  # type: ignore[assignment]
        self._pattern = (
            re.compile("|".join(f"(?P<p{row}>{text})" for text, row in patterns))
            if patterns
            else None
        )

    def __len__(self) -> int:
        return self._n_rows

    @property
    def problems(self) -> list[str]:
        """One line per file or indicator that could not be used, naming it."""
        return self.data["problems"]  # type: ignore[return-value]

    def rows_text(self) -> str:
        """The indicator rows, one per line, tab-separated (as built, or as the cache read)."""
        rows = self.data["rows"]
        return rows.decode("utf-8", "replace") if isinstance(rows, bytes) else str(rows)

    def indicator(self, row: int) -> tuple[Indicator, SetSummary]:
        if self._lines is None:
            self._lines = self.rows_text().split("\n")
        fields = (self._lines[row].split("\t") + [""] * 6)[:6]
        iid, kind, value, family, fkind, set_no = fields
        indicator = Indicator(iid, kind, value, family or None, fkind or None)
        number = int(set_no) if set_no.isdigit() and int(set_no) < len(self.sets) else 0
        return indicator, self.sets[number]

    def table(self, map_name: str) -> dict[str, int | list[int]]:
        """The keys indexed in the map ``map_name`` (for ``in``: a key there may still yield
        no row, see :meth:`lookup`): one dict read a probe, for the loops over thousands of
        names that nearly never match."""
        table = self._tables.get(map_name)
        if table is None:
            table = self._tables[map_name] = self.maps.get(map_name) or {}
        return table

    def lookup(self, map_name: str, key: str) -> list[int]:
        """The rows indexed under ``key``; an entry that is not a row number in range (a cache
        file altered to match its digest) yields nothing rather than an error."""
        table = self._tables.get(map_name)
        if table is None:
            table = self.table(map_name)
        found = table.get(key)
        if found is None:
            return []
        n_rows = len(self)
        if type(found) is int:
            return [found] if 0 <= found < n_rows else []
        if type(found) is not list:
            return []
        return [r for r in found if type(r) is int and 0 <= r < n_rows]

    def pattern_rows(self, text: str) -> list[int]:
        """Rows of the CN patterns that match ``text`` (the first alternative that matches)."""
        if self._pattern is None:
            return []
        found = self._pattern.search(text[:256])
        if found is None or found.lastgroup is None:
            return []
        return [int(found.lastgroup[1:])]

    def match(self, state: DeviceState) -> list[Threat]:
        """One INDICATOR threat per app (or device-wide finding) that matched."""
        from handsetguard.threats.indicators.matcher import match_state

        return match_state(self, state)


def _opt(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _summary(raw: Mapping[str, object]) -> SetSummary:
    def text(key: str) -> str | None:
        return _opt(raw.get(key))

    return SetSummary(
        name=str(raw["name"]),
        origin=str(raw["origin"]),
        licence=text("licence"),
        attribution=text("attribution"),
        updated=text("updated"),
        files=tuple(str(f) for f in raw["files"]),  # type: ignore[attr-defined]
        counts=dict(raw["counts"]),  # type: ignore[call-overload]
        unknown_types=dict(raw["unknown_types"]),  # type: ignore[call-overload]
        problems=tuple(str(p) for p in raw["problems"]),  # type: ignore[attr-defined]
    )


def _set_json(indicator_set: IndicatorSet) -> dict[str, object]:
    return SetSummary(
        name=indicator_set.name,
        origin=indicator_set.origin,
        licence=indicator_set.licence,
        attribution=indicator_set.attribution,
        updated=indicator_set.updated,
        files=indicator_set.files,
        counts=indicator_set.counts(),
        unknown_types=dict(indicator_set.unknown_types),
        problems=tuple(str(p) for p in indicator_set.problems),
    ).to_json()


def path_head(path: str) -> str:
    """A path's first component ("/data" of "/data/local/tmp"): indicator path lengths are kept
    per head, so a path is compared only with the indicators under its own top folder. An
    indicator with no second "/" ("/dat", which MVT's string prefix lets match "/data/…") is
    under the head "", compared with every path."""
    cut = path.find("/", 1)
    return path[:cut] if cut > 0 else ""


def _field(text: str | None) -> str:
    return _CONTROL.sub("?", text or "")


def build_index(sets: Sequence[IndicatorSet], extra_problems: Iterable[str] = ()) -> IndicatorIndex:
    """Compile ``sets`` (in order; the same value in two sets keeps both indicators)."""
    rows: list[str] = []
    maps: dict[str, dict[str, int | list[int]]] = {}
    patterns: list[list[object]] = []
    lengths: dict[str, set[int]] = {}
    for set_no, indicator_set in enumerate(sets):
        for ind in indicator_set.indicators:
            row = len(rows)
            fields = (ind.id, ind.type, ind.value, ind.family, ind.kind)
            rows.append("\t".join(_field(f) for f in fields) + f"\t{set_no}")
            if ind.type == "app:cert.cname-pattern":
                patterns.append([ind.value, row])
                continue
            map_name = MAP_OF.get(ind.type)
            if map_name is None:
                continue
            for name, key in _keys(map_name, ind.value):
                if name == "path":
                    lengths.setdefault(path_head(key), set()).add(len(key))
                table = maps.setdefault(name, {})
                seen = table.get(key)
                if seen is None:
                    table[key] = row
                elif isinstance(seen, int):
                    table[key] = [seen, row]
                else:
                    seen.append(row)
    data: dict[str, object] = {
        "format": INDEX_FORMAT,
        "sets": [_set_json(s) for s in sets],
        "n_rows": len(rows),
        "rows": "\n".join(rows),
        "maps": maps,
        "path_lengths": {head: sorted(n) for head, n in lengths.items()},
        "patterns": patterns,
        "problems": list(extra_problems),
    }
    return IndicatorIndex(data)


def _keys(map_name: str, value: str) -> list[tuple[str, str]]:
    if map_name == "hashcode":
        import base64  # only when a set is compiled (never in a check that reads the cache)

        return [(map_name, java_hashcode(base64.b64decode(value)))]
    if map_name == "path":
        # MVT compares by string prefix, a trailing "/" stripped: "/data/x" matches "/data/xy".
        return [(map_name, value.rstrip("/") or "/")]
    if map_name == "proc":
        cut = [("proc_cut", value[:n]) for n in TRUNCATED_LENGTHS if len(value) > n]
        return [(map_name, value), *cut]
    return [(map_name, value)]
