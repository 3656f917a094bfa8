"""STIX 2.1 bundles as MVT and its indicator feeds write them: ``indicator`` objects with a
``[type = 'value']`` pattern, tied to a ``malware`` family by an ``indicates`` relationship (or
to a ``report`` by its ``object_refs``). Only equality comparisons joined by OR are read; any
other pattern or object path is counted as an unknown type, never fatal."""

from __future__ import annotations

import re
from collections.abc import Mapping

from handsetguard.records import field, mutable_record
from handsetguard.threats.indicators.model import (
    KNOWN_TYPES,
    Indicator,
    IndicatorError,
    SetProblem,
)
from handsetguard.threats.indicators.normalise import normalise

__all__ = ["StixBundle", "parse_stix2"]

# One comparison: an object path, '=', a single-quoted string with \' and \\ escapes.
_COMPARISON = re.compile(
    r"\s*([a-z0-9_-]+:[a-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*", re.IGNORECASE
)
_OR = re.compile(r"\s*\bOR\b\s*")
_UNESCAPE = re.compile(r"\\(.)")
_MAX_PATTERN = 8192  # longer patterns are not indicators of one thing


@mutable_record
class StixBundle:
    """What one bundle yields: its indicators, the types it had that are not read, problems."""

    indicators: list[Indicator] = field(default_factory=list)
    unknown_types: dict[str, int] = field(default_factory=dict)
    problems: list[SetProblem] = field(default_factory=list)
    licence: str | None = None
    name: str | None = None  # the bundle's single family or report, when there is one
    created: str | None = None  # the newest ``modified``/``created`` of its objects


def _object_path(raw: str) -> str:
    """``file:hashes.'SHA-256'`` → ``file:hashes.sha256``; ``app:cert.SHA1`` → ``app:cert.sha1``."""
    path = raw.lower()
    for sep in ("hashes.", "cert."):
        prefix, found, algo = path.partition(sep)
        if found:
            return prefix + sep + algo.replace("'", "").replace("-", "")
    return path


def _comparisons(pattern: str) -> list[tuple[str, str]] | None:
    """``[a = 'x'] OR [b = 'y' OR c = 'z']`` → [(a, x), (b, y), (c, z)]; None if not that shape."""
    found: list[tuple[str, str]] = []
    pos = len(pattern) - len(pattern.lstrip())
    while True:
        if not pattern.startswith("[", pos):
            return None
        pos += 1
        while True:
            match = _COMPARISON.match(pattern, pos)
            if match is None:
                return None
            raw = match.group(2)
            if "\\" in raw:
                raw = _UNESCAPE.sub(_unescaped, raw)
            found.append((_object_path(match.group(1)), raw))
            joined = _OR.match(pattern, match.end())
            if joined is None:
                pos = match.end()
                break
            pos = joined.end()
        if not pattern.startswith("]", pos):
            return None
        rest = _OR.match(pattern, pos + 1)
        if rest is None:
            return found if not pattern[pos + 1 :].strip() else None
        pos = rest.end()


def _unescaped(match: re.Match[str]) -> str:
    return match.group(1)


def _family_of(
    objects: list[Mapping[str, object]],
) -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    """Family (name, kind) by malware/report id, and the family id of each indicator id."""
    families: dict[str, tuple[str, str | None]] = {}
    owner: dict[str, str] = {}
    for obj in objects:
        kind = obj.get("type")
        oid = obj.get("id")
        if kind not in ("malware", "report") or not isinstance(oid, str):
            continue
        name = obj.get("name")
        families[oid] = (name if isinstance(name, str) and name else oid, _kind(obj))
        refs = obj.get("object_refs")
        if kind == "report" and isinstance(refs, list):
            for ref in refs:
                if isinstance(ref, str):
                    owner.setdefault(ref, oid)
    for obj in objects:
        if obj.get("type") != "relationship" or obj.get("relationship_type") != "indicates":
            continue
        source, target = obj.get("source_ref"), obj.get("target_ref")
        if isinstance(source, str) and isinstance(target, str) and target in families:
            owner.setdefault(source, target)
    return families, owner


def _kind(obj: Mapping[str, object]) -> str | None:
    words = " ".join(
        str(v) for v in (obj.get("malware_types"), obj.get("description")) if v
    ).lower()
    for kind in ("stalkerware", "spyware"):
        if kind in words:
            return kind
    return "spyware" if obj.get("type") == "malware" else None


def _licence(objects: list[Mapping[str, object]]) -> str | None:
    for obj in objects:
        if obj.get("type") != "marking-definition":
            continue
        definition = obj.get("definition")
        if isinstance(definition, dict):
            for key in ("statement", "tlp"):
                value = definition.get(key)
                if isinstance(value, str) and value:
                    return value if key == "statement" else f"TLP:{value.upper()}"
        name = obj.get("name")
        if isinstance(name, str) and name:
            return name
    return None


def _objects(data: object, where: str) -> list[Mapping[str, object]]:
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise IndicatorError(f'{where}: not a STIX2 bundle (no top-level "type": "bundle")')
    objects = data.get("objects")
    if not isinstance(objects, list):
        raise IndicatorError(f'{where}: STIX2 bundle without an "objects" list')
    return [obj for obj in objects if isinstance(obj, dict)]


def parse_stix2(data: object, where: str) -> StixBundle:
    """Read one decoded bundle; ``where`` (the file) names it in every error and problem."""
    objects = _objects(data, where)
    families, owner = _family_of(objects)
    bundle = StixBundle(licence=_licence(objects))
    if len(families) == 1:
        bundle.name = next(iter(families.values()))[0]
    seen: dict[str, str] = {}
    for obj in objects:
        stamp = obj.get("modified") or obj.get("created")
        if isinstance(stamp, str) and (bundle.created is None or stamp > bundle.created):
            bundle.created = stamp
        if obj.get("type") == "indicator":
            bundle_add(bundle, obj, where, seen, families, owner)
    return bundle


def bundle_add(
    bundle: StixBundle,
    obj: Mapping[str, object],
    where: str,
    seen: dict[str, str],
    families: Mapping[str, tuple[str, str | None]],
    owner: Mapping[str, str],
) -> None:
    """Add one indicator object's comparisons to ``bundle`` (or a problem saying why not)."""
    iid = obj.get("id")
    pattern = obj.get("pattern")
    if not isinstance(iid, str) or not iid:
        bundle.problems.append(SetProblem(where, "an indicator without an id; skipped"))
        return
    label = iid[:120]
    if not isinstance(pattern, str) or not pattern.strip():
        bundle.problems.append(SetProblem(where, "no pattern; skipped", label))
        return
    if iid in seen:
        same = "the same pattern" if seen[iid] == pattern else "a different pattern"
        bundle.problems.append(
            SetProblem(where, f"duplicate id ({same}); the first is kept", label)
        )
        return
    seen[iid] = pattern
    if obj.get("pattern_type", "stix") != "stix":
        _count(bundle.unknown_types, f"pattern_type {str(obj.get('pattern_type'))[:40]}")
        return
    pairs = _comparisons(pattern) if len(pattern) <= _MAX_PATTERN else None
    if pairs is None:
        _count(bundle.unknown_types, "compound or non-equality pattern")
        return
    family, kind = families.get(owner.get(iid, ""), (None, None))
    for n, (kind_path, raw) in enumerate(pairs):
        if kind_path not in KNOWN_TYPES:
            _count(bundle.unknown_types, kind_path[:80])
            continue
        value, why = normalise(kind_path, raw)
        if value is None:
            bundle.problems.append(SetProblem(where, f"{kind_path} {why}; skipped", label))
            continue
        uid = iid if len(pairs) == 1 else f"{iid}#{n}"
        bundle.indicators.append(Indicator(uid, kind_path, value, family, kind))


def _count(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1
