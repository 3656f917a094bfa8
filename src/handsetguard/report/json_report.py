"""The JSON report: a versioned, documented structure (JSON Schema in report.schema.json)."""

from __future__ import annotations

import json
from datetime import datetime

from handsetguard.checks.model import CheckResult, EvidenceItem
from handsetguard.device import Unavailable
from handsetguard.evidence import CoverageStatus
from handsetguard.gate import GateVerdict
from handsetguard.inventory import AdbKeyEntry, InstalledPackage, Inventory
from handsetguard.privacy import AppPrivacy
from handsetguard.profiles.rating import Coverage
from handsetguard.report.model import SCHEMA_VERSION, Report
from handsetguard.textsafe import json_text
from handsetguard.threats.model import Threat

__all__ = ["app_to_dict", "render_json", "to_dict"]

JsonValue = object

_DEVICE_FIELDS = (
    "manufacturer",
    "brand",
    "model",
    "device",
    "android_version",
    "sdk",
    "security_patch",
    "vendor_security_patch",
    "build_fingerprint",
    "build_type",
    "build_tags",
    "serial",
)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _check(result: CheckResult) -> dict[str, JsonValue]:
    return {
        "id": result.id,
        "status": result.status.value,
        "severity": result.severity.value,
        "title": result.title,
        "name": result.name,
        "detail": result.detail,
        "evidence": _evidence(result.evidence),
        "remediation": result.remediation,
        "references": list(result.references),
    }


def _evidence(items: tuple[EvidenceItem, ...]) -> list[JsonValue]:
    return [
        {"fact": item.fact, "location": None if item.location is None else str(item.location)}
        for item in items
    ]


def threat_to_dict(threat: Threat, advice: tuple[str, ...] = ()) -> dict[str, JsonValue]:
    return {
        "package": threat.package,
        "kind": threat.kind.value,
        "confidence": threat.confidence.value,
        "score": threat.score,
        "summary": threat.summary,
        "reasons": [
            {"code": r.code, "text": r.text, "weight": r.weight, "evidence": _evidence(r.evidence)}
            for r in threat.reasons
        ],
        "matches": [
            {
                "type": m.type,
                "value": m.value,
                "set": m.set,
                "indicator_id": m.indicator_id,
                "name": m.name,
                "licence": m.licence,
                "evidence": _evidence(m.evidence),
            }
            for m in threat.matches
        ],
        "advice": list(advice),
    }


def app_to_dict(app: AppPrivacy) -> dict[str, JsonValue]:
    return {
        "package": app.package,
        "installer": app.installer,
        "system": app.system,
        "granted_permissions": list(app.granted_dangerous),
        "access": {
            category.value: {
                "count": access.count,
                "last": _time(access.last),
                "foreground": access.foreground,
                "background": access.background,
                "rejected": access.rejected,
            }
            for category, access in app.access.items()
        },
    }


def to_dict(report: Report) -> dict[str, JsonValue]:
    """The report as plain JSON-ready data, keys in schema order."""
    sections = [
        {
            "name": entry.section,
            "status": entry.status.value,
            "location": None if entry.provenance is None else str(entry.provenance),
            "detail": entry.detail,
        }
        for entry in report.coverage
        if entry.status is not CoverageStatus.ERROR
    ]
    errors = [
        {
            "section": entry.section,
            "detail": entry.detail,
            "location": None if entry.provenance is None else str(entry.provenance),
        }
        for entry in report.coverage
        if entry.status is CoverageStatus.ERROR
    ]
    return {
        "schema": SCHEMA_VERSION,
        "tool": {"name": "handsetguard", "version": report.tool_version},
        "source": {"kind": report.source_kind.value, "path": report.source_path},
        "acquired_at": _time(report.acquired_at),
        "acquired_at_origin": report.acquired_at_origin,
        "evaluated_as_of": _time(report.evaluated_as_of),
        "time_basis": report.time_basis.value,
        "device": {name: getattr(report.device, name) for name in _DEVICE_FIELDS}
        | {"timezone": report.timezone},
        "profile": report.profile,
        "rating": {
            "level": report.rating.level.value,
            "score": report.rating.score,
            "capped_by": list(report.rating.capped_by),
            "assessed_checks": report.rating.assessed,
            "formula": report.rating.formula,
            "forced": report.rating.forced,
            "coverage": _coverage(report.rating.coverage),
        },
        "checks": [_check(result) for result in report.checks],
        "apps": [app_to_dict(app) for app in report.apps],
        "apps_unavailable": report.apps_unavailable,
        "coverage": {"sections": sections, "errors": errors},
        "gate": _gate(report.gate),
        "collection_errors": list(report.collection_errors),
        "acquired_clock_unset": report.clock_unset,
        "threats": [threat_to_dict(t, report.advice) for t in report.threats],
        "safe_output": report.safe_output,
        "inventory": _inventory(report.inventory),
    }


def _facet(value: tuple[object, ...] | Unavailable) -> JsonValue:
    if isinstance(value, Unavailable):
        return {"reason": value.reason, "items": None}
    return {"reason": None, "items": [_item(entry) for entry in value]}


def _item(entry: object) -> JsonValue:
    if isinstance(entry, InstalledPackage):
        return {
            "package": entry.name,
            "version_code": entry.version_code,
            "version_name": entry.version_name,
            "installer": entry.installer,
            "system": entry.system,
            "signers": list(entry.signers),
            "signer_kind": entry.signer_kind,
            "granted_permissions": list(entry.granted_permissions),
            "signer_source": entry.signer_source,
            "signer_verified": entry.signer_verified,
        }
    if isinstance(entry, AdbKeyEntry):
        return {"fingerprint": entry.fingerprint, "comment": entry.comment}
    if isinstance(entry, tuple):
        return {"key": entry[0], "value": entry[1]}
    return entry


def _inventory(inventory: Inventory | None) -> dict[str, JsonValue] | None:
    if inventory is None:
        return None
    return {
        "packages": _facet(inventory.packages),
        "accessibility_services": _facet(inventory.accessibility_services),
        "notification_listeners": _facet(inventory.notification_listeners),
        "device_admins": _facet(inventory.device_admins),
        "owners": _facet(inventory.owners),
        "adb_keys": _facet(inventory.adb_keys),
        "settings": _facet(inventory.settings),
    }


def _gate(gate: GateVerdict | None) -> dict[str, JsonValue] | None:
    if gate is None:
        return None
    return {
        "verdict": gate.verdict.value,
        "failing": list(gate.failing),
        "reasons": list(gate.reasons),
        "threshold": gate.threshold,
    }


def _coverage(coverage: Coverage | None) -> dict[str, JsonValue] | None:
    if coverage is None:
        return None
    return {
        "assessed_checks": coverage.assessed,
        "total_checks": coverage.total,
        "assessed_weight": coverage.assessed_weight,
        "total_weight": coverage.total_weight,
        "percent": coverage.percent,
        "unassessed_critical": list(coverage.unassessed_critical),
        "floor_met": coverage.floor_met,
        "floor": coverage.floor,
    }


def render_json(report: Report) -> str:
    """The report as JSON: one top-level member per line, each value on its line (the C encoder:
    indenting every level goes through json's pure-Python encoder, 5x slower on a 200 KB
    report). The values as read; DEL, C1 and bidi/invisible characters as \\uXXXX escapes."""
    members = (
        f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"
        for key, value in to_dict(report).items()
    )
    return json_text("{\n" + ",\n".join(members) + "\n}") + "\n"
