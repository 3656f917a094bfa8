"""The words every format uses for the threats section at the top of a report: its heading,
each finding's label, its reasons and matches as lines — and the quieter wording of
``--safe-output``, which names what was found without saying "stalkerware" or "remove"."""

from __future__ import annotations

from handsetguard.checks.model import EvidenceItem
from handsetguard.records import record
from handsetguard.report.model import Report
from handsetguard.threats.model import Confidence, Match, Threat, ThreatKind

__all__ = [
    "ThreatLine",
    "match_text",
    "threat_label",
    "threat_lines",
    "threats_heading",
    "threats_intro",
]


@record
class ThreatLine:
    """One reason or match of a finding, in words, with the evidence it rests on."""

    text: str
    weight: int | None  # a behaviour reason's weight; None for an indicator match
    evidence: tuple[EvidenceItem, ...]

    @property
    def weight_text(self) -> str:
        return "" if self.weight is None else f"+{self.weight}"


def threats_heading(report: Report) -> str:
    if report.safe_output:
        return "Apps that need a closer look"
    return "Possible spyware or stalkerware"


def threats_intro(report: Report) -> str:
    """``1 app on this phone matches …``; device-wide traces (a file, a link) are counted as
    traces, not apps."""
    apps = sum(1 for t in report.threats if t.package is not None)
    traces = len(report.threats) - apps
    parts = [f"{apps} app" + ("s" if apps > 1 else "")] if apps else []
    parts += [f"{traces} trace" + ("s" if traces > 1 else "")] if traces else []
    found = " and ".join(parts)
    if report.safe_output:
        return f"{found} on this phone need a closer look. Details below."
    one = len(report.threats) == 1
    what = f"{'matches' if one else 'match'} known spyware or stalkerware"
    if not traces:
        what += f" or {'behaves' if one else 'behave'} like it"
    return f"{found} on this phone {what}. Read the advice below before you change anything."


def threat_label(threat: Threat, safe_output: bool = False) -> str:
    """``known stalkerware or spyware (TheTruthSpy)``, ``behaves like stalkerware (score
    100/100)``; neutral with ``safe_output``."""
    names = sorted({m.name for m in threat.matches if m.name})
    family = f" ({', '.join(names)})" if names else ""
    if threat.kind is ThreatKind.BEHAVIOUR:
        if safe_output:
            return f"score {threat.score}/100"
        return f"behaves like stalkerware (score {threat.score}/100)"
    if safe_output:
        return f"matches a published indicator{family}"
    if threat.confidence is Confidence.CERTAIN:
        return f"known stalkerware or spyware{family}"
    return f"probably stalkerware or spyware{family}"


def match_text(match: Match) -> str:
    """``app:id com.example matched indicator set echap (indicator x, licence CC-BY-4.0)``."""
    notes = [f"indicator {match.indicator_id}"]
    if match.licence:
        notes.append(f"licence {match.licence}")
    return f"{match.type} {match.value} is in the indicator set {match.set} ({', '.join(notes)})"


def threat_lines(threat: Threat) -> list[ThreatLine]:
    """Matches first, then reasons (with their weights), each with its evidence."""
    lines = [ThreatLine(match_text(m), None, m.evidence) for m in threat.matches]
    lines += [ThreatLine(r.text, r.weight, r.evidence) for r in threat.reasons]
    return lines
