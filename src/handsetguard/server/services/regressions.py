"""What in a new report is a regression against the unit's baseline: a check that passed and
now fails, a patch level that went backwards, a threat finding the baseline did not have, and —
from the offline diff of the two documents (``handsetguard.diff``) when both are kept — a new
accessibility service, notification listener, device admin or device owner, or an app whose
signer changed.

The diff is needed only when the report's components differ from the baseline's: each
report stores :func:`components_digest` (what those regressions depend on), so an unchanged
phone is compared on columns alone, without reading the baseline's document.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from handsetguard.server.services.reports import Summary

__all__ = [
    "COMPONENT_KINDS",
    "COMPONENT_SECTIONS",
    "Baseline",
    "Finding",
    "component_projection",
    "components_digest",
    "needs_document",
    "regressions",
]

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
COMPONENT_SECTIONS = (
    "accessibility_services",
    "notification_listeners",
    "device_admins",
    "owners",
    "adb_keys",
)
"""The inventory sections those changes come from (with each package's signers)."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline report's summary columns a new report is compared with."""

    report_id: str
    checks: dict[str, str]
    os_patch: str | None
    vendor_patch: str | None
    components_sha256: str | None
    threats: tuple[str, ...] | None
    """None for a baseline stored before the column existed: read from its document."""
    has_document: bool


def components_digest(document: dict[str, Any]) -> str:
    """SHA-256 over the inventory's component sections and each package's signers, as the
    report gives them: two reports with the same digest have no component change."""
    return hashlib.sha256(_canonical(component_projection(document))).hexdigest()


def component_projection(document: dict[str, Any]) -> list[Any]:
    """What :func:`components_digest` hashes: the component sections, then each package's
    name, signer kind and signers."""
    inventory = document.get("inventory")
    inventory = inventory if isinstance(inventory, dict) else {}
    packages = inventory.get("packages")
    items = packages.get("items") if isinstance(packages, dict) else None
    signers = [
        [p.get("package"), p.get("signer_kind"), p.get("signers")]
        for p in (items if isinstance(items, list) else [])
        if isinstance(p, dict)
    ]
    return [[inventory.get(section) for section in COMPONENT_SECTIONS], signers]


_TOKENS = bytes(
    67 if b == 58 else 88 if b in b"[," else 81 if b == 34 else 68 if b in b"-0123456789" else 32
    for b in range(256)
)
"""``:`` to ``C``, ``[`` and ``,`` to ``X``, ``"`` to ``Q``, a number's first character to
``D``, the rest to spaces: every number in JSON text is then an ``XD`` (in an array) or a
``QCD`` (an object's value); a string holds one only with ``[``, ``,`` or ``":`` before a
digit (orjson then leaves it to ``json``: slower, the same bytes)."""
_AS_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
"""Dates and dataclasses, which orjson writes otherwise than ``default=str`` would, are left
to ``json`` (the projection of parsed JSON has none)."""


def _canonical(projection: Any) -> bytes:
    """``json.dumps(projection, separators=(",", ":"), sort_keys=True, default=str)``, the
    text every stored digest was taken over, encoded. orjson writes the same bytes in a
    fraction of the time for ASCII without DEL (``json`` escapes the rest, orjson writes it
    as is) and without numbers (some floats are written differently; a report's projection
    has none, :data:`_TOKENS` finds them); else, or whatever orjson refuses (a lone
    surrogate, an integer past 64 bits, another type), ``json`` writes it."""
    try:
        text = orjson.dumps(projection, option=_AS_JSON)
    except orjson.JSONEncodeError:
        pass
    else:
        if text.isascii() and b"\x7f" not in text:
            tokens = text.translate(_TOKENS)
            if b"XD" not in tokens and b"QCD" not in tokens:
                return text
    return json.dumps(projection, separators=(",", ":"), sort_keys=True, default=str).encode()


def needs_document(baseline: Baseline, summary: Summary, digest: str) -> bool:
    """Whether comparing with ``baseline`` needs its document (a component changed, or its
    threats were not kept in a column) — and it still has one."""
    if not baseline.has_document:
        return False
    return baseline.components_sha256 != digest or (
        bool(summary.threats) and baseline.threats is None
    )


@dataclass(frozen=True, slots=True)
class Finding:
    reason: str
    """Short code, one alert per reason while open: ``check_now_fails:usb_debugging``."""
    detail: dict[str, Any]


def _code(prefix: str, key: str) -> str:
    return f"{prefix}:{key}"[:64]


def _checks(baseline: Baseline, summary: Summary) -> list[Finding]:
    return [
        Finding(_code("check_now_fails", check), {"check": check, "baseline": "pass", "now": now})
        for check, now in sorted(summary.checks.items())
        if now == "fail" and baseline.checks.get(check) == "pass"
    ]


def _patches(baseline: Baseline, summary: Summary) -> list[Finding]:
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
    baseline: Baseline,
    baseline_doc: dict[str, Any] | None,
    summary: Summary,
    document: dict[str, Any],
    digest: str,
) -> list[Finding]:
    """Every regression of ``summary`` (its ``document``, whose :func:`components_digest` is
    ``digest``) against ``baseline``; ``baseline_doc`` when :func:`needs_document` said so."""
    known_threats: set[str] = set(baseline.threats or ())
    if baseline.threats is None and baseline_doc is not None:
        known_threats = {str(t.get("package")) for t in baseline_doc.get("threats") or []}
    threats = [
        Finding(_code("threat", package), {"package": package})
        for package in sorted(set(summary.threats) - known_threats)
    ]
    found = _checks(baseline, summary) + _patches(baseline, summary) + threats
    if baseline_doc is not None and baseline.components_sha256 != digest:
        found += _components(baseline_doc, document)
    return found
