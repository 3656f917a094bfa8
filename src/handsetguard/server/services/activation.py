"""Factory activation: one call, one write transaction, one signed proof.

1. *Read* (no lock; :meth:`Store.read`, one round trip on PostgreSQL): the credential and
   the active signing key, any device holding the serial, an IMEI or the MEID with its stored
   activation, the partner's agreements, the nonce.
2. *Plan* (Python, no database): the credential is authenticated and its scope checked
   (the identity — IMEI Luhn, serial, model, territory — was validated before the read);
   idempotency — the same unit already activated by the same partner returns its stored
   signed activation, and an identifier held by any other unit is ``duplicate_device``; the
   nonce is checked; the agreement's status, term, territory, model and TAC are checked
   against agreement *version v*; an attestation chain is verified; the activation is
   signed.
3. *Write* (:meth:`Store.write`, one statement on PostgreSQL): the nonce is consumed
   (single use); the guarded counter ``UPDATE agreements SET used = used + 1 WHERE id = …
   AND used < unit_limit AND status = 'active' AND version = v`` — its row lock serialises
   concurrent activations of one agreement and its condition is re-checked on the latest
   row, so the quota can never be oversold (a CHECK constraint backs it up); the device and
   its IMEIs (serial UNIQUE per partner; IMEI primary key — one namespace for IMEI 1 and 2), the
   activation (UNIQUE per device and per counter value) and the audit entry. All of it
   commits together, or nothing does.

If the guard refuses because the agreement changed after the read (amended, suspended),
the whole thing is redone; a UNIQUE violation (the same unit sent twice at once) writes
nothing, counter included, and is answered like a retry: the stored activation, or
``duplicate_device``. A guard refused at the limit is answered only after one more read, so
that copies of one request that lose to their twin at a full quota get the twin's stored
proof (``replayed: true``), not ``quota_exhausted``.

Tenancy: serials are unique per partner and read only among the caller's partner's units;
IMEIs are unique everywhere, and one held by another partner's unit is refused only after
the caller's own terms have been checked (:func:`_held_elsewhere`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from handsetguard.server.core.envelope import ACTIVATION_TYPE, sign_envelope
from handsetguard.server.core.tokens import parse_token
from handsetguard.server.errors import (
    AuthError,
    ConflictError,
    InvalidInputError,
    RefusedError,
    ServiceError,
)
from handsetguard.server.schemas.devices import ActivationIn
from handsetguard.server.services import audit
from handsetguard.server.services.activation_async import AsyncPgStore
from handsetguard.server.services.activation_store import (
    Conflict,
    NonceLost,
    Snapshot,
    Store,
    Unit,
    Written,
)
from handsetguard.server.services.actors import Actor
from handsetguard.server.services.attestation import ChainCheck
from handsetguard.server.services.common import new_id
from handsetguard.server.services.credentials import actor_from_row
from handsetguard.server.services.licence_checks import (
    check_scope,
    check_terms,
    meid_of,
    validate_identity,
)

__all__ = ["Issued", "Outcome", "activate", "activate_async"]

ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Issued:
    """The stored signed activation of one device."""

    id: str
    device_id: str
    kid: str
    token: str
    overage: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    activation: Issued
    replayed: bool


DUPLICATE = "the serial, an IMEI or the MEID already belongs to another activated unit"


def _existing(snap: Snapshot, actor: Actor, body: ActivationIn) -> Outcome | None:
    """The stored activation when this unit was already activated by this partner; a
    conflict with another of this partner's units is ``duplicate_device``. Units of other
    partners are left to :func:`_held_elsewhere`."""
    own = [d for d in snap.devices if d["partner_id"] == actor.partner_id]
    if not own:
        return None
    device = own[0]
    same = (
        len(snap.devices) == 1
        and (device["serial"], device["imei1"], device["imei2"], device["meid"])
        == (body.serial, body.imei1, body.imei2, meid_of(body))
        and (device["model_code"], device["territory"]) == (body.model_code, body.territory)
    )
    if not same:
        raise ConflictError("duplicate_device", DUPLICATE)
    if device["status"] == "revoked":
        raise RefusedError("device_revoked", f"device {device['id']} was revoked")
    issued = Issued(
        device["activation_id"], device["id"], device["kid"], device["token"], device["overage"]
    )
    return Outcome(issued, replayed=True)


def _held_elsewhere(snap: Snapshot, actor: Actor, body: ActivationIn, now: datetime) -> None:
    """An IMEI held by another partner's unit (serials are per partner, IMEIs global): the
    request is first judged on this partner's own terms (agreement, term, territory, model,
    TAC), so that the answer says nothing about the other unit unless the IMEI is one this
    partner may activate — and then only the same ``duplicate_device`` as any duplicate."""
    if snap.devices:
        check_terms(_resolve_agreement(snap, actor, body), body, now)
        raise ConflictError("duplicate_device", DUPLICATE)


def _refuse_blocklisted(snap: Snapshot) -> None:
    """A new activation of an IMEI on the imported blocklist (reported lost or stolen: a
    refurbished or stolen board must not re-enter a line) is refused."""
    if snap.blocked:
        raise RefusedError(
            "imei_blocklisted",
            f"IMEI {snap.blocked[0]} is on the blocklist (reported lost or stolen)",
        )


def _check_nonce(row: dict[str, Any] | None, actor: Actor, now: datetime) -> None:
    if row is None or row["credential_id"] != actor.credential_id:
        raise RefusedError("nonce_unknown", "the nonce was not issued to this credential")
    if row["used_at"] is not None:
        raise RefusedError("nonce_replayed", "the nonce was already used")
    if row["expires_at"] <= now:
        raise RefusedError("nonce_expired", "the nonce has expired; request a new one")


def _resolve_agreement(snap: Snapshot, actor: Actor, body: ActivationIn) -> dict[str, Any]:
    wanted = body.agreement_id or actor.agreement_id
    if wanted is not None:
        found = next((a for a in snap.agreements if a["id"] == wanted), None)
        if found is None:
            raise RefusedError("agreement_not_found", f"no agreement {wanted} for this partner")
        return found
    candidates = [
        a
        for a in snap.agreements
        if any(m["model_code"] == body.model_code for m in a["device_models"])
    ]
    if not candidates:
        raise RefusedError("model_not_licensed", f"no agreement covers model {body.model_code}")
    active = [a for a in candidates if a["status"] == "active"]
    if len(active) > 1:
        raise RefusedError("agreement_ambiguous", "several agreements match: send agreement_id")
    return (active or candidates)[0]


def _plan(
    snap: Snapshot, actor: Actor, body: ActivationIn, now: datetime, attestation: ChainCheck
) -> Unit:
    if body.attestation_chain is not None and body.nonce is None:
        raise InvalidInputError("nonce_required", "an attestation chain needs the server nonce")
    if body.nonce is not None:
        _check_nonce(snap.nonce, actor, now)
    a = _resolve_agreement(snap, actor, body)
    check_terms(a, body, now)
    if body.attestation_chain is not None and body.nonce is not None:
        attestation(
            body.attestation_chain,
            nonce=body.nonce.encode(),
            serial=body.serial,
            imeis=(body.imei1, body.imei2),
            at=now,
        )
    if snap.signer is None:
        raise ServiceError("no_signing_key", "no active signing key: run `server init`")
    kid, key = snap.signer
    device_id, activation_id = new_id(), new_id()
    payload = {
        "activation_id": activation_id,
        "device": {
            "id": device_id,
            "serial": body.serial,
            "imei1": body.imei1,
            "imei2": body.imei2,
            "model_code": body.model_code,
            "territory": body.territory,
        },
        "partner_id": a["partner_id"],
        "agreement": {"id": a["id"], "version": a["version"]},
        "modules": sorted(a["modules"]),
        "brand_assets": sorted(a["brand_assets"]),
        "attested": body.attestation_chain is not None,
        "issued_at": now.isoformat(),
    }
    # Whether this unit is overage is known once counted: sign each outcome still possible.
    # Counters only grow under one version, so a count already at the quota means overage.
    possible = {False, True} if a["unit_limit"] > a["quota"] else {False}
    if a["used"] >= a["quota"]:
        possible = {True}
    signed = {o: sign_envelope(key, ACTIVATION_TYPE, {**payload, "overage": o}) for o in possible}
    after = {
        "serial": body.serial,
        "agreement_id": a["id"],
        "seq": audit.Hole("counter"),
        "overage": audit.Hole("overage"),
        "activation_id": activation_id,
    }
    return Unit(
        device_id=device_id,
        activation_id=activation_id,
        serial=body.serial,
        imei1=body.imei1,
        imei2=body.imei2,
        meid=meid_of(body),
        model_code=body.model_code,
        territory=body.territory,
        factory_line=body.factory_line or actor.factory_line,
        partner_id=a["partner_id"],
        agreement_id=a["id"],
        version=a["version"],
        quota=a["quota"],
        unit_limit=a["unit_limit"],
        overage_policy=a["overage_policy"],
        tiers=a["royalty_tiers"],
        currency=a["currency"],
        credential_id=actor.credential_id,
        actor_role=actor.role.value,
        kid=kid,
        token=signed.get(False) or signed[True],
        token_overage=signed.get(True) or signed[False],
        attested=body.attestation_chain is not None,
        nonce=body.nonce,
        now=now,
        audit_fields=audit.entry_fields(
            audit.Hole("entry_seq"),
            now,
            actor,
            "device.activate",
            ("device", device_id),
            a["partner_id"],
            None,
            after,
        ),
    )


@dataclass(frozen=True, slots=True)
class _Read:
    credential_id: str
    serial: str
    imeis: tuple[str, str | None]
    nonce: str | None
    meid: str | None


@dataclass(frozen=True, slots=True)
class _Write:
    unit: Unit


@dataclass(frozen=True, slots=True)
class _State:
    agreement_id: str


# What the activation asks of the database, step by step; the drivers below answer it
# (threaded or on the event loop) and throw Conflict / NonceLost back in.
_Steps = Generator[_Read | _Write | _State, Any, Outcome]


def _activation(
    token: str,
    body: ActivationIn,
    now: datetime,
    attestation: ChainCheck,
    admit: Callable[[Actor], None] | None,
) -> _Steps:
    parsed = parse_token(token)
    if parsed is None:
        raise AuthError("invalid_credential", "unknown credential")
    validate_identity(body)  # before the read: only well-formed identifiers reach the database
    conflicted, exhausted, first = False, None, True
    plans = 0
    while True:
        snap: Snapshot = yield _Read(
            parsed[0], body.serial, (body.imei1, body.imei2), body.nonce, meid_of(body)
        )
        actor = actor_from_row(snap.credential, token, now)
        if first and admit is not None:
            admit(actor)
        first = False
        check_scope(actor, body)
        existing = _existing(snap, actor, body)
        if existing is not None:
            return existing
        _refuse_blocklisted(snap)
        _held_elsewhere(snap, actor, body, now)
        if exhausted is not None:
            # Re-read after the guard refused at the limit: not this unit (a copy of this
            # request that won would have been returned above as the stored proof).
            raise exhausted
        if conflicted:
            raise ConflictError("conflict", "a concurrent change conflicted; retry")
        if plans == ATTEMPTS:
            raise ConflictError("agreement_changing", "the agreement kept changing; retry")
        plans += 1
        unit = _plan(snap, actor, body, now, attestation)
        try:
            written: Written | None = yield _Write(unit)
        except Conflict:
            conflicted = True  # read again: the same unit (a retry) or another one's ids
            continue
        except NonceLost:
            continue  # read again: the nonce is now used (or gone)
        if written is not None:
            token_out = unit.token_overage if written.overage else unit.token
            issued = Issued(
                unit.activation_id, unit.device_id, unit.kid, token_out, written.overage
            )
            return Outcome(issued, replayed=False)
        if (yield _State(unit.agreement_id)) == ("active", unit.version):
            exhausted = RefusedError(
                "quota_exhausted",
                f"the agreement's {unit.unit_limit} units are used up "
                f"(quota {unit.quota}, overage {unit.overage_policy})",
            )
        # Else the agreement changed since the read (amended, suspended): plan again.


def _advance(
    steps: _Steps, reply: Any, thrown: Exception | None
) -> _Read | _Write | _State | Outcome:
    """The next step, given the last one's answer (or exception); the outcome when done."""
    try:
        return steps.throw(thrown) if thrown is not None else steps.send(reply)
    except StopIteration as done:
        return cast(Outcome, done.value)


def activate(
    store: Store,
    token: str,
    body: ActivationIn,
    now: datetime,
    *,
    attestation: ChainCheck,
    admit: Callable[[Actor], None] | None = None,
) -> Outcome:
    """Authenticate ``token`` and activate the unit; see the module docstring. ``admit``
    (the rate limiter) sees the actor once it is authenticated."""
    steps = _activation(token, body, now, attestation, admit)
    reply: Any = None
    thrown: Exception | None = None
    while not isinstance(step := _advance(steps, reply, thrown), Outcome):
        reply, thrown = None, None
        try:
            if isinstance(step, _Read):
                reply = store.read(
                    step.credential_id, step.serial, step.imeis, step.nonce, step.meid
                )
            elif isinstance(step, _Write):
                reply = store.write(step.unit)
            else:
                reply = store.agreement_state(step.agreement_id)
        except (Conflict, NonceLost) as exc:
            thrown = exc
    return step


async def activate_async(
    store: AsyncPgStore,
    token: str,
    body: ActivationIn,
    now: datetime,
    *,
    attestation: ChainCheck,
    admit: Callable[[Actor], None] | None = None,
) -> Outcome:
    """:func:`activate` on the event loop (PostgreSQL): the same steps, awaited."""
    steps = _activation(token, body, now, attestation, admit)
    reply: Any = None
    thrown: Exception | None = None
    while not isinstance(step := _advance(steps, reply, thrown), Outcome):
        reply, thrown = None, None
        try:
            if isinstance(step, _Read):
                reply = await store.read(
                    step.credential_id, step.serial, step.imeis, step.nonce, step.meid
                )
            elif isinstance(step, _Write):
                reply = await store.write(step.unit)
            else:
                reply = await store.agreement_state(step.agreement_id)
        except (Conflict, NonceLost) as exc:
            thrown = exc
    return step
