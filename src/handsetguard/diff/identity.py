"""Are two reports of one device? The identity fields that count, and the refusal.

Counted (a mismatch on any refuses the diff unless forced): the serial (``device.serial``,
ro.serialno), the IMEIs (``device.imei``, a string or a list, when a report carries them: two
lists match when they share one), and the hardware: brand, model and device name (each from
``device``, else from the build fingerprint's ``brand/product/device:`` head). The full build
fingerprint is *not* an identity: an OS update changes it (that is the "build changed" change).
A field unknown on either side is not compared; when no field is known on both, nothing
refutes the pairing and the diff goes ahead with every field marked unknown.
"""

from __future__ import annotations

from handsetguard.diff.document import Doc
from handsetguard.diff.model import DifferentDevices, IdentityCheck

__all__ = ["IDENTITY_FIELDS", "check_identity"]

IDENTITY_FIELDS = ("serial", "imei", "brand", "model", "device")


def _fingerprint_part(doc: Doc, index: int) -> str | None:
    fingerprint = doc.text("device", "build_fingerprint")
    if not fingerprint or ":" not in fingerprint:
        return None
    head = fingerprint.split(":", 1)[0].split("/")
    return head[index] if len(head) == 3 and head[index] else None


def _value(doc: Doc, field: str) -> str | None:
    if field == "imei":
        device = doc.mapping("device") or {}
        raw = device.get("imei")
        values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        found = sorted({v.strip() for v in values if isinstance(v, str) and v.strip()})
        return ",".join(found) or None
    value = doc.text("device", field)
    if value:
        return value.strip()
    if field == "brand":
        return _fingerprint_part(doc, 0)
    if field == "device":
        return _fingerprint_part(doc, 2)
    return None


def _matches(field: str, old: str, new: str) -> bool:
    if field == "imei":
        return bool(set(old.split(",")) & set(new.split(",")))
    if field in ("brand", "model", "device"):
        return old.casefold() == new.casefold()
    return old == new


def check_identity(old: Doc, new: Doc, *, force: bool) -> tuple[IdentityCheck, ...]:
    """Every identity field compared; raises :class:`DifferentDevices` on a mismatch unless
    ``force``."""
    checks = []
    for field in IDENTITY_FIELDS:
        a, b = _value(old, field), _value(new, field)
        match = None if a is None or b is None else _matches(field, a, b)
        checks.append(IdentityCheck(field, a, b, match))
    mismatches = tuple(check for check in checks if check.match is False)
    if mismatches and not force:
        first = mismatches[0]
        raise DifferentDevices(
            f"the two reports are of different devices: {first.field} {first.old!r} vs "
            f"{first.new!r}"
            + (f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""),
            mismatches,
        )
    return tuple(checks)
