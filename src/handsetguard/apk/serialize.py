"""The JSON form of ``handsetguard apk`` (schema ``handsetguard.apk/1``, published as
docs/apk-report.schema.json): fields are only added within a version. Values are kept as read
from the APK; the serialised text is made safe to print by :func:`textsafe.json_text`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from handsetguard.apk.algorithms import CertificateInfo
from handsetguard.apk.model import ApkReport
from handsetguard.textsafe import json_text

__all__ = ["SCHEMA_VERSION", "apk_to_dict", "render_json"]

SCHEMA_VERSION = "handsetguard.apk/1"

JsonValue = object


def _certificate(info: CertificateInfo) -> dict[str, JsonValue]:
    return dataclasses.asdict(info)


def apk_to_dict(report: ApkReport) -> dict[str, JsonValue]:
    """One APK's report as plain JSON values."""
    signature = report.signature
    manifest = report.manifest
    return {
        "path": report.path,
        "size": report.size,
        "sha256": report.sha256,
        "entries": report.entries,
        "package": manifest.package if manifest else None,
        "manifest": None if manifest is None else _manifest(report),
        "manifest_error": report.manifest_error,
        "manifest_notes": list(report.manifest_notes),
        "signature": {
            "verified": signature.verified,
            "schemes": list(signature.schemes),
            "present": list(signature.present),
            "min_sdk": signature.min_sdk,
            "signers": [
                {
                    **_certificate(s.certificate),
                    "schemes": list(s.schemes),
                    "min_sdk": s.min_sdk,
                    "max_sdk": s.max_sdk,
                }
                for s in signature.signers
            ],
            "lineage": [_certificate(c) for c in signature.lineage],
            "api_ranges": [dataclasses.asdict(r) for r in signature.api_ranges],
            "errors": list(signature.errors),
            "warnings": list(signature.warnings),
            "signing_block": list(signature.blocks),
        },
        "tampering": [
            {"kind": t.kind.value, "entry": t.entry, "detail": t.detail, "fatal": t.fatal}
            for t in report.tampering
        ],
        "dex_files": list(report.dex_files),
        "native_abis": list(report.native_abis),
        "classes": report.classes,
        "trackers": None
        if report.trackers is None
        else [dataclasses.asdict(t) for t in report.trackers],
        "indicators": None
        if report.indicators is None
        else [dataclasses.asdict(h) for h in report.indicators],
        "notes": list(report.notes),
    }


def _manifest(report: ApkReport) -> dict[str, JsonValue]:
    manifest = report.manifest
    assert manifest is not None
    fields = dataclasses.asdict(manifest)
    fields["permissions"] = [dataclasses.asdict(p) for p in manifest.permissions]
    fields["components"] = [
        {**dataclasses.asdict(c), "intent_actions": list(c.intent_actions)}
        for c in manifest.components
    ]
    for key in ("declared_permissions", "missing_exported"):
        fields[key] = list(fields[key])
    return fields


def render_json(reports: Sequence[ApkReport], errors: Sequence[tuple[str, str]] = ()) -> str:
    """The document for every APK looked at, and the files that could not be read at all."""
    document = {
        "schema": SCHEMA_VERSION,
        "apks": [apk_to_dict(r) for r in reports],
        "unreadable": [{"path": path, "error": error} for path, error in errors],
    }
    return json_text(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
