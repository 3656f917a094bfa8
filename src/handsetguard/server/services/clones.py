"""``possible_clone`` alerts: an activated unit's identity coming from a second device.

What tells one device from another in the evidence the service receives (issue 14, item 5):

1. **The IMEIs**, as the secure hardware attests them (ID attestation is provisioned at the
   factory; the OS cannot change it). A check-in for unit B whose chain attests unit A's IMEI
   ties one device to two activated units: ``imei_of_another_unit`` is raised on **both**
   (beside B's ``identity_mismatch``). Reports carry no IMEI (the report schema has none; a
   report names its unit by serial or ``device_id``), so this rule reads check-ins only.
2. **The product the device is**: brand, product and device, from the build fingerprint
   (``brand/product/device:release/build-id/incremental:type/tags``) or from the attested
   brand, product and device IDs. An OS update changes the release, build id and incremental,
   never these three, so a fingerprint change alone is an update, not a clone. A report or a
   check-in naming another product than the unit's first evidence of the same kind (its
   baseline report, else its first report with a fingerprint; its first verified check-in,
   when that one attests them — a unit's app asks for ID attestation on every check-in or
   on none) is a second device: ``other_product``.
3. **The verified-boot key, over time.** One change of key is a re-flash (the
   ``attestation_boot_key_changed`` regression). A unit whose check-ins go *back* to an earlier
   key after another one (K1, K2, K1) has two keys in use at once — two devices answering for
   one unit: ``boot_key_alternating``. Check-ins answer a fresh single-use challenge, so their
   order is the order the devices answered in; reports are not used for this, since one may
   be uploaded long after it was acquired.

Not used: the leaf public key (a fresh key is attested for every challenge) and the
attestation key above it (a factory-provisioned one is shared by a batch of devices,
a remotely provisioned one rotates), so a different one for the same IMEI is normal.

Rule 2 for reports runs on the report hot path (``report_ingest``, which reads the reference
fingerprint with the unit); the check-in rules run here (:func:`checkin_findings`, on the
history that services/checkin_store.py reads with the unit, the write going on only if no
other check-in came between).

Rules 2 and 3 raise on the unit concerned only: the second device is no unit the service
knows. A unit's alert names the other unit only when both belong to the same partner (another
partner's unit is "a unit of another partner"). Alerts go through :func:`alerts.raise_alert`:
deduplicated while open, delivered to the partner's webhooks, shown on the support card and
the dashboard like every other alert.
"""

from __future__ import annotations

from typing import Any

from handsetguard.server.services import alerts
from handsetguard.server.services.checkin_store import History, Owner

__all__ = [
    "KIND",
    "Finding",
    "checkin_findings",
    "product_of_facts",
    "product_of_fingerprint",
]

KIND = alerts.CLONE

Product = tuple[str, str, str]


def product_of_fingerprint(fingerprint: str | None) -> Product | None:
    """(brand, product, device) of a build fingerprint, case-folded; None if it has not
    that shape."""
    if not fingerprint:
        return None
    parts = fingerprint.split(":", 1)[0].split("/")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        return None
    brand, product, device = (p.strip().casefold() for p in parts)
    return brand, product, device


def product_of_facts(facts: dict[str, Any]) -> Product | None:
    """(brand, product, device) as attested, when the chain attests all three."""
    values = [facts.get(k) for k in ("brand", "product", "device")]
    if not all(isinstance(v, str) and v.strip() for v in values):
        return None
    brand, product, device = (str(v).strip().casefold() for v in values)
    return brand, product, device


Finding = tuple[dict[str, Any], str, dict[str, Any]]
"""(the unit it is about — a device's columns —, reason, detail)."""


def _pair(unit: dict[str, Any], imei: str, evidence: dict[str, Any], owner: Owner) -> list[Finding]:
    """``imei_of_another_unit`` on ``unit`` (whose evidence carried ``imei``) and on the
    unit that holds it, if any."""
    holder = owner(imei)
    if holder is None or holder["id"] == unit["id"]:
        return []
    same = holder["partner_id"] == unit["partner_id"]
    here = {
        "imei": imei,
        "imei_holder": holder["id"] if same else "a unit of another partner",
        **evidence,
    }
    there = {"imei": imei, "seen_on": unit["id"] if same else "a unit of another partner"}
    there.update(evidence if same else {"source": evidence["source"]})
    return [(unit, "imei_of_another_unit", here), (holder, "imei_of_another_unit", there)]


def checkin_findings(
    unit: dict[str, Any],
    checkin_id: str,
    facts: dict[str, Any],
    history: History,
    owner: Owner,
) -> list[Finding]:
    """Rules 1-3 for a verified check-in of ``unit``, given its ``history`` of verified
    check-ins before this one (``history.first``: the first one's attested facts) and
    ``owner``, which finds the unit holding an IMEI."""
    found: list[Finding] = []
    evidence: dict[str, Any] = {"source": "checkin", "checkin_id": checkin_id}
    own = {unit["imei1"], unit["imei2"]} - {None}
    for slot in ("imei", "second_imei"):
        value = facts.get(slot)
        if isinstance(value, str) and value and value not in own:
            found += _pair(unit, value, evidence, owner)
    then = product_of_facts(history.first) if history.first is not None else None
    product = product_of_facts(facts)
    if then is not None and product is not None and product != then:
        detail = {**evidence, "first": "/".join(then), "now": "/".join(product)}
        found.append((unit, "other_product", detail))
    key = facts.get("verified_boot_key")
    # The boot key of the latest verified check-in before this one, and whether this key is
    # among the checkin_store.HISTORY - 1 before that: K1, K2, K1 is two keys in use at once.
    earlier = history.first is not None
    seen_before = key in history.earlier_keys
    if key is not None and earlier and key != history.previous_key and seen_before:
        detail = {**evidence, "previous": history.previous_key, "now": key}
        found.append((unit, "boot_key_alternating", detail))
    return found
