"""Indicator hits → findings: one INDICATOR threat per package (every match on it combined),
one per family for device-wide traces (a file, a process, a property) and one per family for
links (an SMS, an intent's data), with a plain sentence."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from handsetguard.checks.model import EvidenceItem
from handsetguard.threats.model import Confidence, Match, Threat, ThreatKind

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Protocol

    from handsetguard.threats.indicators.index import IndicatorIndex
else:
    Protocol = object  # a protocol is only read by the type checker

__all__ = ["threats_from_hits"]

LINK_TYPES = frozenset({"domain-name:value", "url:value", "ipv4-addr:value"})
CERTAIN_SCORE = 100
PROBABLE_SCORE = 60

_KIND_WORDS = {
    "stalkerware": "stalkerware",
    "watchware": "monitoring app (watchware)",
    "spyware": "spyware",
}


class _Hit(Protocol):
    @property
    def row(self) -> int: ...
    @property
    def package(self) -> str | None: ...
    @property
    def seen(self) -> str: ...
    @property
    def certain(self) -> bool: ...
    @property
    def evidence(self) -> EvidenceItem: ...


def _what(kinds: Sequence[str | None], families: Sequence[str]) -> str:
    kind = next((k for k in kinds if k), None)
    word = _KIND_WORDS.get(kind or "", "spyware or stalkerware")
    named = ", ".join(families[:3]) + (
        f" and {len(families) - 3} more" if len(families) > 3 else ""
    )
    return f"{word} ({named})" if named else word


def _matches(index: IndicatorIndex, hits: Sequence[_Hit]) -> tuple[tuple[Match, ...], bool]:
    """One Match per indicator (its evidence combined); whether any hit is certain."""
    by_row: dict[int, list[_Hit]] = {}
    for hit in hits:
        by_row.setdefault(hit.row, []).append(hit)
    matches = []
    for row, group in by_row.items():
        indicator, indicator_set = index.indicator(row)
        evidence = tuple(dict.fromkeys(h.evidence for h in group))
        matches.append(
            Match(
                type=indicator.type,
                value=group[0].seen,
                set=indicator_set.name,
                indicator_id=indicator.id,
                name=indicator.family,
                licence=indicator_set.licence,
                evidence=evidence,
            )
        )
    return tuple(matches), any(h.certain for h in hits)


def _families(index: IndicatorIndex, hits: Iterable[_Hit]) -> tuple[list[str], list[str | None]]:
    families: dict[str, None] = {}
    kinds: list[str | None] = []
    for hit in hits:
        indicator, _ = index.indicator(hit.row)
        if indicator.family:
            families.setdefault(indicator.family, None)
        kinds.append(indicator.kind)
    return list(families), kinds


def threats_from_hits(
    index: IndicatorIndex, hits: Sequence[_Hit], installed: Mapping[str, bool]
) -> list[Threat]:
    """Group ``hits``; ``installed`` maps each listed package to whether any user has it
    installed (False: uninstalled with its data kept). Certain findings first, then by name."""
    by_package: dict[str, list[_Hit]] = {}
    by_family: dict[tuple[str, bool], list[_Hit]] = {}
    for hit in hits:
        if hit.package is not None:
            by_package.setdefault(hit.package, []).append(hit)
        else:
            indicator, indicator_set = index.indicator(hit.row)
            key = (indicator.family or indicator_set.name, indicator.type in LINK_TYPES)
            by_family.setdefault(key, []).append(hit)
    threats = [_package_threat(index, p, h, installed.get(p)) for p, h in by_package.items()]
    threats.extend(_device_threat(index, h, link) for (_, link), h in by_family.items())
    threats.sort(
        key=lambda t: (t.confidence is not Confidence.CERTAIN, t.package or "~", t.summary)
    )
    return threats


def _package_threat(
    index: IndicatorIndex, package: str, hits: Sequence[_Hit], installed: bool | None
) -> Threat:
    matches, certain = _matches(index, hits)
    families, kinds = _families(index, hits)
    what = _what(kinds, families)
    if installed is None:
        state = "was seen on the phone"
    elif installed:
        state = "is installed"
    else:
        state = "was installed and its data is still on the phone"
    if certain:
        summary = f"Known {what} {state}: {package}"
    else:
        summary = f"Possibly known {what}: {package} (only {_weak(matches)} matches)"
    return _threat(package, certain, summary, matches)


def _threat(package: str | None, certain: bool, summary: str, matches: tuple[Match, ...]) -> Threat:
    return Threat(
        package=package,
        kind=ThreatKind.INDICATOR,
        confidence=Confidence.CERTAIN if certain else Confidence.PROBABLE,
        score=CERTAIN_SCORE if certain else PROBABLE_SCORE,
        summary=summary,
        matches=matches,
    )


def _weak(matches: Sequence[Match]) -> str:
    words = {
        "app:cert.der": "its signing certificate's hash code",
        "app:cert.organization": "its certificate's organisation",
        "app:cert.cname-pattern": "its certificate's common name",
        "process:name": "a truncated process name",
        "file:path": "a path prefix",
    }
    return ", ".join(dict.fromkeys(words.get(m.type, m.type) for m in matches))


def _device_threat(index: IndicatorIndex, hits: Sequence[_Hit], link: bool) -> Threat:
    """Device-wide traces of one family; links (a message, an opened page) get their own
    finding and wording: a link to an attacker's server is not the spyware itself."""
    matches, certain = _matches(index, hits)
    families, kinds = _families(index, hits)
    seen = ", ".join(dict.fromkeys(m.evidence[0].fact for m in matches[:3]))
    more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
    what = _what(kinds, families)
    if link:
        lead = "A link to" if certain else "A link possibly to"
        summary = f"{lead} servers of known {what} is on the phone: {seen}{more}"
    else:
        lead = "Traces" if certain else "Possible traces"
        summary = f"{lead} of known {what} on the phone: {seen}{more}"
    return _threat(None, certain, summary, matches)
