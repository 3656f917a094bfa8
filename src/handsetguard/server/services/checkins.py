"""Attested check-ins: a single-use challenge per unit, then the unit's key-attestation chain
answering it — verified with ``handsetguard.attest``, its attested IDs compared with the
activated unit's, its facts (verified boot, lock state, patch levels, security level) stored
as tier ``attested`` beside what the OS reported (tier ``os``). A failing chain, a changed
verified-boot key, a patch level going backwards or an attested IMEI or serial that is not
the unit's raise alerts; evidence of a second device answering for the unit raises
``possible_clone`` (:mod:`clones`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handsetguard.server.errors import NotFoundError, RefusedError
from handsetguard.server.models import CheckIn, CheckInChallenge, Device
from handsetguard.server.services import alerts, audit, clones, fleet_state
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.attestation import ChainCheck, verify_for_checkin
from handsetguard.server.services.common import new_id, visible

__all__ = [
    "CALLERS",
    "Recorded",
    "identity_findings",
    "issue_challenge",
    "record_checkin",
    "record_refused_challenge",
]

CALLERS = (Role.FACTORY, Role.SUPPORT)


def _unit(session: Session, actor: Actor, device_id: str) -> Device:
    require(actor, *CALLERS)
    unit = session.get(Device, device_id)
    if unit is None:
        raise NotFoundError("device_not_found", f"no activated unit {device_id}")
    visible(actor, unit.partner_id, "device", device_id)
    if unit.status != "active":
        raise RefusedError("device_revoked", f"unit {unit.id} was revoked")
    return unit


def issue_challenge(
    session: Session, actor: Actor, device_id: str, now: datetime, ttl: timedelta
) -> CheckInChallenge:
    unit = _unit(session, actor, device_id)
    row = CheckInChallenge(
        value=secrets.token_urlsafe(32),
        device_id=unit.id,
        credential_id=actor.credential_id,
        issued_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    return row


def _consume(session: Session, actor: Actor, unit: Device, value: str, now: datetime) -> None:
    """Single use, by one UPDATE (so two processes cannot both use it)."""
    used = session.execute(
        update(CheckInChallenge)
        .where(
            CheckInChallenge.value == value,
            CheckInChallenge.device_id == unit.id,
            CheckInChallenge.credential_id == actor.credential_id,
            CheckInChallenge.used_at.is_(None),
            CheckInChallenge.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) == 1:
        return
    row = session.get(CheckInChallenge, value)
    if row is None or row.device_id != unit.id or row.credential_id != actor.credential_id:
        raise RefusedError("challenge_unknown", "the challenge was not issued for this unit")
    if row.used_at is not None:
        raise RefusedError("challenge_replayed", "the challenge was already used")
    raise RefusedError("challenge_expired", "the challenge expired; ask for a new one")


def identity_findings(unit: Device, facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Attested IDs that contradict the activated unit (absent IDs prove nothing)."""
    found = []
    imeis = {i for i in (unit.imei1, unit.imei2) if i}
    for slot in ("imei", "second_imei"):
        value = facts.get(slot)
        if value and value not in imeis:
            found.append((f"attested_{slot}", {"attested": value, "activated": sorted(imeis)}))
    if facts.get("serial") and facts["serial"] != unit.serial:
        found.append(("attested_serial", {"attested": facts["serial"], "activated": unit.serial}))
    return found


def _first_verified(session: Session, device_id: str) -> CheckIn | None:
    query = (
        select(CheckIn)
        .where(CheckIn.device_id == device_id, CheckIn.verified.is_(True))
        .order_by(CheckIn.received_at)
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def _regressions(first: CheckIn | None, facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if first is None:
        return []
    before = first.attested
    found = []
    if before.get("verified_boot_key") != facts.get("verified_boot_key"):
        found.append(
            (
                "attestation_boot_key_changed",
                {"first": before.get("verified_boot_key"), "now": facts.get("verified_boot_key")},
            )
        )
    for name in ("os_patch", "vendor_patch", "boot_patch"):
        old, new = before.get(name), facts.get(name)
        if old and new and new < old:
            found.append((f"attested_patch_backwards:{name}", {"first": old, "now": new}))
    if before.get("device_locked") and facts.get("device_locked") is False:
        found.append(("attested_unlocked", {}))
    return found


@dataclass(frozen=True, slots=True)
class Recorded:
    checkin: CheckIn
    alerts: tuple[str, ...]


def record_checkin(
    session: Session,
    actor: Actor,
    check: ChainCheck,
    body: Any,
    now: datetime,
) -> Recorded:
    """``body``: device_id, challenge, attestation_chain, os_reported (schemas.fleet.CheckInIn)."""
    unit = _unit(session, actor, body.device_id)
    _consume(session, actor, unit, body.challenge, now)
    facts, failure, codes = verify_for_checkin(
        check, body.attestation_chain, challenge=body.challenge.encode(), at=now
    )
    first = _first_verified(session, unit.id) if facts is not None else None
    row = CheckIn(
        id=new_id(),
        device_id=unit.id,
        partner_id=unit.partner_id,
        received_at=now,
        credential_id=actor.credential_id,
        verified=facts is not None,
        failure=failure,
        attested=facts if facts is not None else {"codes": list(codes)},
        os_reported=dict(body.os_reported),
    )
    session.add(row)
    session.flush()
    raised: list[str] = []

    def _raise(kind: str, reason: str, detail: dict[str, Any]) -> None:
        alert = alerts.raise_alert(
            session, unit, kind, reason[:64], {**detail, "checkin_id": row.id}, now=now
        )
        if alert is not None:
            raised.append(alert.id)

    if facts is None:
        _raise(alerts.REGRESSION, "attestation_failing", {"codes": list(codes), "why": failure})
    else:
        for reason, detail in identity_findings(unit, facts):
            _raise(alerts.IDENTITY, reason, detail)
        for reason, detail in _regressions(first, facts):
            _raise(alerts.REGRESSION, reason, detail)
        raised += clones.after_checkin(session, unit, row, facts, first, now)
    patch = facts.get("os_patch") if facts else None
    fleet_state.after_checkin(session, unit, row.id, patch, now=now)
    return Recorded(row, tuple(raised))


def record_refused_challenge(
    session: Session, actor: Actor, code: str, device_id: str, at: datetime
) -> None:
    """A replayed, expired or foreign challenge is worth an audit entry (own transaction)."""
    audit.append(
        session,
        actor,
        at=at,
        action="checkin.refuse",
        target=("device", device_id[:64]),
        partner_id=actor.partner_id,
        after={"code": code},
    )
