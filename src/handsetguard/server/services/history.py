"""A unit's timeline: its baseline, reports and check-ins in order, and between consecutive
reports the diff (``handsetguard.diff`` on the two stored documents; when the retention policy
dropped one, the summary columns: check outcomes, level, score, patch levels)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.models import CheckIn, PostureReport
from handsetguard.server.services.reports import TIER, document_of

__all__ = ["MAX_ENTRIES", "report_entry", "summary_diff", "timeline"]

MAX_ENTRIES = 100


def report_entry(report: PostureReport) -> dict[str, Any]:
    return {
        "type": "baseline" if report.baseline else "report",
        "id": report.id,
        "at": report.received_at.isoformat(),
        "tier": TIER,
        "acquired_at": report.acquired_at.isoformat() if report.acquired_at else None,
        "provenance": {
            "credential_id": report.credential_id,
            "sender_role": report.sender_role,
            "input_kind": report.input_kind,
        },
        "profile": report.profile,
        "level": report.level,
        "score": report.score,
        "gate_verdict": report.gate_verdict,
        "os_patch": report.os_patch,
        "vendor_patch": report.vendor_patch,
        "threat_count": report.threat_count,
        "document_kept": report.document is not None,
        "doc_bytes": report.doc_bytes,
    }


def _checkin_entry(checkin: CheckIn) -> dict[str, Any]:
    return {
        "type": "checkin",
        "id": checkin.id,
        "at": checkin.received_at.isoformat(),
        "tier": "attested" if checkin.verified else "unverified",
        "verified": checkin.verified,
        "failure": checkin.failure,
        "attested": checkin.attested,
        "os_reported": checkin.os_reported,
    }


def summary_diff(old: PostureReport, new: PostureReport) -> dict[str, Any]:
    """What the summary columns say changed (used when a document is gone)."""
    changes = [
        {
            "facet": "checks",
            "key": check,
            "old": old.checks.get(check),
            "new": new.checks.get(check),
        }
        for check in sorted(set(old.checks) | set(new.checks))
        if old.checks.get(check) != new.checks.get(check)
    ]
    for name in ("level", "score", "os_patch", "vendor_patch", "threat_count"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append({"facet": "summary", "key": name, "old": before, "new": after})
    return {"source": "summary", "changes": changes}


def _diff(old: PostureReport, new: PostureReport) -> dict[str, Any]:
    old_doc, new_doc = document_of(old), document_of(new)
    if old_doc is None or new_doc is None:
        return summary_diff(old, new)
    from handsetguard.diff import DiffError, diff_documents

    try:
        result = diff_documents(old_doc, new_doc)
    except DiffError as exc:
        return {"source": "diff", "error": exc.message}
    changes = [change.to_json() for change in result.changes]
    facets = [
        {"name": f.name, "comparable": f.comparable, "reason": f.reason} for f in result.facets
    ]
    return {"source": "diff", "changes": changes, "facets": facets}


def timeline(session: Session, device_id: str, *, limit: int = MAX_ENTRIES) -> list[dict[str, Any]]:
    """Newest last: the baseline, then reports and check-ins; each report after the first
    carries ``diff`` against the report before it. The caller checked the unit is visible."""
    reports = list(
        session.execute(
            select(PostureReport)
            .where(PostureReport.device_id == device_id)
            .order_by(PostureReport.received_at.desc(), PostureReport.id.desc())
            .limit(limit)
        ).scalars()
    )
    reports.sort(key=lambda r: (r.received_at, not r.baseline))
    checkins = session.execute(
        select(CheckIn)
        .where(CheckIn.device_id == device_id)
        .order_by(CheckIn.received_at.desc())
        .limit(limit)
    ).scalars()
    entries: list[dict[str, Any]] = []
    previous: PostureReport | None = None
    for report in reports:
        entry = report_entry(report)
        if previous is not None:
            entry["diff"] = {"against": previous.id, **_diff(previous, report)}
        entries.append(entry)
        previous = report
    entries += [_checkin_entry(c) for c in checkins]
    entries.sort(key=lambda e: (e["at"], e["type"] != "baseline"))
    return entries[-limit:]
