"""The markdown report: GitHub-flavoured markdown with the same content as the HTML report."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from handsetguard.checks.model import CheckResult, Status
from handsetguard.evidence import CoverageStatus
from handsetguard.report.model import SCHEMA_VERSION, Report
from handsetguard.report.present import (
    access_text,
    acquired_text,
    app_columns,
    basis_text,
    category_label,
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

__all__ = ["render_markdown"]

_SYMBOL = {Status.FAIL: "❌", Status.WARN: "⚠️", Status.NOT_ASSESSED: "❔", Status.PASS: "✅"}
# CommonMark backslash escapes: what could start emphasis, code, links or raw HTML in prose,
# and what would start a heading, quote, list or rule at the beginning of a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))", re.MULTILINE)


def _text(value: str) -> str:
    """Prose from the report, with markdown syntax characters escaped."""
    return _BLOCK_START.sub(_escape_block, _SPECIAL.sub(r"\\\1", value))


def _escape_block(match: re.Match[str]) -> str:
    indent, mark = match[1], match[2]
    # "1." / "1)" start an ordered list: escape the punctuation, which follows the digits.
    return f"{indent}{mark}\\" if mark.isdigit() else f"{indent}\\{mark}"


def _code(value: str) -> str:
    """A code span that survives backticks inside ``value``."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _cell(value: str) -> str:
    """A table cell: pipes escaped (also inside code spans, as GFM requires), lines joined."""
    return value.replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


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
    return _table(("About the phone", ""), rows)


def _rating(report: Report) -> list[str]:
    rating = report.rating
    score = "not scored" if rating.score is None else f"{rating.score}/100"
    lines = [
        "## How secure is this phone?",
        "",
        f"**Rating: {level_text(rating.level)}** · {score}",
        "",
    ]
    if rating.capped_by:
        lines += [
            "Capped by: "
            + ", ".join(_code(c) for c in rating.capped_by)
            + " (a failed check this serious limits the rating, whatever the score)",
            "",
        ]
    lines += [f"Profile {_code(report.profile)} · {plural(rating.assessed, 'check')} assessed", ""]
    return lines + _device(report) + [""]


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


def _to_fix(checks: Sequence[CheckResult]) -> list[str]:
    lines = ["## What to fix first", ""]
    problems = [c for c in checks if c.status in (Status.FAIL, Status.WARN)]
    if not problems:
        return [*lines, "Nothing to fix: no check failed or needs attention.", ""]
    for result in problems:
        lines += [
            f"### {_SYMBOL[result.status]} {status_text(result.status)}: "
            f"{_text(result.title)} ({_code(result.id)}, {result.severity.value})",
            "",
            _text(result.detail),
            "",
        ]
        if result.remediation:
            lines += [f"**How to fix:** {_text(result.remediation)}", ""]
        lines += _evidence(result)
    return lines


def _checks(checks: Sequence[CheckResult]) -> list[str]:
    rows = []
    for result in checks:
        found = _text(result.detail)
        if result.status in (Status.FAIL, Status.WARN) and result.remediation:
            found += f"\n**Fix:** {_text(result.remediation)}"
        rows.append(
            (
                f"{_SYMBOL[result.status]} {status_text(result.status)}",
                result.severity.value,
                f"{_text(result.title)} ({_code(result.id)})",
                found,
            )
        )
    return [
        "## All checks",
        "",
        *_table(("Result", "Severity", "Check", "What we found"), rows),
        "",
    ]


def _apps(report: Report) -> list[str]:
    lines = ["## Which apps used your camera, microphone, location, contacts or messages?", ""]
    if report.apps_unavailable is not None:
        return [*lines, f"Not available: {_text(report.apps_unavailable)}", ""]
    columns = app_columns(report.apps)
    apps = select_apps(report.apps, columns, sort="last")
    if not apps:
        return [*lines, "No app has recorded access to these kinds of data.", ""]
    lines += [
        "Counts are recorded accesses (Android keeps the most recent, so a lower bound); "
        "bg = in the background, rej = refused; times are the phone's clock.",
        "",
    ]
    header = ["App", *(category_label(c) for c in columns), "Installed by", "System app"]
    rows = [
        [
            _code(app.package),
            *(access_text(app.access[c]) if c in app.access else "–" for c in columns),
            _code(app.installer) if app.installer else "–",
            "unknown" if app.system is None else ("yes" if app.system else "no"),
        ]
        for app in apps
    ]
    lines += [*_table(header, rows), ""]
    if len(report.apps) > len(apps):
        quiet = plural(len(report.apps) - len(apps), "other installed app")
        lines += [f"{quiet} recorded no access.", ""]
    return lines


def _coverage(report: Report) -> list[str]:
    parsed = sum(1 for entry in report.coverage if entry.status is CoverageStatus.PARSED)
    problems = coverage_problems(report.coverage)
    lines = [
        "## What this report could not read",
        "",
        f"{plural(parsed, 'section')} of the input read, {len(problems)} missing or unreadable.",
        "",
    ]
    for entry in problems:
        label = "missing" if entry.status is CoverageStatus.MISSING else "could not be understood"
        line = f"- **{label}**: {_code(entry.section)}"
        if entry.detail:
            line += f" — {_text(entry.detail)}"
        if entry.provenance is not None:
            line += f" ({_code(str(entry.provenance))})"
        lines.append(line)
    return [*lines, ""] if problems else lines


def render_markdown(report: Report) -> str:
    """The report as a GitHub-flavoured markdown document."""
    checks = ordered_checks(report.checks)
    lines = [
        f"# Security report: {_text(device_text(report.device))}",
        "",
        *_rating(report),
        *_to_fix(checks),
        *_checks(checks),
        *_apps(report),
        *_coverage(report),
        "---",
        "",
        f"How the score is computed: {_text(report.rating.formula)}.",
        "",
        f"HandsetGuard {report.tool_version} · report schema {_code(SCHEMA_VERSION)}",
    ]
    return "\n".join(lines) + "\n"
