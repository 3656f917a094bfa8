"""What a report says first, in words every format shares: the gate verdict (for a gate
profile), the level, how much of the profile was assessed, and why the input is partial."""

from __future__ import annotations

from handsetguard.checks.model import SEVERITY_ORDER, CheckResult, Status
from handsetguard.evidence import CoverageStatus
from handsetguard.gate import GateVerdict, Verdict
from handsetguard.profiles.rating import Coverage, Level, Rating
from handsetguard.records import record
from handsetguard.report.model import Report
from handsetguard.report.present import plural

__all__ = [
    "GateItem",
    "Headline",
    "coverage_sentence",
    "coverage_text",
    "gate_items",
    "headline",
    "score_text",
    "unassessed",
    "verdict_sentence",
]


@record
class Headline:
    gate: GateVerdict | None  # the verdict leads when the profile has a gate
    level: Level
    summary: str  # one plain sentence about the level
    coverage: str  # "assessed 7 of 19 checks, 41% of the weight"
    partial: tuple[str, ...]  # why the input itself is partial: cut short, clock not set
    nothing_to_fix: bool  # only when everything needed was assessed and nothing failed


@record
class GateItem:
    """One reason for a gate's FAIL or ERROR: the check it concerns (None for a collection
    error), whether it counts only because it could not be assessed, and the reason in words."""

    result: CheckResult | None
    unassessed: bool
    reason: str


def coverage_text(coverage: Coverage | None) -> str:
    if coverage is None:
        return ""
    checks = plural(coverage.total, "check")
    return f"assessed {coverage.assessed} of {checks}, {coverage.percent}% of the weight"


def coverage_sentence(coverage: Coverage | None) -> str:
    """:func:`coverage_text` as a sentence a report can print on its own."""
    text = coverage_text(coverage)
    if not text:
        return "How much of the profile was assessed is not known."
    return text[0].upper() + text[1:] + "."


def score_text(rating: Rating) -> str:
    """``49/100``; ``100/100 over what was checked`` when incomplete; ``not scored``."""
    if rating.score is None:
        return "not scored"
    if rating.level is Level.INCOMPLETE:
        return f"{rating.score}/100 over what was checked"
    return f"{rating.score}/100"


def verdict_sentence(report: Report) -> str:
    """What the gate's verdict means, in one sentence (empty without a gate)."""
    gate = report.gate
    if gate is None:
        return ""
    if gate.verdict is Verdict.PASS:
        return f"Every check of the {report.profile} gate passed."
    if gate.verdict is Verdict.ERROR:
        return "The phone could not be judged: its collection was cut short."
    threats = sum(1 for item in gate.failing if item.startswith("threat:"))
    count = len(gate.failing) - threats
    checks = "1 check" if count == 1 else f"{count} checks"
    found = "1 threat finding" if threats == 1 else f"{threats} threat findings"
    if count == 0:
        return f"{found} failed the {report.profile} gate."
    if gate.threshold == "warn":
        text = f"{checks} failed or need attention, and the {report.profile} gate fails on either"
    else:
        text = f"{checks} failed the {report.profile} gate"
    return f"{text}; so did {found}." if threats else f"{text}."


def gate_items(report: Report) -> list[GateItem]:
    """Why the gate did not pass, one item per failing check or per collection error."""
    gate = report.gate
    if gate is None or gate.verdict is Verdict.PASS:
        return []
    if gate.verdict is Verdict.ERROR:
        return [GateItem(None, False, reason) for reason in gate.reasons]
    by_id: dict[str, CheckResult] = {r.id: r for r in report.checks}
    summaries = {
        item: reason.removeprefix(f"{item}: ")
        for item, reason in zip(gate.failing, gate.reasons, strict=False)
        if item.startswith("threat:")
    }
    items = []
    for failing in gate.failing:
        if failing in summaries:
            items.append(GateItem(None, False, f"{failing.removeprefix('threat:')}: "
                                  f"{summaries[failing]}"))  # fmt: skip
            continue
        check_id = failing.removesuffix("(not_assessed)")
        result = by_id.get(check_id)
        counted = failing != check_id
        detail = result.detail if result is not None else check_id
        if counted:
            detail = f"could not be checked, and this gate counts that as a failure: {detail}"
        items.append(GateItem(result, counted, detail))
    return items


def unassessed(report: Report) -> list[CheckResult]:
    """The checks that could not be assessed, critical first."""
    missing = [r for r in report.checks if r.status is Status.NOT_ASSESSED]
    return sorted(missing, key=lambda r: SEVERITY_ORDER[r.severity])


def _summary(rating: Rating, profile: str, problems: int) -> str:
    coverage = rating.coverage
    floor = coverage.floor if coverage is not None else ""
    if rating.level is Level.NOT_RATED:
        return "Nothing in the input could be checked, so the phone is not rated."
    if rating.level is Level.INCOMPLETE:
        return (
            f"Too little could be checked to rate this phone: the {profile} profile needs "
            f"{floor} assessed. The score covers only what was checked; what could not be "
            "checked, and why, is listed in the report."
        )
    if rating.forced:
        return (
            "Rated on partial evidence: what failed already sets this level, whatever the "
            "unchecked items would show."
        )
    if problems == 0:
        return "No problem found in what was checked."
    return f"{problems} {'item needs' if problems == 1 else 'items need'} attention."


def _partial(report: Report) -> list[str]:
    notes = [
        f"The input was cut short ({entry.provenance or entry.section}): "
        "later sections are missing, so this report covers only what came before."
        for entry in report.coverage
        if entry.status is CoverageStatus.TRUNCATED
    ]
    if report.collection_errors:
        notes.append(
            "The collection from the phone was cut short: " + "; ".join(report.collection_errors)
        )
    clock = report.clock_unset
    if clock:
        notes.append(
            f"The phone's clock was not set when this was recorded ({clock}); "
            "time-based checks use the time of this run."
        )
    return notes


def headline(report: Report) -> Headline:
    rating = report.rating
    problems = sum(1 for r in report.checks if r.status in (Status.FAIL, Status.WARN))
    coverage = rating.coverage
    complete = coverage is None or coverage.floor_met
    nothing = (
        problems == 0
        and complete
        and rating.level not in (Level.INCOMPLETE, Level.NOT_RATED)
        and (report.gate is None or report.gate.verdict is Verdict.PASS)
        and not report.collection_errors
        and not any(e.status is CoverageStatus.TRUNCATED for e in report.coverage)
    )
    return Headline(
        gate=report.gate,
        level=rating.level,
        summary=_summary(rating, report.profile, problems),
        coverage=coverage_text(coverage),
        partial=tuple(_partial(report)),
        nothing_to_fix=nothing,
    )
