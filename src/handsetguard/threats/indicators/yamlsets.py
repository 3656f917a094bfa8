"""The YAML indicator formats: Echap's ``ioc.yaml`` / ``watchware.yaml`` (a list of app families
with names, packages, certificates, websites, C2 addresses; github.com/AssoEchap/
stalkerware-indicators) and MVT's ``indicators.yaml`` (an index of STIX2 feeds, each a GitHub
location; github.com/mvt-project/mvt-indicators), whose files are resolved locally only."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from handsetguard.records import field, mutable_record, record
from handsetguard.threats.indicators.model import Indicator, IndicatorError, SetProblem
from handsetguard.threats.indicators.normalise import normalise

__all__ = ["EchapFamilies", "IndexEntry", "load_yaml", "parse_echap", "resolve_mvt_index"]

# Echap key → indicator type; certificates are typed by their length.
_LISTS = {
    "packages": "app:id",
    "websites": "domain-name:value",
    "distribution": "domain-name:value",
    "certificate_organizations": "app:cert.organization",
    "certificate_cname_re": "app:cert.cname-pattern",
    "samples": "file:hashes.sha256",  # HandsetGuard's bundled form: samples.csv's APK hashes
}
_C2 = {"domains": "domain-name:value", "ips": "ipv4-addr:value", "ip": "ipv4-addr:value"}
_TEXT_KEYS = frozenset({"name", "names", "type", "certificates", "c2", *_LISTS})
_CERT_BY_LENGTH = {32: "app:cert.md5", 40: "app:cert.sha1", 64: "app:cert.sha256"}


@mutable_record
class EchapFamilies:
    indicators: list[Indicator] = field(default_factory=list)
    unknown_types: dict[str, int] = field(default_factory=dict)
    problems: list[SetProblem] = field(default_factory=list)
    families: int = 0


def load_yaml(text: bytes, where: str) -> object:
    """Parse YAML with the safe loader (libyaml's when installed: ~10x faster)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise IndicatorError(f"{where}: not valid YAML{at}: {exc.problem}") from exc
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise IndicatorError(f"{where}: not valid YAML ({str(exc)[:120]})") from exc


def _strings(value: object, seen: set[int]) -> Iterator[str]:
    # Each YAML node once: an alias repeated a million times is walked once, not a million.
    if not isinstance(value, list) or id(value) in seen:
        return
    seen.add(id(value))
    for item in value:
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            yield str(item)


def parse_echap(data: object, where: str) -> EchapFamilies:
    """Read Echap families (``- name: … packages: […] …``) from parsed YAML or JSON."""
    if not isinstance(data, list):
        raise IndicatorError(f"{where}: not an Echap indicator list (top level is not a list)")
    out = EchapFamilies()
    seen: set[int] = set()
    ids: set[str] = set()
    for n, family in enumerate(data):
        if not isinstance(family, dict) or id(family) in seen:
            continue
        seen.add(id(family))
        name = family.get("name")
        if not isinstance(name, str) or not name.strip():
            out.problems.append(SetProblem(where, "a family without a name; skipped", f"#{n}"))
            continue
        out.families += 1
        kind = family.get("type") if isinstance(family.get("type"), str) else None
        _family(out, family, name.strip(), kind, where, seen, ids)
    return out


def _family(
    out: EchapFamilies,
    family: Mapping[str, object],
    name: str,
    kind: str | None,
    where: str,
    seen: set[int],
    ids: set[str],
) -> None:
    pairs: list[tuple[str, str, str]] = []
    for key, kind_path in _LISTS.items():
        pairs.extend((key, kind_path, v) for v in _strings(family.get(key), seen))
    for cert in _strings(family.get("certificates"), seen):
        compact = cert.strip().replace(":", "")
        pairs.append(("certificates", _CERT_BY_LENGTH.get(len(compact), "app:cert.der"), cert))
    c2 = family.get("c2")
    if isinstance(c2, dict) and id(c2) not in seen:
        seen.add(id(c2))
        for key, kind_path in _C2.items():
            pairs.extend((f"c2.{key}", kind_path, v) for v in _strings(c2.get(key), seen))
        for key in c2:
            if key not in _C2:
                out.unknown_types[f"c2.{key}"] = out.unknown_types.get(f"c2.{key}", 0) + 1
    for key in family:
        if key not in _TEXT_KEYS:
            out.unknown_types[str(key)[:80]] = out.unknown_types.get(str(key)[:80], 0) + 1
    for key, kind_path, raw in pairs:
        label = f"{name}/{key}/{raw.strip()[:100]}"
        value, why = normalise(kind_path, raw)
        if value is None:
            out.problems.append(SetProblem(where, f"{kind_path} {why}; skipped", label))
            continue
        uid = f"{name}/{key}/{value if len(value) <= 100 else value[:100]}"
        if uid in ids:  # the same value twice in one family (Echap lists a few twice)
            continue
        ids.add(uid)
        out.indicators.append(
            Indicator(uid, kind_path, value, name, kind.lower() if kind else None)
        )


@record
class IndexEntry:
    """One feed of MVT's ``indicators.yaml``: its name and the local file it resolved to."""

    name: str
    path: Path | None  # None: not available offline
    location: str  # owner/repo:path as the index gives it


def resolve_mvt_index(data: object, where: str, folder: Path) -> list[IndexEntry]:
    """The feeds of an MVT ``indicators.yaml``; each ``github`` path is looked for under the
    index's folder (the mvt-indicators checkout itself), ``folder/<repo>/`` and the folder
    beside it named after the repository. Nothing is downloaded."""
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise IndicatorError(f'{where}: not an MVT indicators index (no "indicators" list)')
    entries: list[IndexEntry] = []
    for n, item in enumerate(data["indicators"]):
        if not isinstance(item, dict):
            continue
        name = item.get("name") if isinstance(item.get("name"), str) else f"{where}#{n}"
        github = item.get("github")
        if not isinstance(github, dict) or not isinstance(github.get("path"), str):
            url = item.get("download_url")
            entries.append(IndexEntry(str(name), None, str(url or item.get("type"))[:200]))
            continue
        repo = str(github.get("repo", ""))
        rel = Path(str(github["path"]))
        location = f"{github.get('owner', '?')}/{repo}:{rel}"
        if rel.is_absolute() or ".." in rel.parts:
            entries.append(IndexEntry(str(name), None, location))
            continue
        candidates = [folder / rel, folder / repo / rel, folder.parent / repo / rel]
        found = next((c for c in candidates if c.is_file()), None)
        entries.append(IndexEntry(str(name), found, location))
    return entries
