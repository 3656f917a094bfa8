"""Presentation helpers the terminal, HTML and Markdown renderers share: ordering, wording of
times, devices and accesses, app selection — so the three formats say the same thing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from handsetguard.checks.model import SEVERITY_ORDER, STATUS_ORDER, CheckResult, Severity, Status
from handsetguard.device import DeviceIdentity, TimeBasis
from handsetguard.evidence import CoverageEntry, CoverageStatus
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import Level
from handsetguard.report.model import Report
from handsetguard.textsafe import visible as _visible

__all__ = [
    "APP_SORTS",
    "HEADLINE_CATEGORIES",
    "STATUS_SYMBOL",
    "UNKNOWN",
    "access_notes",
    "access_parts",
    "access_text",
    "access_words",
    "acquired_text",
    "app_columns",
    "basis_text",
    "category_label",
    "coverage_problems",
    "device_text",
    "fix_order",
    "format_time",
    "last_used_text",
    "level_text",
    "ordered_checks",
    "patch_text",
    "plural",
    "select_apps",
    "severity_text",
    "status_label",
    "status_text",
    "version_text",
    "visible",
]

# The categories the report's summary shows; ``handsetguard apps`` can show any.
HEADLINE_CATEGORIES = (
    Category.CAMERA,
    Category.MICROPHONE,
    Category.LOCATION,
    Category.CONTACTS,
    Category.SMS,
)
APP_SORTS = ("last", "count", "package")

STATUS_SYMBOL = {Status.FAIL: "✗", Status.WARN: "!", Status.NOT_ASSESSED: "?", Status.PASS: "✓"}
_BASIS = {
    TimeBasis.ACQUISITION: "acquisition time recorded in the input",
    TimeBasis.NOW: "no acquisition time recorded: evaluated as of now",
    TimeBasis.OVERRIDE: "--as-of override",
}
_CATEGORY_LABEL = {Category.SMS: "SMS"}
UNKNOWN = "not in the input"


def visible(text: str) -> str:
    """Text from the phone with its control and bidi-override characters shown as ``\\x1b``,
    ``\\u202e`` (newlines and tabs kept): :func:`handsetguard.textsafe.visible`, the one
    sanitiser; a report shows what the input said, never lets it steer the display."""
    return _visible(text, multiline=True)


def ordered_checks(checks: Iterable[CheckResult]) -> list[CheckResult]:
    """Failed first, then warn, not assessed, pass; report order kept within a status."""
    return sorted(checks, key=lambda result: STATUS_ORDER[result.status])


# Status labels for an owner who does not know what "not_assessed" means.
_STATUS_LABEL = {
    Status.FAIL: "Problem",
    Status.WARN: "Worth a look",
    Status.NOT_ASSESSED: "Could not check",
    Status.PASS: "OK",
}
_SEVERITY_TEXT = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "high",
    Severity.MEDIUM: "medium",
    Severity.LOW: "low",
    Severity.INFO: "for information only",
}


def status_label(status: Status) -> str:
    """``Problem``, ``Worth a look``, ``Could not check``, ``OK``: a label for people."""
    return _STATUS_LABEL[status]


def severity_text(severity: Severity) -> str:
    """How serious a check is, in words: ``critical`` … ``for information only``."""
    return _SEVERITY_TEXT[severity]


def fix_order(checks: Iterable[CheckResult]) -> list[CheckResult]:
    """What to fix first: the failed then the warned checks, most serious first within each."""
    problems = [c for c in checks if c.status in (Status.FAIL, Status.WARN)]
    return sorted(problems, key=lambda c: (STATUS_ORDER[c.status], SEVERITY_ORDER[c.severity]))


def status_text(status: Status) -> str:
    return status.value.replace("_", " ")


def level_text(level: Level) -> str:
    return level.value.replace("_", " ").upper()


def format_time(value: datetime | None, *, minutes: bool = False) -> str:
    """``2025-11-23 10:44:46 +05:30``; with ``minutes``, the wall clock (``2025-11-23 10:44``)."""
    if value is None:
        return "unknown"
    if minutes:
        return value.strftime("%Y-%m-%d %H:%M")
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    offset = value.utcoffset()
    if offset is None:
        return text
    total = int(offset.total_seconds()) // 60
    if total == 0:
        return f"{text} UTC"
    hours, mins = divmod(abs(total), 60)
    return f"{text} {'+' if total > 0 else '-'}{hours:02d}:{mins:02d}"


def category_label(category: Category) -> str:
    """``Camera``, ``SMS``, ``Call log``: a column heading for people."""
    return _CATEGORY_LABEL.get(category, category.value.replace("_", " ").capitalize())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def basis_text(basis: TimeBasis) -> str:
    return _BASIS[basis]


def acquired_text(report: Report) -> str:
    if report.acquired_at is None and report.clock_unset:
        # A time was recorded, but by a clock that was never set (1970, 1980-01-06, …).
        return f"recorded {report.clock_unset}, clock not set"
    if report.acquired_at is None:
        return "not recorded in the input"
    origin = f" (from {report.acquired_at_origin})" if report.acquired_at_origin else ""
    return format_time(report.acquired_at) + origin


def device_text(device: DeviceIdentity) -> str:
    name = " ".join(part for part in (device.manufacturer, device.model) if part)
    if device.device:
        name = f"{name} ({device.device})" if name else device.device
    return name or UNKNOWN


def version_text(device: DeviceIdentity) -> str:
    version = f"Android {device.android_version}" if device.android_version else "Android ?"
    if device.sdk is not None:
        return f"{version} (API {device.sdk})"
    return version if device.android_version else UNKNOWN


def patch_text(device: DeviceIdentity) -> str:
    text = device.security_patch or UNKNOWN
    vendor = device.vendor_security_patch
    if vendor and vendor != device.security_patch:
        text += f" (vendor {vendor})"
    return text


def access_notes(access: CategoryAccess) -> list[str]:
    """The parenthesised notes of an access cell: ``1 bg``, ``2 rej`` (only when non-zero)."""
    notes = []
    if access.background:
        notes.append(f"{access.background} bg")
    if access.rejected:
        notes.append(f"{access.rejected} rej")
    return notes


def access_text(access: CategoryAccess) -> str:
    """``3 (1 bg, 2 rej) · 2025-11-23 10:40``: recorded accesses, background, rejected, last."""
    text = str(access.count)
    notes = access_notes(access)
    if notes:
        text += f" ({', '.join(notes)})"
    if access.last is not None:
        text += f" · {format_time(access.last, minutes=True)}"
    return text


def _times(count: int) -> str:
    if count == 0:  # only refused attempts were recorded
        return "no use"
    return "once" if count == 1 else f"{count} times"


def access_parts(access: CategoryAccess) -> list[tuple[str, str]]:
    """``[("count", "3 times"), ("background", "1 in the background"), ("refused", "2 refused")]``
    (background and refused only when non-zero): the pieces of :func:`access_words`."""
    parts = [("count", _times(access.count))]
    if access.background:
        parts.append(("background", f"{access.background} in the background"))
    if access.rejected:
        parts.append(("refused", f"{access.rejected} refused"))
    return parts


def access_words(access: CategoryAccess) -> str:
    """``3 times, 1 in the background, 2 refused``: :func:`access_text` for people."""
    return ", ".join(text for _, text in access_parts(access))


def last_used_text(access: CategoryAccess) -> str:
    """``last used 2025-11-23 10:40`` (the phone's clock), or ``""`` when not recorded."""
    if access.last is None:
        return ""
    return f"last used {format_time(access.last, minutes=True)}"


def app_columns(apps: Iterable[AppPrivacy]) -> list[Category]:
    """The headline categories, then any other category some app used, in enum order."""
    used = {category for app in apps for category in app.access}
    return [
        *HEADLINE_CATEGORIES,
        *(c for c in Category if c in used and c not in HEADLINE_CATEGORIES),
    ]


def coverage_problems(coverage: Iterable[CoverageEntry]) -> list[CoverageEntry]:
    """The sections that were missing or failed to parse, missing first."""
    return sorted(
        (entry for entry in coverage if entry.status is not CoverageStatus.PARSED),
        key=lambda entry: entry.status is CoverageStatus.ERROR,
    )


def _last(app: AppPrivacy, categories: Sequence[Category]) -> datetime | None:
    times = [app.access[c].last for c in categories if c in app.access]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _count(app: AppPrivacy, categories: Sequence[Category]) -> int:
    return sum(app.access[c].count for c in categories if c in app.access)


def _timestamp(value: datetime | None) -> float:
    return float("-inf") if value is None else value.timestamp()


def select_apps(
    apps: Iterable[AppPrivacy],
    categories: Sequence[Category],
    *,
    sort: str = "last",
    only_with_access: bool = True,
) -> list[AppPrivacy]:
    """Apps ordered by most recent access (``last``), most accesses (``count``) or ``package``;
    apps without any access in ``categories`` are left out when ``only_with_access``."""
    if sort not in APP_SORTS:
        raise ValueError(f"unknown app sort {sort!r}: expected one of {', '.join(APP_SORTS)}")
    chosen = [
        app for app in apps if not only_with_access or any(c in app.access for c in categories)
    ]
    chosen.sort(key=lambda app: app.package)
    # Stable sorts: equal counts or times keep the package order.
    if sort == "count":
        chosen.sort(key=lambda app: _count(app, categories), reverse=True)
    elif sort == "last":
        chosen.sort(key=lambda app: _timestamp(_last(app, categories)), reverse=True)
    return chosen
