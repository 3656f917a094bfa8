"""The published revocation list for offline verifiers, signed like an activation
(envelope type ``handsetguard.revocations.v1``): revoked devices' activations, and the
agreements that are suspended or terminated (every activation under them is then void).

The list is public, so it carries per device only what a verifier needs — the activation's
opaque id (serials are unique per partner only, so a serial alone would also void another
partner's unit), the serial, the time and a reason *code*; never the free-text reason, the
device id or the partner. ``issued_at`` and ``sequence`` let a verifier refuse a stale or
rolled-back list: the sequence goes up with every change of what the list carries
(:func:`changed`, called in the same transaction as the change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import REVOCATIONS_TYPE, sign_envelope
from handsetguard.server.models import Activation, Agreement, Device
from handsetguard.server.models.records import RevocationHead
from handsetguard.server.services import keys

__all__ = ["changed", "revocation_list", "signed_revocation_list"]


def changed(session: Session) -> None:
    """What the list carries changed: raise its sequence number (locks the one row)."""
    session.execute(
        update(RevocationHead).where(RevocationHead.id == 1).values(seq=RevocationHead.seq + 1)
    )


def revocation_list(session: Session, now: datetime) -> dict[str, Any]:
    sequence = session.execute(
        select(RevocationHead.seq).where(RevocationHead.id == 1)
    ).scalar_one_or_none()
    revoked = session.execute(
        select(Activation.id, Device.serial, Device.revoked_at, Device.revoke_code)
        .join(Device, Device.id == Activation.device_id)
        .where(Device.status == "revoked")
        .order_by(Activation.id)
    ).all()
    agreements = session.execute(
        select(Agreement.id, Agreement.status, Agreement.updated_at)
        .where(Agreement.status != "active")
        .order_by(Agreement.id)
    ).all()
    return {
        "issued_at": now.isoformat(),
        "sequence": sequence or 0,
        "activations": [
            {
                "activation_id": a,
                "serial": serial,
                "revoked_at": at.isoformat() if at else None,
                "reason": code or "unspecified",
            }
            for a, serial, at, code in revoked
        ],
        "agreements": [
            {"agreement_id": a, "status": s, "since": u.isoformat()} for a, s, u in agreements
        ],
    }


def signed_revocation_list(session: Session, now: datetime, vault: keys.KeyVault) -> str:
    _, key = keys.active_signer(session, vault)
    return sign_envelope(key, REVOCATIONS_TYPE, revocation_list(session, now))
