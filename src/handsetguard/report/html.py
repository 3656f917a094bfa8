"""The HTML report: one self-contained page (inline CSS, no external resources) for non-experts."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined

from handsetguard.checks.model import CheckResult, Status
from handsetguard.evidence import CoverageStatus
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.report.model import SCHEMA_VERSION, Report
from handsetguard.report.present import (
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
    version_text,
)

__all__ = ["render_html"]

# Plain-language labels for people who do not know what "not_assessed" means.
_STATUS_LABEL = {
    Status.FAIL: "Fix this",
    Status.WARN: "Worth a look",
    Status.NOT_ASSESSED: "Could not check",
    Status.PASS: "OK",
}


@dataclass(frozen=True, slots=True)
class _Cell:
    """One app × category cell of the apps table; ``sort`` is what the sort script orders by."""

    access: CategoryAccess | None
    last: str
    sort: str


@dataclass(frozen=True, slots=True)
class _AppRow:
    app: AppPrivacy
    cells: tuple[_Cell, ...]
    system: str


@functools.cache
def _environment() -> Environment:
    env = Environment(
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
    return env


def _cell(access: CategoryAccess | None) -> _Cell:
    if access is None:
        return _Cell(None, "", "-1")
    last = format_time(access.last, minutes=True) if access.last is not None else ""
    return _Cell(access, last, str(access.count))


def _app_rows(report: Report) -> tuple[list[Category], list[_AppRow]]:
    columns = app_columns(report.apps)
    rows = [
        _AppRow(
            app,
            tuple(_cell(app.access.get(c)) for c in columns),
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


def render_html(report: Report) -> str:
    """The report as one HTML5 document with everything inline."""
    checks: list[CheckResult] = ordered_checks(report.checks)
    columns, rows = _app_rows(report)
    problems = coverage_problems(report.coverage)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            title=device_text(report.device),
            device_rows=_device_rows(report),
            level=level_text(report.rating.level),
            level_class=report.rating.level.value,
            checks=checks,
            to_fix=[c for c in checks if c.status in (Status.FAIL, Status.WARN)],
            status_label=_STATUS_LABEL,
            columns=columns,
            app_rows=rows,
            quiet_apps=len(report.apps) - len(rows),
            missing=[e for e in problems if e.status is CoverageStatus.MISSING],
            errors=[e for e in problems if e.status is CoverageStatus.ERROR],
            parsed=sum(1 for e in report.coverage if e.status is CoverageStatus.PARSED),
            schema=SCHEMA_VERSION,
        )
    )
