"""Store one posture report (``POST /v1/reports``): authenticate, validate, identify the
caller's unit, compare with its baseline, then write everything in one transaction through
:class:`report_store.ReportStore` — two database round trips in the common case.

The checks are those of the issue, in this order: credential (401), role (403), partner
scope, JSON (400), schema (422), the unit (404: unknown or another partner's; 403:
revoked), its identity (409: serial or IMEI not the unit's). Any refusal stores nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from handsetguard.server.core.tokens import parse_token
from handsetguard.server.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
    UnavailableError,
)
from handsetguard.server.models import Alert
from handsetguard.server.schemas.common import forbidden_character
from handsetguard.server.services import alerts, clones, golden
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.alert_sql import OpenAlert
from handsetguard.server.services.common import new_id, visible
from handsetguard.server.services.credentials import actor_from_row
from handsetguard.server.services.regressions import (
    Baseline,
    Finding,
    components_digest,
    needs_document,
    regressions,
)
from handsetguard.server.services.report_store import (
    Read,
    ReportRow,
    ReportStore,
    UnitChange,
)
from handsetguard.server.services.reports import (
    SENDERS,
    MalformedReport,
    Summary,
    decode_body,
    load_json,
    summarise,
    validate_report,
)
from handsetguard.server.services.steps import Calls, drive, drive_async

if TYPE_CHECKING:
    from handsetguard.server.services.fleet_async import LoopReportStore

__all__ = ["ATTEMPTS", "GZIP_LEVEL", "Stored", "check_identity", "ingest", "ingest_async"]


ATTEMPTS = 4
"""Reads and writes tried when another report or check-in of the same unit got in between."""
GZIP_LEVEL = 1
"""zlib level 1: 6.6 KB for the bundled example's 24 KB (level 6: 5.6 KB) in a third of the
CPU time — the largest single cost of an ingestion at level 6."""


@dataclass(frozen=True, slots=True)
class Stored:
    report_id: str
    device_id: str
    received_at: datetime
    baseline: bool
    level: str
    score: int | None
    alerts: tuple[str, ...]
    """Ids of the alerts this report opened."""


def check_identity(unit: dict[str, Any], summary: Summary) -> None:
    if summary.serial is not None and summary.serial != unit["serial"]:
        raise ConflictError(
            "report_identity_mismatch",
            f"the report's serial {summary.serial} is not unit {unit['id']}'s",
            details={"field": "device.serial"},
        )
    known = {unit["imei1"], unit["imei2"]} - {None}
    stray = [i for i in summary.imei if i not in known]
    if stray:
        raise ConflictError(
            "report_identity_mismatch",
            f"the report's IMEI {stray[0]} is not one of unit {unit['id']}'s",
            details={"field": "device.imei"},
        )


def _serial_of(document: Any) -> str | None:
    """The body's device.serial if it has one, to find the unit in the first read; the
    body is validated (and a malformed one refused) once the caller is authenticated."""
    device = document.get("device") if isinstance(document, dict) else None
    serial = device.get("serial") if isinstance(device, dict) else None
    usable = isinstance(serial, str) and serial and forbidden_character(serial) is None
    return serial if usable else None


def _refuse_control_characters(summary: Summary) -> None:
    """The report's values that go into text columns and alert codes carry no character a
    database cannot store as text (NUL, other controls, lone surrogates): refused on both
    databases alike, naming the field."""
    fields = [
        ("device.serial", summary.serial),
        ("device.build_fingerprint", summary.fingerprint),
        ("device.security_patch", summary.os_patch),
        ("device.vendor_security_patch", summary.vendor_patch),
        ("profile", summary.profile),
        ("rating.level", summary.level),
        ("source.kind", summary.input_kind),
        ("gate.verdict", summary.gate_verdict),
        *(("device.imei", i) for i in summary.imei),
        *(("checks[].id", c) for c in summary.checks),
        *(("threats[].package", t) for t in summary.threats),
    ]
    # One search over all of them first: a report without such a character (every genuine
    # one) costs one regular-expression search, not one per field.
    if forbidden_character("".join(value for _, value in fields if value)) is None:
        return
    for field, value in fields:
        bad = forbidden_character(value) if value else None
        if bad is not None:
            raise InvalidInputError(
                "report_invalid",
                f"report field {field}: control character {bad} not allowed",
                details={"field": field},
            )


def _the_unit(
    actor: Actor, unit: dict[str, Any] | None, summary: Summary, device_id: str | None
) -> dict[str, Any]:
    if device_id is None and summary.serial is None:
        raise InvalidInputError(
            "unit_not_identified", "the report has no device.serial: pass ?device_id="
        )
    if unit is None:
        what = device_id if device_id is not None else f"with serial {summary.serial}"
        raise NotFoundError("device_not_found", f"no activated unit {what}")
    visible(actor, unit["partner_id"], "device", unit["id"])
    if unit["status"] != "active":
        raise RefusedError("device_revoked", f"unit {unit['id']} was revoked")
    check_identity(unit, summary)
    return unit


def _baseline(unit: dict[str, Any]) -> Baseline | None:
    if unit["baseline_report_id"] is None or unit["b_checks"] is None:
        return None
    threats = unit["b_threats"]
    return Baseline(
        report_id=unit["baseline_report_id"],
        checks=unit["b_checks"],
        os_patch=unit["b_os_patch"],
        vendor_patch=unit["b_vendor_patch"],
        components_sha256=unit["b_components"],
        threats=None if threats is None else tuple(str(t) for t in threats),
        has_document=unit["has_document"],
    )


def _regressions(
    unit: dict[str, Any], summary: Summary, document: dict[str, Any], digest: str
) -> Calls[list[Finding]]:
    baseline = _baseline(unit)
    if baseline is None:
        return []
    baseline_doc = None
    if needs_document(baseline, summary, digest):
        stored = yield "baseline_document", (baseline.report_id, unit["baseline_received_at"])
        baseline_doc = json.loads(gzip.decompress(stored)) if stored is not None else None
    return regressions(baseline, baseline_doc, summary, document, digest)


def _golden_deviations(
    unit: dict[str, Any], summary: Summary, regressed: list[Finding]
) -> list[Finding]:
    if unit["golden_units"] is None:
        return []
    model = golden.Golden(
        unit["golden_units"], tuple(unit["golden_checks"] or ()), unit["golden_patch_min"]
    )
    checks = {str(f.detail["check"]) for f in regressed if "check" in f.detail}
    return golden.deviations(model, summary, checks)


def _other_product(unit: dict[str, Any], fingerprint: str | None, report_id: str) -> list[Finding]:
    """clones.py's rule 2 for a report: another product (brand/product/device of the
    fingerprint) than the unit's baseline, else its first report with a fingerprint."""
    product = clones.product_of_fingerprint(fingerprint)
    reference = unit["first_fingerprint"]
    then = clones.product_of_fingerprint(reference)
    if product is None or then is None or then == product:
        return []
    detail = {"source": "report", "report_id": report_id, "first": reference, "now": fingerprint}
    return [Finding("other_product", detail)]


def _alert_rows(
    unit: dict[str, Any], found: list[tuple[str, Finding]], report_id: str, now: datetime
) -> list[OpenAlert]:
    """One row per (kind, finding), with the webhook body queued if the alert opens (built
    by alerts.alert_event from transient, never-stored model objects); a regression's
    detail names the report and the baseline."""
    if not found:  # the common case: no model object built (~90 µs of an ingestion)
        return []
    about = alerts.unit_of(unit)
    rows = []
    for kind, finding in found:
        detail = finding.detail
        if kind == alerts.REGRESSION:
            detail = {
                **detail,
                "report_id": report_id,
                "baseline_report_id": unit["baseline_report_id"],
            }
        elif kind == golden.KIND:
            detail = {**detail, "report_id": report_id, "model_code": unit["model_code"]}
        alert = Alert(
            id=new_id(),
            kind=kind,
            reason=finding.reason[:64],
            detail=detail,
            raised_at=now,
        )
        event = alerts.alert_event(alert, about)
        rows.append(
            OpenAlert(
                alert.id, unit["id"], unit["partner_id"], alert.kind, alert.reason, detail, event
            )
        )
    return rows


def _report_values(
    actor: Actor, summary: Summary, raw: bytes, digest: str, stored: bytes | None
) -> dict[str, Any]:
    """``stored``: the client's own gzip stream of ``raw`` (reports.decode_body), if kept."""
    return {
        "credential_id": actor.credential_id,
        "sender_role": actor.role.value,
        "input_kind": summary.input_kind,
        "acquired_at": summary.acquired_at,
        "profile": summary.profile,
        "level": summary.level,
        "score": summary.score,
        "gate_verdict": summary.gate_verdict,
        "checks": summary.checks,
        "os_patch": summary.os_patch[:10] if summary.os_patch else None,
        "vendor_patch": summary.vendor_patch[:10] if summary.vendor_patch else None,
        "fingerprint": (summary.fingerprint or "")[:200] or None,
        "threat_count": len(summary.threats),
        "threats": list(summary.threats),
        "doc_sha256": hashlib.sha256(raw).hexdigest(),
        "doc_bytes": len(raw),
        "document": stored if stored is not None else gzip.compress(raw, GZIP_LEVEL),
        "components_sha256": digest,
    }


def ingest(
    store: ReportStore,
    token: str,
    raw: bytes,
    now: datetime,
    *,
    device_id: str | None = None,
    admit: Callable[[Actor], None] | None = None,
    encoding: str | None = None,
) -> Stored:
    """Store one report for an activated unit of the caller's partner. The first report a
    factory credential sends with a gate verdict becomes the unit's baseline; every later
    report is compared with it (:mod:`regressions`). ``encoding``: the body's
    Content-Encoding (gzip or none)."""
    return drive(_ingest(token, raw, now, device_id, admit, encoding), store)


async def ingest_async(
    store: LoopReportStore,
    token: str,
    raw: bytes,
    now: datetime,
    *,
    device_id: str | None = None,
    admit: Callable[[Actor], None] | None = None,
    encoding: str | None = None,
) -> Stored:
    """:func:`ingest` on the event loop: the same steps, the store's calls awaited."""
    return await drive_async(_ingest(token, raw, now, device_id, admit, encoding), store)


def _ingest(
    token: str,
    raw: bytes,
    now: datetime,
    device_id: str | None,
    admit: Callable[[Actor], None] | None,
    encoding: str | None,
) -> Calls[Stored]:
    """Ingestion's steps (services/steps.py): :func:`ingest` and :func:`ingest_async`
    drive them."""
    parsed = parse_token(token)
    if parsed is None:
        raise AuthError("invalid_credential", "unknown credential")
    try:  # refused, if it must be, once the caller is known (the order of the docstring)
        raw, stored = decode_body(raw, encoding)
        loaded, malformed = load_json(raw), None
    except MalformedReport as exc:
        stored, loaded, malformed = None, None, exc
    serial = _serial_of(loaded) if device_id is None else None
    read: Read = yield "read", (parsed[0], device_id, serial)
    actor = actor_from_row(read.credential, token, now)
    if admit is not None:
        admit(actor)
    require(actor, *SENDERS)
    if actor.partner_id is None:
        raise ForbiddenError("credential_not_scoped", "the credential has no partner")
    if malformed is not None:
        raise malformed
    document = validate_report(loaded)
    summary = summarise(document)
    _refuse_control_characters(summary)
    digest = components_digest(document)
    unit = _the_unit(actor, read.unit, summary, device_id)
    columns = _report_values(actor, summary, raw, digest, stored)
    for _ in range(ATTEMPTS):
        is_baseline = (
            unit["baseline_report_id"] is None
            and actor.role is Role.FACTORY
            and summary.gate_verdict is not None
        )
        values = {**columns, "id": new_id(), "baseline": is_baseline}
        regressed = yield from _regressions(unit, summary, document, digest)
        found = [(alerts.REGRESSION, f) for f in regressed]
        found += [(golden.KIND, f) for f in _golden_deviations(unit, summary, regressed)]
        found += [
            (alerts.CLONE, f) for f in _other_product(unit, values["fingerprint"], values["id"])
        ]
        change = UnitChange(
            device_id=unit["id"],
            partner_id=unit["partner_id"],
            model_code=unit["model_code"],
            territory=unit["territory"],
            had_state=unit["has_state"],
            seen_baseline=unit["baseline_report_id"],
            level=summary.level,
            patch_month=summary.os_patch[:7] if summary.os_patch else None,
        )
        rows = _alert_rows(unit, found, values["id"], now)
        opened = yield "write", (ReportRow(values), change, rows, now)
        if opened is not None:
            return Stored(
                values["id"],
                unit["id"],
                now,
                is_baseline,
                summary.level,
                summary.score,
                tuple(opened),
            )
        # Another report or check-in of this unit got in first, or it was revoked: again.
        again: Read = yield "read", (parsed[0], unit["id"], None)
        unit = _the_unit(actor, again.unit, summary, unit["id"])
    raise UnavailableError("report_contended", "the unit's posture kept changing; retry")
