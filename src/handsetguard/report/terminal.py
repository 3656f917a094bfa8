"""The terminal report: a rich rendering of a Report (header, rating, checks, apps, coverage)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handsetguard.checks.model import CheckResult, Status
from handsetguard.evidence import CoverageEntry, CoverageStatus, Provenance
from handsetguard.gate import Verdict
from handsetguard.profiles.rating import Level
from handsetguard.report.apps_table import access_cell
from handsetguard.report.headline import headline, unassessed
from handsetguard.report.model import Report
from handsetguard.report.present import (
    HEADLINE_CATEGORIES,
    STATUS_SYMBOL,
    UNKNOWN,
    acquired_text,
    basis_text,
    coverage_problems,
    device_text,
    format_time,
    level_text,
    ordered_checks,
    patch_text,
    plural,
    select_apps,
    status_text,
    version_text,
)
from handsetguard.report.safe import safe_report
from handsetguard.report.threats_view import (
    threat_label,
    threat_lines,
    threats_heading,
    threats_intro,
)

__all__ = ["render_terminal"]

_STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.NOT_ASSESSED: "dim",
    Status.PASS: "green",
}
_LEVEL_STYLE = {
    Level.EXCELLENT: "bold green",
    Level.GOOD: "green",
    Level.FAIR: "bold yellow",
    Level.POOR: "bold red",
    Level.INCOMPLETE: "bold magenta",
    Level.NOT_RATED: "dim",
}
_BAR_WIDTH = 30
_TOP_APPS = 10


# --- terminal rendering ---------------------------------------------------------------------


def _header(report: Report) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    device = report.device
    rows = (
        ("Device", device_text(device)),
        ("Android", version_text(device)),
        ("Security patch", patch_text(device)),
        ("Build", device.build_fingerprint or UNKNOWN),
        ("Source", f"{report.source_kind.value} · {report.source_path}"),
        ("Acquired", acquired_text(report)),
        (
            "Evaluated as of",
            f"{format_time(report.evaluated_as_of)} ({basis_text(report.time_basis)})",
        ),
        ("Timezone", report.timezone or UNKNOWN),
    )
    for key, value in rows:
        grid.add_row(key, Text(value))
    return Panel(grid, title="HandsetGuard device report", title_align="left")


_VERDICT_STYLE = {Verdict.PASS: "bold green", Verdict.FAIL: "bold red", Verdict.ERROR: "bold red"}


def _verdict(report: Report) -> list[Text | Table]:
    gate = report.gate
    if gate is None:
        return []
    line = Text("Verdict ", style="bold")
    line.append(f" {gate.verdict.value} ", style=f"reverse {_VERDICT_STYLE[gate.verdict]}")
    what = {
        Verdict.PASS: f"  every check of the {report.profile} gate passed",
        Verdict.FAIL: f"  {plural(len(gate.failing), 'check')} failed the {report.profile} gate",
        Verdict.ERROR: "  the unit could not be judged: its collection was cut short",
    }[gate.verdict]
    line.append(what, style="bold")
    reasons = Table.grid(padding=(0, 1))
    reasons.add_column(no_wrap=True)
    reasons.add_column(overflow="fold")
    for reason in gate.reasons:
        reasons.add_row("  •", Text(reason))
    return [line, reasons] if gate.reasons else [line]


def _threats(report: Report, archive: str) -> list[Text | Table]:
    """The findings, first thing after a gate's verdict: label, summary, reasons, advice."""
    if not report.threats:
        return []
    style = "bold" if report.safe_output else "bold red"
    lines: list[Text | Table] = [
        Text(threats_heading(report), style=style),
        Text(threats_intro(report)),
    ]
    for threat in report.threats:
        head = Text("▶ ", style=style)
        head.append(threat.package or "(the whole phone)", style="bold")
        head.append(f"  {threat_label(threat, report.safe_output)}", style=style)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, justify="right")
        grid.add_column(overflow="fold")
        grid.add_row("", "", Text(threat.summary))
        for line in threat_lines(threat):
            grid.add_row("  •", line.weight_text, Text(line.text))
            for item in line.evidence:
                fact = Text(item.fact, style="dim")
                if item.location is not None:
                    fact.append(f"  ({_where(item.location, archive)})", style="dim italic")
                grid.add_row("", "", fact)
        lines += [head, grid]
    if report.advice:
        lines.append(Text("Before you act:", style="bold"))
        advice = Table.grid(padding=(0, 1))
        advice.add_column(no_wrap=True)
        advice.add_column(overflow="fold")
        for text in report.advice:
            advice.add_row("  -", Text(text))
        lines.append(advice)
    lines.append(Text(""))
    return lines


def _gauge(report: Report) -> Group:
    rating = report.rating
    head = headline(report)
    style = _LEVEL_STYLE[rating.level]
    lines: list[Text | Table] = _verdict(report)
    lines += _threats(report, PurePath(report.source_path).name)
    line = Text("Rating ", style="bold")
    line.append(level_text(rating.level), style=style)
    if rating.score is None:
        line.append("  –/100  ")
        line.append("░" * _BAR_WIDTH, style="dim")
    else:
        filled = round(rating.score * _BAR_WIDTH / 100)
        over = " of what was checked" if rating.level is Level.INCOMPLETE else ""
        line.append(f"  {rating.score}/100{over}  ")
        line.append("█" * filled, style=style)
        line.append("░" * (_BAR_WIDTH - filled), style="dim")
    lines.append(line)
    lines.append(Text(head.summary))
    if rating.capped_by:
        lines.append(Text(f"capped by: {', '.join(rating.capped_by)}", style="yellow"))
    lines.append(Text(f"profile {report.profile} · {head.coverage}", style="dim"))
    lines.extend(Text(f"! {note}", style="bold yellow") for note in head.partial)
    missing = unassessed(report)
    if missing and (rating.level is Level.INCOMPLETE or rating.forced):
        lines.append(Text("Could not be checked:", style="bold"))
        for result in missing:
            item = Text(f"  ? {result.name or result.id} ({result.severity.value}): ")
            item.append(result.detail, style="dim")
            lines.append(item)
    return Group(*lines)


def _where(location: Provenance, archive: str) -> str:
    """A location without the archive's name, which the header already shows as the source:
    ``bugreport.txt:148386`` rather than ``bugreport-….zip!bugreport.txt:148386``."""
    text = str(location)
    return text.removeprefix(f"{archive}!") if archive else text


def _check_detail(result: CheckResult, verbose: bool, archive: str) -> Group:
    text = Text(result.detail)
    problem = result.status in (Status.FAIL, Status.WARN)
    if problem and result.remediation:
        text.append("\nFix: ", style="bold")
        text.append(result.remediation)
    # A grid keeps each bullet beside its (often long, unbreakable) fact when it wraps.
    facts = Table.grid(padding=(0, 1))
    facts.add_column(no_wrap=True)
    facts.add_column(overflow="fold")
    if problem or verbose:
        for item in result.evidence:
            fact = Text(item.fact, style="dim")
            if item.location is not None:
                fact.append(f"  ({_where(item.location, archive)})", style="dim italic")
            facts.add_row("•", fact)
    if verbose:
        for reference in result.references:
            facts.add_row("↗", Text(reference, style="dim"))
    return Group(text, facts) if facts.row_count else Group(text)


def _checks_table(checks: Sequence[CheckResult], verbose: bool, archive: str) -> Table:
    table = Table(title="Checks", title_justify="left", show_lines=True, expand=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Check", ratio=3, min_width=20)
    table.add_column("Detail", ratio=5, overflow="fold")
    for result in ordered_checks(checks):
        status = Text(
            f"{STATUS_SYMBOL[result.status]} {status_text(result.status)}",
            style=_STATUS_STYLE[result.status],
        )
        check = Text(result.title)
        check.append(f"\n{result.id}", style="dim")
        table.add_row(status, result.severity.value, check, _check_detail(result, verbose, archive))
    return table


def _apps_summary(report: Report) -> Table | Text:
    if report.apps_unavailable is not None:
        return Text(f"App access not available: {report.apps_unavailable}", style="yellow")
    apps = select_apps(report.apps, HEADLINE_CATEGORIES, sort="count")
    names = ", ".join(c.value for c in HEADLINE_CATEGORIES)
    if not apps:
        return Text(f"No app has recorded access to {names}.")
    caption = (
        f"{plural(len(apps), 'app')} accessed {names}; counts are recorded app-op "
        "accesses (a lower bound), bg = in the background, rej = refused"
    )
    table = Table(
        title="Apps using sensitive data",
        title_justify="left",
        expand=True,
        caption=caption,
        caption_justify="left",
    )
    table.add_column("Package", ratio=1, overflow="fold")
    table.add_column("Access: count (background, rejected) · last", ratio=1)
    for app in apps[:_TOP_APPS]:
        cell = Text()
        for category in HEADLINE_CATEGORIES:
            if category in app.access:
                if cell:
                    cell.append("\n")
                cell.append(f"{category.value:<11}", style="bold")
                cell.append(access_cell(app.access[category]))
        table.add_row(Text(app.package), cell)
    if len(apps) > _TOP_APPS:
        table.add_row(Text(f"… {len(apps) - _TOP_APPS} more (handsetguard apps)", style="dim"), "")
    return table


def _coverage(coverage: Sequence[CoverageEntry], archive: str) -> Group:
    parsed = sum(1 for entry in coverage if entry.status is CoverageStatus.PARSED)
    problems = coverage_problems(coverage)
    lines = [
        Text("Coverage", style="bold"),
        Text(f"{plural(parsed, 'section')} parsed, {len(problems)} missing or unreadable"),
    ]
    for entry in problems:
        line = Text(
            f"{entry.status.value:<8} ",
            style="yellow" if entry.status is CoverageStatus.MISSING else "red",
        )
        line.append(entry.section, style="bold")
        if entry.detail:
            line.append(f" — {entry.detail}")
        if entry.provenance is not None:
            line.append(f" ({_where(entry.provenance, archive)})", style="dim")
        lines.append(line)
    return Group(*lines)


def render_terminal(report: Report, console: Console, *, verbose: bool = False) -> None:
    """Print the whole report; ``verbose`` adds evidence for every check and references."""
    report = safe_report(report)  # what the input says is shown, never obeyed
    console.print(_header(report))
    console.print(_gauge(report))
    console.print()
    archive = PurePath(report.source_path).name
    console.print(_checks_table(report.checks, verbose, archive))
    console.print()
    console.print(_apps_summary(report))
    console.print()
    console.print(_coverage(report.coverage, archive))
