"""What the threat detectors find: a finding per app (or per device-wide indicator), either an
indicator match (a known stalkerware or spyware package, certificate, file, process, domain…)
or a behaviour pattern (the powers and habits stalkerware needs, whatever it is called)."""

from __future__ import annotations

import enum

from handsetguard.checks.model import EvidenceItem
from handsetguard.records import record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Protocol

    from handsetguard.device import DeviceState
else:
    Protocol = object  # a protocol is only read by the type checker

__all__ = ["Confidence", "IndicatorMatcher", "Match", "Reason", "Threat", "ThreatKind"]


class ThreatKind(enum.Enum):
    INDICATOR = "indicator"  # matched a published indicator of compromise
    BEHAVIOUR = "behaviour"  # the combination of powers and habits, no indicator needed


class Confidence(enum.Enum):
    CERTAIN = "certain"  # an exact indicator: package name, certificate, file hash
    PROBABLE = "probable"  # a weaker tie: a certificate hash code, a package-name pattern
    HEURISTIC = "heuristic"  # behaviour score


@record
class Match:
    """One indicator that matched: its type (``app:id``, ``app:cert.sha256``, ``file:path``,
    ``process:name``, ``domain-name:value``…), the value seen, the set and indicator it came
    from (with the set's licence), and where in the input it was seen."""

    type: str
    value: str
    set: str
    indicator_id: str
    name: str | None  # the family or campaign the indicator belongs to ("TheTruthSpy")
    licence: str | None
    evidence: tuple[EvidenceItem, ...]


@record
class Reason:
    """One signal of a behaviour finding, with its weight and evidence."""

    code: str  # stable: "sideloaded", "accessibility", "notification_listener", "hidden_icon"…
    text: str  # plain words: "reads everything on your screen"
    weight: int
    evidence: tuple[EvidenceItem, ...]


@record
class Threat:
    package: str | None  # None for a device-wide match (a file path, a domain in a log)
    kind: ThreatKind
    confidence: Confidence
    score: int  # 0-100: behaviour score, or 100 for a certain indicator match
    summary: str  # one plain sentence for the top of a report
    reasons: tuple[Reason, ...] = ()
    matches: tuple[Match, ...] = ()


class IndicatorMatcher(Protocol):
    """A compiled set of indicators (``threats.indicators``): what the engine asks of it."""

    def match(self, state: DeviceState) -> list[Threat]:
        """One INDICATOR threat per app (or device-wide finding) that matched."""
        ...
