"""What in a new report is a regression against the unit's baseline: a check that passed and
now fails, a patch level that went backwards, a threat finding the baseline did not have, and —
from the offline diff of the two documents (``handsetguard.diff``) when both are kept — a new
accessibility service, notification listener, device admin or device owner, or an app whose
signer changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handsetguard.server.models import PostureReport

if TYPE_CHECKING:
    from handsetguard.server.services.reports import Summary

__all__ = ["COMPONENT_KINDS", "Finding", "regressions"]

COMPONENT_KINDS = frozenset(
    {
        "accessibility_enabled",
        "listener_enabled",
        "admin_added",
        "device_owner_changed",
        "signer_changed",
        "adb_key_added",
    }
)
"""The diff's change kinds that are regressions whatever the checks say."""


@dataclass(frozen=True, slots=True)
class Finding:
    reason: str
    """Short code, one alert per reason while open: ``check_now_fails:usb_debugging``."""
    detail: dict[str, Any]


def _code(prefix: str, key: str) -> str:
    return f"{prefix}:{key}"[:64]


def _checks(baseline: PostureReport, summary: Summary) -> list[Finding]:
    return [
        Finding(_code("check_now_fails", check), {"check": check, "baseline": "pass", "now": now})
        for check, now in sorted(summary.checks.items())
        if now == "fail" and baseline.checks.get(check) == "pass"
    ]


def _patches(baseline: PostureReport, summary: Summary) -> list[Finding]:
    found = []
    for which, old, new in (
        ("os", baseline.os_patch, summary.os_patch),
        ("vendor", baseline.vendor_patch, summary.vendor_patch),
    ):
        if old and new and new[:10] < old[:10]:
            found.append(
                Finding(f"patch_backwards:{which}", {"patch": which, "baseline": old, "now": new})
            )
    return found


def _components(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    from handsetguard.diff import DiffError, diff_documents

    try:
        result = diff_documents(old, new, force=True)
    except DiffError:
        return []
    return [
        Finding(
            _code(change.kind.value, str(change.key)),
            {
                "facet": change.facet,
                "key": change.key,
                "change": change.kind.label,
                "detail": change.detail,
            },
        )
        for change in result.changes
        if change.kind.value in COMPONENT_KINDS
    ]


def regressions(
    baseline: PostureReport,
    baseline_doc: dict[str, Any] | None,
    summary: Summary,
    document: dict[str, Any],
) -> list[Finding]:
    """Every regression of ``summary`` (and its ``document``) against ``baseline``."""
    known_threats = set()
    if baseline_doc is not None:
        known_threats = {str(t.get("package")) for t in baseline_doc.get("threats") or []}
    threats = [
        Finding(_code("threat", package), {"package": package})
        for package in sorted(set(summary.threats) - known_threats)
    ]
    found = _checks(baseline, summary) + _patches(baseline, summary) + threats
    if baseline_doc is not None:
        found += _components(baseline_doc, document)
    return found
