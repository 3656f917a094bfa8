"""Factory activation: one call, one write transaction, one signed proof.

Two phases, so that the serialised part is short (on SQLite in two transactions, since its
write transaction is exclusive; on PostgreSQL in one, which saves round trips — the plan's
reads lock nothing):

1. *Plan* (reads): identity checks (IMEI Luhn, serial, model, territory);
   idempotency — the same unit already activated by the same partner returns its stored
   signed activation, and any identifier held by another unit is ``duplicate_device``; the
   nonce is looked up; the agreement's status, term, territory, model and TAC are checked
   against agreement *version v*; an attestation chain is verified; the signing key is read.
2. *Commit* (writes; ``BEGIN IMMEDIATE`` on SQLite): the nonce is consumed
   (single use); device and IMEIs are inserted (UNIQUE serial; IMEI primary key — one
   namespace for IMEI 1 and 2); then the guarded counter
   ``UPDATE agreements SET used = used + 1 WHERE id = … AND used < unit_limit AND
   status = 'active' AND version = v RETURNING used`` — its row lock serialises concurrent
   activations of one agreement and its condition is re-checked on the latest row, so the
   quota can never be oversold (a CHECK constraint backs it up); then the activation (UNIQUE
   per device and per counter value) and the audit entry. All of it commits together.

If the agreement changed between the phases (amended, suspended) the plan is redone; a
UNIQUE violation (the same unit sent twice at once) rolls everything back, counter
included, and is answered like a retry: the stored activation, or ``duplicate_device``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import ACTIVATION_TYPE, sign_envelope
from handsetguard.server.db import Database
from handsetguard.server.errors import ConflictError, InvalidInputError, RefusedError
from handsetguard.server.models import Activation, Agreement, Device, DeviceImei, Nonce
from handsetguard.server.schemas.devices import ActivationIn
from handsetguard.server.services import audit, keys
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.attestation import ChainCheck
from handsetguard.server.services.common import new_id
from handsetguard.server.services.licence_checks import (
    check_scope,
    check_terms,
    rate_for,
    validate_identity,
)

__all__ = ["Issued", "Outcome", "activate", "find_existing", "issue_nonce"]

ATTEMPTS = 3

# The hot path's statements, built once (immutable; no engine is involved): per call only
# parameters change, so SQLAlchemy's compiled cache is hit and nothing is rebuilt.
_devices = cast(Table, Device.__table__)
_imeis = cast(Table, DeviceImei.__table__)
_activations = cast(Table, Activation.__table__)
_agreements = cast(Table, Agreement.__table__)
_INSERT_DEVICE = insert(_devices)
_INSERT_IMEI = insert(_imeis)
_INSERT_ACTIVATION = insert(_activations)
_COUNT = (
    update(_agreements)
    .where(
        _agreements.c.id == bindparam("agreement_id"),
        _agreements.c.used < _agreements.c.unit_limit,
        _agreements.c.status == "active",
        _agreements.c.version == bindparam("agreement_version"),
    )
    .values(used=_agreements.c.used + 1)
    .returning(_agreements.c.used)
)
_EXISTING = select(
    _devices.c.id,
    _devices.c.partner_id,
    _devices.c.serial,
    _devices.c.imei1,
    _devices.c.imei2,
    _devices.c.model_code,
    _devices.c.territory,
    _devices.c.status,
).where(
    or_(
        _devices.c.serial == bindparam("serial"),
        _devices.c.id.in_(
            select(_imeis.c.device_id).where(_imeis.c.imei.in_(bindparam("imeis", expanding=True)))
        ),
    )
)
_PARTNER_AGREEMENTS = select(*_agreements.c).where(
    _agreements.c.partner_id == bindparam("partner_id")
)
_AGREEMENT = _PARTNER_AGREEMENTS.where(_agreements.c.id == bindparam("agreement_id"))
_STORED = select(
    _activations.c.id,
    _activations.c.device_id,
    _activations.c.kid,
    _activations.c.token,
    _activations.c.overage,
).where(_activations.c.device_id == bindparam("device_id"))


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


@dataclass(frozen=True, slots=True)
class _Plan:
    agreement: dict[str, Any]
    kid: str
    key: Ed25519PrivateKey


class _Stale(Exception):
    """The agreement changed between plan and commit."""


def find_existing(conn: Connection, actor: Actor, body: ActivationIn) -> Outcome | None:
    imeis = [i for i in (body.imei1, body.imei2) if i is not None]
    held = select(DeviceImei.device_id).where(DeviceImei.imei.in_(imeis))
    devices = conn.execute(
        select(
            Device.id,
            Device.partner_id,
            Device.serial,
            Device.imei1,
            Device.imei2,
            Device.model_code,
            Device.territory,
            Device.status,
        ).where(or_(Device.serial == body.serial, Device.id.in_(held)))
    ).all()
    if not devices:
        return None
    device = devices[0]
    same = (
        len(devices) == 1
        and device.partner_id == actor.partner_id
        and (device.serial, device.imei1, device.imei2) == (body.serial, body.imei1, body.imei2)
        and (device.model_code, device.territory) == (body.model_code, body.territory)
    )
    if not same:
        raise ConflictError(
            "duplicate_device", "the serial or an IMEI already belongs to another activated unit"
        )
    if device.status == "revoked":
        raise RefusedError("device_revoked", f"device {device.id} was revoked")
    row = conn.execute(
        select(
            Activation.id,
            Activation.device_id,
            Activation.kid,
            Activation.token,
            Activation.overage,
        ).where(Activation.device_id == device.id)
    ).one()
    return Outcome(Issued(*row), replayed=True)


def _check_nonce(conn: Connection, actor: Actor, nonce: str, now: datetime) -> None:
    row = conn.execute(
        select(Nonce.credential_id, Nonce.used_at, Nonce.expires_at).where(Nonce.value == nonce)
    ).first()
    if row is None or row.credential_id != actor.credential_id:
        raise RefusedError("nonce_unknown", "the nonce was not issued to this credential")
    if row.used_at is not None:
        raise RefusedError("nonce_replayed", "the nonce was already used")
    if row.expires_at <= now:
        raise RefusedError("nonce_expired", "the nonce has expired; request a new one")


def _consume_nonce(conn: Connection, actor: Actor, nonce: str, now: datetime) -> None:
    consumed = conn.execute(
        update(Nonce)
        .where(
            Nonce.value == nonce,
            Nonce.credential_id == actor.credential_id,
            Nonce.used_at.is_(None),
            Nonce.expires_at > now,
        )
        .values(used_at=now)
    )
    if consumed.rowcount != 1:
        _check_nonce(conn, actor, nonce, now)  # raises with the reason
        raise RefusedError("nonce_replayed", "the nonce was already used")


def _resolve_agreement(conn: Connection, actor: Actor, body: ActivationIn) -> RowMapping:
    params = {"partner_id": actor.partner_id}
    wanted = body.agreement_id or actor.agreement_id
    if wanted is not None:
        found = conn.execute(_AGREEMENT, {**params, "agreement_id": wanted}).mappings().first()
        if found is None:
            raise RefusedError("agreement_not_found", f"no agreement {wanted} for this partner")
        return found
    candidates = [
        a
        for a in conn.execute(_PARTNER_AGREEMENTS, params).mappings()
        if any(m["model_code"] == body.model_code for m in a["device_models"])
    ]
    if not candidates:
        raise RefusedError("model_not_licensed", f"no agreement covers model {body.model_code}")
    active = [a for a in candidates if a["status"] == "active"]
    if len(active) > 1:
        raise RefusedError("agreement_ambiguous", "several agreements match: send agreement_id")
    return (active or candidates)[0]


def _plan(
    conn: Connection, actor: Actor, body: ActivationIn, now: datetime, attestation: ChainCheck
) -> _Plan | Outcome:
    existing = find_existing(conn, actor, body)
    if existing is not None:
        return existing
    if body.attestation_chain is not None and body.nonce is None:
        raise InvalidInputError("nonce_required", "an attestation chain needs the server nonce")
    if body.nonce is not None:
        _check_nonce(conn, actor, body.nonce, now)
    agreement = _resolve_agreement(conn, actor, body)
    check_terms(agreement, body, now)
    if body.attestation_chain is not None and body.nonce is not None:
        attestation(
            body.attestation_chain,
            nonce=body.nonce.encode(),
            serial=body.serial,
            imeis=(body.imei1, body.imei2),
            at=now,
        )
    kid, key = keys.active_signer(conn)
    fields = (
        "id",
        "partner_id",
        "version",
        "quota",
        "unit_limit",
        "overage_policy",
        "modules",
        "brand_assets",
        "royalty_tiers",
        "currency",
    )
    return _Plan({f: agreement[f] for f in fields}, kid, key)


def _count(conn: Connection, plan: _Plan) -> int:
    a = plan.agreement
    params = {"agreement_id": a["id"], "agreement_version": a["version"]}
    seq = conn.execute(_COUNT, params).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    now_row = conn.execute(
        select(Agreement.status, Agreement.version).where(Agreement.id == a["id"])
    ).one()
    if tuple(now_row) != ("active", a["version"]):
        raise _Stale
    raise RefusedError(
        "quota_exhausted",
        f"the agreement's {a['unit_limit']} units are used up "
        f"(quota {a['quota']}, overage {a['overage_policy']})",
    )


def _commit(
    conn: Connection, actor: Actor, body: ActivationIn, plan: _Plan, now: datetime
) -> Outcome:
    if body.nonce is not None:
        _consume_nonce(conn, actor, body.nonce, now)
    a = plan.agreement
    device_id, activation_id = new_id(), new_id()
    conn.execute(
        _INSERT_DEVICE,
        {
            "id": device_id,
            "serial": body.serial,
            "imei1": body.imei1,
            "imei2": body.imei2,
            "model_code": body.model_code,
            "territory": body.territory,
            "partner_id": a["partner_id"],
            "agreement_id": a["id"],
            "factory_line": body.factory_line or actor.factory_line,
            "activated_at": now,
            "status": "active",
        },
    )
    conn.execute(
        _INSERT_IMEI,
        [{"imei": i, "device_id": device_id} for i in (body.imei1, body.imei2) if i],
    )
    seq = _count(conn, plan)
    overage = seq > a["quota"]
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
        "overage": overage,
        "attested": body.attestation_chain is not None,
        "issued_at": now.isoformat(),
    }
    values = {
        "id": activation_id,
        "device_id": device_id,
        "partner_id": a["partner_id"],
        "agreement_id": a["id"],
        "agreement_version": a["version"],
        "seq": seq,
        "overage": overage,
        "territory": body.territory,
        "model_code": body.model_code,
        "unit_rate": rate_for(a["royalty_tiers"], seq),
        "currency": a["currency"],
        "issued_at": now,
        "credential_id": actor.credential_id,
        "kid": plan.kid,
        "token": sign_envelope(plan.key, ACTIVATION_TYPE, payload),
        "attested": body.attestation_chain is not None,
    }
    conn.execute(_INSERT_ACTIVATION, values)
    audit.append(
        conn,
        actor,
        at=now,
        action="device.activate",
        target=("device", device_id),
        partner_id=a["partner_id"],
        after={
            "serial": body.serial,
            "agreement_id": a["id"],
            "seq": seq,
            "overage": overage,
            "activation_id": activation_id,
        },
    )
    issued = Issued(activation_id, device_id, plan.kid, values["token"], overage)
    return Outcome(issued, replayed=False)


def activate(
    db: Database, actor: Actor, body: ActivationIn, now: datetime, *, attestation: ChainCheck
) -> Outcome:
    """Opens its own transactions (a read, then one write); see the module docstring."""
    check_scope(actor, body)
    validate_identity(body)
    for _ in range(ATTEMPTS):
        try:
            if not db.sqlite:
                # PostgreSQL: plan and commit in one transaction (fewer round trips); the
                # plan's reads take no lock, so the counter row is still locked only late.
                with db.write_conn() as conn:
                    plan = _plan(conn, actor, body, now, attestation)
                    if isinstance(plan, Outcome):
                        return plan
                    return _commit(conn, actor, body, plan, now)
            # SQLite: the write transaction is exclusive; keep the plan out of it.
            with db.read_conn() as conn:
                plan = _plan(conn, actor, body, now, attestation)
            if isinstance(plan, Outcome):
                return plan
            with db.write_conn() as conn:
                return _commit(conn, actor, body, plan, now)
        except _Stale:
            continue
        except IntegrityError:
            with db.read_conn() as conn:
                found = find_existing(conn, actor, body)
            if found is not None:
                return found
            raise ConflictError("conflict", "a concurrent change conflicted; retry") from None
    raise ConflictError("agreement_changing", "the agreement kept changing; retry")


def issue_nonce(session: Session, actor: Actor, now: datetime, ttl: int) -> Nonce:
    require(actor, Role.FACTORY)
    nonce = Nonce(
        value=secrets.token_hex(32),
        credential_id=actor.credential_id,
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    session.add(nonce)
    audit.append(
        session,
        actor,
        at=now,
        action="nonce.issue",
        target=("nonce", nonce.value[:16]),
        partner_id=actor.partner_id,
        after={"expires_at": nonce.expires_at.isoformat()},
    )
    return nonce
