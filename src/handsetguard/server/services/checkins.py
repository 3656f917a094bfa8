"""Attested check-ins: a single-use challenge per unit, then the unit's key-attestation chain
answering it — verified with ``handsetguard.attest``, its attested IDs compared with the
activated unit's, its facts (verified boot, lock state, patch levels, security level) stored
as tier ``attested`` beside what the OS reported (tier ``os``). A failing chain, a changed
verified-boot key, a patch level going backwards or an attested IMEI or serial that is not
the unit's raise alerts; evidence of a second device answering for the unit raises
``possible_clone`` (:mod:`clones`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from handsetguard.server.core.tokens import parse_token
from handsetguard.server.errors import AuthError, NotFoundError, RefusedError
from handsetguard.server.models import Alert, CheckInChallenge, Device
from handsetguard.server.services import alerts, audit, clones
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.alert_sql import OpenAlert
from handsetguard.server.services.attestation import ChainCheck, verify_for_checkin
from handsetguard.server.services.checkin_store import (
    ATTEMPTS,
    STALE,
    CheckinRead,
    CheckinStore,
    History,
    NewCheckin,
    Owner,
    contended,
)
from handsetguard.server.services.common import new_id, visible
from handsetguard.server.services.credentials import actor_from_row
from handsetguard.server.services.steps import Calls, drive, drive_async

if TYPE_CHECKING:
    from handsetguard.server.services.fleet_async import LoopCheckinStore

__all__ = [
    "CALLERS",
    "Recorded",
    "identity_findings",
    "issue_challenge",
    "record_checkin",
    "record_checkin_async",
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


def _challenge_refusal(
    issued: dict[str, Any] | None, actor: Actor, device_id: str, now: datetime
) -> RefusedError | None:
    """Why the challenge cannot be used for this unit's check-in, if it cannot."""
    if issued is None or (issued["device_id"], issued["credential_id"]) != (
        device_id,
        actor.credential_id,
    ):
        return RefusedError("challenge_unknown", "the challenge was not issued for this unit")
    if issued["used_at"] is not None:
        return RefusedError("challenge_replayed", "the challenge was already used")
    if issued["expires_at"] <= now:
        return RefusedError("challenge_expired", "the challenge expired; ask for a new one")
    return None


def _the_unit(actor: Actor, unit: dict[str, Any] | None, device_id: str) -> dict[str, Any]:
    if unit is None:
        raise NotFoundError("device_not_found", f"no activated unit {device_id}")
    visible(actor, unit["partner_id"], "device", device_id)
    if unit["status"] != "active":
        raise RefusedError("device_revoked", f"unit {unit['id']} was revoked")
    return unit


def identity_findings(
    unit: dict[str, Any], facts: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Attested IDs that contradict the activated unit (absent IDs prove nothing)."""
    found = []
    imeis = {i for i in (unit["imei1"], unit["imei2"]) if i}
    for slot in ("imei", "second_imei"):
        value = facts.get(slot)
        if value and value not in imeis:
            found.append((f"attested_{slot}", {"attested": value, "activated": sorted(imeis)}))
    if facts.get("serial") and facts["serial"] != unit["serial"]:
        found.append(
            ("attested_serial", {"attested": facts["serial"], "activated": unit["serial"]})
        )
    return found


def _regressions(
    before: dict[str, Any] | None, facts: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Changes against the attested facts of the unit's first verified check-in."""
    if before is None:
        return []
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
    checkin_id: str
    device_id: str
    verified: bool
    attested: dict[str, Any]
    alerts: tuple[str, ...]
    """Ids of the alerts this check-in opened."""


def _alert(
    target: dict[str, Any], kind: str, reason: str, detail: dict[str, Any], now: datetime
) -> OpenAlert:
    """An alert about ``target`` (the device's columns) with its webhook body, built from
    transient, never-stored model objects as the other alerts' are."""
    about = alerts.unit_of(target)
    alert = Alert(id=new_id(), kind=kind, reason=reason[:64], detail=detail, raised_at=now)
    return OpenAlert(
        alert.id,
        about.id,
        about.partner_id,
        kind,
        alert.reason,
        detail,
        alerts.alert_event(alert, about),
    )


Decide = Callable[[History, Owner], list[OpenAlert]]


def _decide(
    unit: dict[str, Any],
    checkin_id: str,
    verdict: tuple[dict[str, Any] | None, str | None, tuple[str, ...]],
    now: datetime,
) -> Decide:
    """The alerts of a check-in, from the unit's history and the holders of IMEIs."""
    facts, failure, codes = verdict

    def decide(history: History, owner: Owner) -> list[OpenAlert]:
        mine = {"checkin_id": checkin_id}
        if facts is None:
            why = {"codes": list(codes), "why": failure, **mine}
            return [_alert(unit, alerts.REGRESSION, "attestation_failing", why, now)]
        found = [
            _alert(unit, alerts.IDENTITY, reason, {**detail, **mine}, now)
            for reason, detail in identity_findings(unit, facts)
        ]
        found += [
            _alert(unit, alerts.REGRESSION, reason, {**detail, **mine}, now)
            for reason, detail in _regressions(history.first, facts)
        ]
        found += [
            _alert(target, clones.KIND, reason, detail, now)
            for target, reason, detail in clones.checkin_findings(
                unit, checkin_id, facts, history, owner
            )
        ]
        return found

    return decide


class _Unread(Exception):
    """``decide`` asked for the holder of an IMEI not read yet."""

    def __init__(self, imei: str) -> None:
        self.imei = imei


def _decided(
    decide: Decide, history: History, owners: dict[str, dict[str, Any] | None]
) -> Calls[list[OpenAlert]]:
    """``decide`` is pure: an IMEI's holder it asks for and ``owners`` lacks is read (a
    store call), and it decides again."""

    def owner(imei: str) -> dict[str, Any] | None:
        if imei not in owners:
            raise _Unread(imei)
        return owners[imei]

    while True:
        try:
            return decide(history, owner)
        except _Unread as unread:
            owners[unread.imei] = yield "owner", (unread.imei,)


def record_checkin(
    store: CheckinStore,
    check: ChainCheck,
    token: str,
    body: Any,
    now: datetime,
    *,
    admit: Callable[[Actor], None] | None = None,
) -> Recorded:
    """``body``: device_id, challenge, attestation_chain, os_reported (schemas.fleet.CheckInIn).
    Stored also when the chain does not verify (``verified`` false, an alert)."""
    return drive(_checkin(check, token, body, now, admit), store)


async def record_checkin_async(
    store: LoopCheckinStore,
    check: ChainCheck,
    token: str,
    body: Any,
    now: datetime,
    *,
    admit: Callable[[Actor], None] | None = None,
) -> Recorded:
    """:func:`record_checkin` on the event loop: the same steps, the store's calls awaited."""
    return await drive_async(_checkin(check, token, body, now, admit), store)


def _checkin(
    check: ChainCheck,
    token: str,
    body: Any,
    now: datetime,
    admit: Callable[[Actor], None] | None,
) -> Calls[Recorded]:
    """The check-in's steps (services/steps.py)."""
    parsed = parse_token(token)
    if parsed is None:
        raise AuthError("invalid_credential", "unknown credential")
    read: CheckinRead = yield "read", (parsed[0], body.device_id, body.challenge)
    actor = actor_from_row(read.credential, token, now)
    if admit is not None:
        admit(actor)
    require(actor, *CALLERS)
    unit = _the_unit(actor, read.unit, body.device_id)
    refused = _challenge_refusal(read.challenge, actor, unit["id"], now)
    if refused is not None:
        raise refused
    verdict = verify_for_checkin(
        check, body.attestation_chain, challenge=body.challenge.encode(), at=now
    )
    facts, failure, codes = verdict
    patch = facts.get("os_patch") if facts else None
    checkin = NewCheckin(
        id=new_id(),
        device_id=unit["id"],
        partner_id=unit["partner_id"],
        model_code=unit["model_code"],
        territory=unit["territory"],
        credential_id=actor.credential_id,
        challenge=body.challenge,
        verified=facts is not None,
        failure=failure,
        attested=facts if facts is not None else {"codes": list(codes)},
        os_reported=dict(body.os_reported),
        patch_month=patch[:7] if patch else None,
        boot_key=facts.get("verified_boot_key") if facts else None,
    )
    decide = _decide(unit, checkin.id, verdict, now)
    owners: dict[str, dict[str, Any] | None] = {}
    for _ in range(ATTEMPTS):
        found = yield from _decided(decide, read.history, owners)
        opened = yield "write", (checkin, read.posture, found, now)
        if opened is STALE:  # another report or check-in of the unit came between: again
            read = yield "read", (parsed[0], body.device_id, body.challenge)
            _the_unit(actor, read.unit, body.device_id)
            refused = _challenge_refusal(read.challenge, actor, unit["id"], now)
            if refused is not None:
                raise refused
            continue
        if opened is None:  # used, expired or revoked since it was read: say which
            again: CheckinRead = yield "read", (parsed[0], body.device_id, body.challenge)
            _the_unit(actor, again.unit, body.device_id)
            raise _challenge_refusal(again.challenge, actor, unit["id"], now) or RefusedError(
                "challenge_replayed", "the challenge was already used"
            )
        return Recorded(checkin.id, unit["id"], checkin.verified, checkin.attested, tuple(opened))
    raise contended()


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
