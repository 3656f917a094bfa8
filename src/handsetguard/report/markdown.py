"""The markdown report: GitHub-flavoured markdown with the content and order of the HTML report
(the verdict or level first, coverage, what could not be checked, fixes, every check, the phone,
the apps, what was unreadable). Data can neither close a code span nor start markup."""

from __future__ import annotations

from collections.abc import Sequence

from handsetguard.checks.model import CheckResult, Status
from handsetguard.evidence import CoverageStatus
from handsetguard.gate import Verdict
from handsetguard.profiles.rating import Level
from handsetguard.report.headline import (
    coverage_sentence,
    gate_items,
    headline,
    score_text,
    unassessed,
    verdict_sentence,
)
from handsetguard.report.markdown_safe import code as _code
from handsetguard.report.markdown_safe import table as _table
from handsetguard.report.markdown_safe import text as _text
from handsetguard.report.model import SCHEMA_VERSION, Report
from handsetguard.report.present import (
    UNKNOWN,
    access_words,
    acquired_text,
    app_columns,
    basis_text,
    category_label,
    coverage_problems,
    device_text,
    fix_order,
    format_time,
    last_used_text,
    level_text,
    ordered_checks,
    patch_text,
    plural,
    select_apps,
    severity_text,
    status_label,
    version_text,
)
from handsetguard.report.safe import safe_report
from handsetguard.report.threats_view import (
    threat_label,
    threat_lines,
    threats_heading,
    threats_intro,
)

__all__ = ["render_markdown"]

_SYMBOL = {Status.FAIL: "❌", Status.WARN: "⚠️", Status.NOT_ASSESSED: "❔", Status.PASS: "✅"}
_UNREAD = {
    CoverageStatus.MISSING: "missing",
    CoverageStatus.TRUNCATED: "cut short",
    CoverageStatus.SKIPPED: "not read",
    CoverageStatus.ERROR: "could not be understood",
}
_VERDICT_SYMBOL = {Verdict.PASS: "✅", Verdict.FAIL: "❌", Verdict.ERROR: "⛔"}


def _phone(report: Report) -> str:
    name = device_text(report.device)
    return "a phone the input does not name" if name == UNKNOWN else name


def _about(result: CheckResult) -> str:
    """The small details line: the check's neutral name, how serious, its id."""
    return (
        f"<sub>Check: {_text(result.name or result.id)} · "
        f"seriousness: {severity_text(result.severity)} · id {_code(result.id)}</sub>"
    )


def _verdict(report: Report) -> list[str]:
    gate = report.gate
    if gate is None:
        rating = report.rating
        return [f"# Rating: {level_text(rating.level)} · {score_text(rating)}", ""]
    lines = [
        f"# {_VERDICT_SYMBOL[gate.verdict]} {gate.verdict.value}: {verdict_sentence(report)}",
        "",
    ]
    items = gate_items(report)
    for item in items:
        what = f"**{_text(item.result.title)}**: " if item.result is not None else ""
        lines.append(f"- {what}{_text(item.reason)}")
    return lines + [""] if items else lines


def _threats(report: Report) -> list[str]:
    """The findings, at the very top (after a gate's verdict): label, summary, reasons."""
    if not report.threats:
        return []
    lines = [f"## {threats_heading(report)}", "", threats_intro(report), ""]
    for threat in report.threats:
        name = _code(threat.package) if threat.package else "the whole phone"
        lines += [
            f"### {name}: {_text(threat_label(threat, report.safe_output))}",
            "",
            f"**{_text(threat.summary)}**",
            "",
        ]
        for line in threat_lines(threat):
            weight = f"{line.weight_text} " if line.weight is not None else ""
            lines.append(f"- {weight}{_text(line.text)}")
            lines += [
                f"  - {_code(item.fact)}"
                + ("" if item.location is None else f" in {_code(str(item.location))}")
                for item in line.evidence
            ]
        lines.append("")
    if report.advice:
        lines += ["**Before you act:**", "", *(f"- {_text(text)}" for text in report.advice), ""]
    return lines


def _headline(report: Report) -> list[str]:
    head = headline(report)
    rating = report.rating
    lines = _verdict(report)
    intro = [
        f"Security report for {_text(_phone(report))}, made by HandsetGuard "
        f"{report.tool_version} from {report.source_kind.value} input.",
        "",
    ]
    if report.gate is None:
        # No verdict to lead with: the threats come first, then the rating's heading.
        lines = [*intro, *_threats(report), *lines] if report.threats else [*lines[:2], *intro]
    else:
        lines = [*lines[:2], *intro, *lines[2:], *_threats(report)]
    lines += [f"> **Partial input:** {_text(note)}\n" for note in head.partial]
    if report.gate is not None:
        lines += [
            f"**Rating: {level_text(rating.level)} · {score_text(rating)}** (secondary here: "
            f"the {_text(report.profile)} gate decides)",
            "",
        ]
    lines += [_text(head.summary), ""]
    if rating.capped_by:
        by_id: dict[str, CheckResult] = {r.id: r for r in report.checks}
        names = ", ".join(
            f"known spyware or stalkerware ({_code(c.removeprefix('threat:'))})"
            if c.startswith("threat:")
            else f"**{_text(by_id[c].title)}**"
            if c in by_id
            else _code(c)
            for c in rating.capped_by
        )
        spyware = any(c.startswith("threat:") for c in rating.capped_by)
        what = "a failed check this serious" + (", or a known spyware app," if spyware else "")
        lines += [
            f"The rating is held down by {names}: {what} limits the rating, whatever the score.",
            "",
        ]
    lines += [
        f"**{_text(coverage_sentence(rating.coverage))}** Profile {_text(report.profile)}.",
        "",
    ]
    return lines + _not_checked(report)


def _not_checked(report: Report) -> list[str]:
    missing = unassessed(report)
    if not missing:
        return []
    items = [
        f"- **{_text(r.name or r.title)}** ({severity_text(r.severity)}): {_text(r.detail)}"
        for r in missing
    ]
    rating = report.rating
    if rating.level in (Level.INCOMPLETE, Level.NOT_RATED) or rating.forced:
        return ["## What could not be checked, and why", "", *items, ""]
    summary = f"{plural(len(missing), 'check')} could not be checked"
    return [f"<details><summary>{summary}</summary>", "", *items, "", "</details>", ""]


def _device(report: Report) -> list[str]:
    device = report.device
    rows = [
        ("Phone", _text(device_text(device))),
        ("Android", _text(version_text(device))),
        ("Security patch", _text(patch_text(device))),
        (
            "Build",
            _code(device.build_fingerprint) if device.build_fingerprint else "not in the input",
        ),
        ("Source", f"{report.source_kind.value} · {_code(report.source_path)}"),
        ("Acquired", _text(acquired_text(report))),
        (
            "Evaluated as of",
            _text(f"{format_time(report.evaluated_as_of)} ({basis_text(report.time_basis)})"),
        ),
        ("Timezone", _text(report.timezone or "not in the input")),
    ]
    return ["## About the phone", "", *_table(("Fact", "Value"), rows), ""]


def _evidence(result: CheckResult) -> list[str]:
    items = [
        f"- {_code(item.fact)}"
        + ("" if item.location is None else f" in {_code(str(item.location))}")
        for item in result.evidence
    ]
    items += [f"- Reference: {_code(reference)}" for reference in result.references]
    if not items:
        return []
    return ["<details><summary>Evidence</summary>", "", *items, "", "</details>", ""]


def _to_fix(report: Report, checks: Sequence[CheckResult]) -> list[str]:
    lines = ["## What to fix first", ""]
    problems = fix_order(checks)
    if not problems:
        if headline(report).nothing_to_fix:
            text = "Nothing to fix: everything needed was checked and nothing failed."
        else:
            text = (
                "No check found a problem in what could be checked. That is not a clean "
                "result: this report is not complete enough to say there is nothing to fix "
                "(see the top of the report)."
            )
        return [*lines, text, ""]
    for result in problems:
        lines += [
            f"### {_SYMBOL[result.status]} {status_label(result.status)}: {_text(result.title)}",
            "",
            _text(result.detail),
            "",
        ]
        if result.remediation:
            lines += [f"**How to fix:** {_text(result.remediation)}", ""]
        lines += [_about(result), ""]
        lines += _evidence(result)
    return lines


def _checks(checks: Sequence[CheckResult]) -> list[str]:
    rows = []
    for result in checks:
        found = _text(result.detail)
        if result.status in (Status.FAIL, Status.WARN) and result.remediation:
            found += f"<br>**How to fix:** {_text(result.remediation)}"
        rows.append(
            (
                f"{_SYMBOL[result.status]} {status_label(result.status)}",
                f"{_text(result.title)}<br>{_about(result)}",
                found,
            )
        )
    return ["## All checks", "", *_table(("Result", "Check", "What we found"), rows), ""]


def _access(report: Report) -> list[str]:
    columns = app_columns(report.apps)
    apps = select_apps(report.apps, columns, sort="last")
    header = ["App", *(category_label(c) for c in columns), "Installed by", "System app"]
    rows = []
    for app in apps:
        cells = []
        for category in columns:
            access = app.access.get(category)
            if access is None:
                cells.append("–")
                continue
            last = last_used_text(access)
            cells.append(access_words(access) + (f"<br>{last}" if last else ""))
        rows.append(
            [
                _code(app.package),
                *cells,
                _code(app.installer) if app.installer else "not recorded",
                "unknown" if app.system is None else ("yes" if app.system else "no"),
            ]
        )
    lines = [*_table(header, rows), ""]
    if len(report.apps) > len(apps):
        quiet = plural(len(report.apps) - len(apps), "other installed app")
        lines += [f"{quiet} recorded no access.", ""]
    return lines


def _apps(report: Report) -> list[str]:
    lines = ["## Which apps used your camera, microphone, location, contacts or messages?", ""]
    if report.apps_unavailable is not None:
        return [*lines, f"Not available: {_text(report.apps_unavailable)}", ""]
    if not select_apps(report.apps, app_columns(report.apps)):
        return [*lines, "No app has recorded access to these kinds of data.", ""]
    lines += [
        "Android keeps the most recent uses of each permission, not every use, so a count is "
        "a lower bound. “In the background” means the app was not on screen; “refused” means "
        "Android blocked the attempt. Times are the phone’s own clock.",
        "",
    ]
    return lines + _access(report)


def _coverage(report: Report) -> list[str]:
    parsed = sum(1 for entry in report.coverage if entry.status is CoverageStatus.PARSED)
    problems = coverage_problems(report.coverage)
    lines = [
        "## What this report could not read",
        "",
        f"{plural(parsed, 'section')} of the input read, {len(problems)} missing or unreadable. "
        f"{_text(coverage_sentence(report.rating.coverage))}",
        "",
    ]
    for entry in problems:
        label = _UNREAD[entry.status]
        line = f"- **{label}**: {_code(entry.section)}"
        if entry.detail:
            line += f" — {_text(entry.detail)}"
        if entry.provenance is not None:
            line += f" ({_code(str(entry.provenance))})"
        lines.append(line)
    return [*lines, ""] if problems else lines


def render_markdown(report: Report) -> str:
    """The report as a GitHub-flavoured markdown document."""
    report = safe_report(report)
    checks = ordered_checks(report.checks)
    lines = [
        *_headline(report),
        *_to_fix(report, checks),
        *_checks(checks),
        *_device(report),
        *_apps(report),
        *_coverage(report),
        "---",
        "",
        f"How the score is computed: {_text(report.rating.formula)}.",
        "",
        f"HandsetGuard {report.tool_version} · report schema {_code(SCHEMA_VERSION)} · "
        f"source {_code(report.source_path)}",
    ]
    return "\n".join(lines) + "\n"
