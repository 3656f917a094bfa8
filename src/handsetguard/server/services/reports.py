"""Posture reports into the service: parse and validate (JSON Schema of
``handsetguard.report/1``, size bounded by the caller) and summarise it in the columns every
report keeps; read a stored document back; audit a refused upload. Storing one is
:mod:`report_ingest`'s (the hot path, through :mod:`report_store`).

Tier: a report is evidence **collected by the host** (a bugreport, an AndroidQF collection or
a live phone read over adb by ``handsetguard check``), never attested.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

import orjson
from sqlalchemy.orm import Session

from handsetguard.server.errors import (
    InvalidInputError,
)
from handsetguard.server.models import PostureReport
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role
from handsetguard.zlibng import ZLIB_ERROR as _INFLATE_ERROR
from handsetguard.zlibng import zlib as _zlib

__all__ = [
    "MAX_REPORT_BYTES",
    "UnreadableBody",
    "decode_body",
    "SENDERS",
    "TIER",
    "MalformedReport",
    "Summary",
    "document_of",
    "load_json",
    "parse_report",
    "record_refusal",
    "summarise",
    "validate_report",
]

TIER = "host"
MAX_REPORT_BYTES = 1024 * 1024
"""An uploaded report's size limit (a report is ~20-80 KB; the other endpoints keep 64 KiB)."""
SENDERS = (Role.FACTORY, Role.SUPPORT)
REPORT_SCHEMA = "handsetguard.report/1"


class MalformedReport(InvalidInputError):
    """The body is not JSON at all: 400, like every other endpoint's malformed body."""

    status = 400


class UnreadableBody(MalformedReport):
    """A body in an encoding the service does not take (415), or one that inflates past
    the report limit (413)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status = status


def decode_body(body: bytes, encoding: str | None) -> tuple[bytes, bytes | None]:
    """The report's JSON bytes, and the body itself when it is already the gzip stream to
    store (``Content-Encoding: gzip``, as ``check --upload`` sends it: the service then
    inflates it once instead of compressing the report). One gzip member, nothing after
    it, at most :data:`MAX_REPORT_BYTES` inflated; a stream that compresses worse than
    half is stored recompressed. Raises :class:`MalformedReport` (or its 413/415)."""
    named = (encoding or "").strip().lower()
    if named in ("", "identity"):
        return body, None
    if named != "gzip":
        raise UnreadableBody(415, "unsupported_encoding", "Content-Encoding must be gzip or absent")
    # A gzip header and trailer, CRC checked; zlib-ng's inflate (the same bytes and errors as
    # zlib's): ~0.1 M instructions less per report.
    inflate = _zlib.decompressobj(wbits=31)
    try:
        raw = inflate.decompress(body, MAX_REPORT_BYTES + 1)
    except _INFLATE_ERROR as exc:
        raise MalformedReport("malformed_gzip", f"the gzip body is corrupt: {exc}") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise UnreadableBody(
            413, "body_too_large", f"the report inflates past {MAX_REPORT_BYTES} bytes"
        )
    if not inflate.eof or inflate.unused_data:
        why = "ends early" if not inflate.eof else "has data after its end"
        raise MalformedReport("malformed_gzip", f"the gzip body {why}")
    return raw, body if len(body) * 2 <= len(raw) else None


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("handsetguard.report").joinpath("report.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _fast_validator() -> Any:
    """jsonschema-rs: ~2 ms for a report where the pure-Python validator takes ~40 ms."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema())


@functools.cache
def _validator() -> Any:
    """The pure-Python validator, only to name the first error of an invalid report."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_schema(), format_checker=None)


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
"""Every digit to ``0``, every other byte to a space: a run of 19 digits is then a plain
substring search (at C speed; a regular expression took 0.5 ms on a report)."""


def load_json(raw: bytes) -> Any:
    """The body as JSON, or ``malformed_json`` (400).

    orjson first (half the time of the standard library's parser on a report), unless a
    run of 19 digits could be an integer past 64 bits (orjson makes it a float); what it
    refuses is given to the standard library's, which reads a little more (UTF-16 and -32,
    lone surrogates, NaN: the checks after this one refuse those with the field they are
    in), so that both read every document alike. Nesting too deep for it, or an integer of
    more digits than Python converts, is ``malformed_json`` too, not a crash."""
    if b"0" * 19 not in raw.translate(_DIGITS):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise MalformedReport("malformed_json", f"the report is not valid JSON: {why}") from None


def parse_report(raw: bytes) -> dict[str, Any]:
    """The report as a dict, or a one-line error naming the field that is wrong."""
    return validate_report(load_json(raw))


def validate_report(document: Any) -> dict[str, Any]:
    """``document`` (parsed JSON) if it is a valid report, or a one-line error naming the
    field that is wrong."""
    if not isinstance(document, dict):
        raise InvalidInputError("report_invalid", "the report must be a JSON object")
    if document.get("schema") != REPORT_SCHEMA:
        raise InvalidInputError(
            "report_schema_unsupported", f"schema must be {REPORT_SCHEMA!r} (check --format json)"
        )
    if _fast_validator().is_valid(document):
        return document
    error = next(iter(sorted(_validator().iter_errors(document), key=lambda e: e.path)), None)
    if error is not None:
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        raise InvalidInputError(
            "report_invalid",
            f"report field {_where(error.absolute_path)}: {message}",
            details={"field": _where(error.absolute_path)},
        )
    return document


@dataclass(frozen=True, slots=True)
class Summary:
    """The columns kept for every report (the document itself may be pruned)."""

    input_kind: str
    acquired_at: datetime | None
    profile: str
    level: str
    score: int | None
    gate_verdict: str | None
    checks: dict[str, str]
    os_patch: str | None
    vendor_patch: str | None
    fingerprint: str | None
    serial: str | None
    imei: tuple[str, ...]
    threats: tuple[str, ...]


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def summarise(document: dict[str, Any]) -> Summary:
    device = document.get("device") or {}
    rating = document.get("rating") or {}
    gate = document.get("gate")
    imei = device.get("imei")
    imeis = (
        tuple(str(i) for i in imei) if isinstance(imei, list) else ((str(imei),) if imei else ())
    )
    return Summary(
        input_kind=str((document.get("source") or {}).get("kind", "unknown"))[:32],
        acquired_at=_when(document.get("acquired_at")),
        profile=str(document.get("profile", ""))[:64],
        level=str(rating.get("level", "unknown"))[:16],
        score=rating.get("score") if isinstance(rating.get("score"), int) else None,
        gate_verdict=str(gate["verdict"]) if isinstance(gate, dict) else None,
        checks={str(c["id"]): str(c["status"]) for c in document.get("checks", [])},
        os_patch=(device.get("security_patch") or None),
        vendor_patch=(device.get("vendor_security_patch") or None),
        fingerprint=(device.get("build_fingerprint") or None),
        serial=device.get("serial") or None,
        imei=imeis,
        threats=tuple(str(t.get("package", "")) for t in document.get("threats") or []),
    )


def document_of(report: PostureReport) -> dict[str, Any] | None:
    """The stored document, or None once the retention policy dropped it."""
    if report.document is None:
        return None
    loaded: dict[str, Any] = json.loads(gzip.decompress(report.document))
    return loaded


def record_refusal(session: Session, actor: Actor, code: str, target: str, at: datetime) -> None:
    """An audit entry for a refused upload (unknown or another partner's unit, identity
    mismatch): written in its own transaction, since the upload's rolled back."""
    audit.append(
        session,
        actor,
        at=at,
        action="report.refuse",
        target=("device", target[:64]),
        partner_id=actor.partner_id,
        after={"code": code},
    )
