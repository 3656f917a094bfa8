"""The HTML report: one self-contained page (inline CSS, no external resources) for non-experts.
It leads with the gate's verdict (for a gate profile) or the level, says how much was assessed,
and names every check by its outcome."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from handsetguard.checks.model import CheckResult
from handsetguard.evidence import CoverageStatus
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import Level
from handsetguard.records import record
from handsetguard.report.headline import (
    coverage_sentence,
    gate_items,
    headline,
    score_text,
    unassessed,
    verdict_sentence,
)
from handsetguard.report.model import SCHEMA_VERSION, Report
from handsetguard.report.present import (
    UNKNOWN,
    access_parts,
    acquired_text,
    app_columns,
    basis_text,
    category_label,
    coverage_problems,
    device_text,
    fix_order,
    format_time,
    level_text,
    ordered_checks,
    patch_text,
    plural,
    select_apps,
    severity_text,
    status_label,
    version_text,
    visible,
)
from handsetguard.report.safe import safe_report
from handsetguard.report.threats_view import (
    ThreatLine,
    threat_label,
    threat_lines,
    threats_heading,
    threats_intro,
)
from handsetguard.threats.model import Threat

__all__ = ["render_html"]


# The sections that were not read, by what happened to them.
_UNREAD = (
    (CoverageStatus.MISSING, "Missing from the input"),
    (CoverageStatus.TRUNCATED, "Cut short"),
    (CoverageStatus.SKIPPED, "Not read"),
    (CoverageStatus.ERROR, "Could not be understood"),
)


@record
class _Cell:
    """One app × category cell of the apps table; ``sort`` is what the sort script orders by."""

    label: str
    access: CategoryAccess | None
    parts: tuple[tuple[str, str], ...]  # (kind, words): "count", "background", "refused"
    last: tuple[str, ...]  # last use on the phone's clock: (date, time); () when not recorded
    sort: str


@record
class _AppRow:
    app: AppPrivacy
    cells: tuple[_Cell, ...]
    system: str


@record
class _ThreatView:
    threat: Threat
    label: str
    lines: tuple[ThreatLine, ...]


def _threat_views(report: Report) -> list[_ThreatView]:
    return [
        _ThreatView(t, threat_label(t, report.safe_output), tuple(threat_lines(t)))
        for t in report.threats
    ]


def _finalize(value: object) -> object:
    """Every ``{{ … }}`` of the template: data with controls and bidi overrides made visible
    (autoescape then makes it inert); markup the template built itself passes as it is."""
    if isinstance(value, Markup | int | float) or value is None:
        return value
    # Anything else is printed as its text: a str, or a Provenance ("file:line").
    return visible(str(value))


@functools.cache
def _environment() -> Environment:
    env = Environment(
        finalize=_finalize,
        loader=PackageLoader("handsetguard", "report/templates"),
        autoescape=True,  # the template is .html.j2, which select_autoescape would not match
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["time"] = format_time
    env.filters["label"] = category_label
    env.filters["plural"] = plural
    env.filters["status_label"] = status_label
    env.filters["severity"] = severity_text
    return env


def _cell(category: Category, access: CategoryAccess | None) -> _Cell:
    label = category_label(category)
    if access is None:
        return _Cell(label, None, (), (), "-1")
    parts = tuple(access_parts(access))
    # Date and time each kept whole: a narrow column breaks between them, not at a hyphen.
    last = tuple(format_time(access.last, minutes=True).split()) if access.last else ()
    return _Cell(label, access, parts, last, str(access.count))


def _app_rows(report: Report) -> tuple[list[Category], list[_AppRow]]:
    columns = app_columns(report.apps)
    rows = [
        _AppRow(
            app,
            tuple(_cell(c, app.access.get(c)) for c in columns),
            "unknown" if app.system is None else ("yes" if app.system else "no"),
        )
        for app in select_apps(report.apps, columns, sort="last")
    ]
    return columns, rows


def _device_rows(report: Report) -> list[tuple[str, str]]:
    device = report.device
    return [
        ("Phone", device_text(device)),
        ("Android", version_text(device)),
        ("Security patch", patch_text(device)),
        ("Build", device.build_fingerprint or "not in the input"),
        ("Source", f"{report.source_kind.value} · {report.source_path}"),
        ("Acquired", acquired_text(report)),
        (
            "Evaluated as of",
            f"{format_time(report.evaluated_as_of)} ({basis_text(report.time_basis)})",
        ),
        ("Timezone", report.timezone or "not in the input"),
    ]


def _phone(report: Report) -> str:
    name = device_text(report.device)
    return "a phone the input does not name" if name == UNKNOWN else name


def render_html(report: Report) -> str:
    """The report as one HTML5 document with everything inline."""
    report = safe_report(report)
    checks: list[CheckResult] = ordered_checks(report.checks)
    columns, rows = _app_rows(report)
    problems = coverage_problems(report.coverage)
    head = headline(report)
    rating = report.rating
    # The unchecked list is the point of an incomplete (or partly forced) level: shown open.
    open_missing = rating.level in (Level.INCOMPLETE, Level.NOT_RATED) or rating.forced
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            head=head,
            title=_phone(report),
            device_rows=_device_rows(report),
            level=level_text(rating.level),
            level_class=rating.level.value,
            score=score_text(rating),
            coverage=coverage_sentence(rating.coverage),
            verdict=verdict_sentence(report),
            gate_items=gate_items(report),
            missing_checks=unassessed(report),
            open_missing=open_missing,
            checks=checks,
            checks_by_id={c.id: c for c in checks},
            to_fix=fix_order(checks),
            columns=columns,
            app_rows=rows,
            quiet_apps=len(report.apps) - len(rows),
            unread=[
                (heading, [e for e in problems if e.status is status])
                for status, heading in _UNREAD
                if any(e.status is status for e in problems)
            ],
            parsed=sum(1 for e in report.coverage if e.status is CoverageStatus.PARSED),
            schema=SCHEMA_VERSION,
            threats_heading=threats_heading(report),
            threats_intro=threats_intro(report),
            threat_views=_threat_views(report),
            threat_capped=any(c.startswith("threat:") for c in rating.capped_by),
        )
    )
