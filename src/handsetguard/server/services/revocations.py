"""The published revocation list for offline verifiers, signed like an activation
(envelope type ``handsetguard.revocations.v1``): revoked devices' activations, and the
agreements that are suspended or terminated (every activation under them is then void)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import REVOCATIONS_TYPE, sign_envelope
from handsetguard.server.models import Activation, Agreement, Device
from handsetguard.server.services import keys

__all__ = ["revocation_list", "signed_revocation_list"]


def revocation_list(session: Session, now: datetime) -> dict[str, Any]:
    revoked = session.execute(
        select(Activation.id, Device.id, Device.revoked_at, Device.revoke_reason)
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
        "activations": [
            {
                "activation_id": a,
                "device_id": d,
                "revoked_at": at.isoformat() if at else None,
                "reason": reason,
            }
            for a, d, at, reason in revoked
        ],
        "agreements": [
            {"agreement_id": a, "status": s, "since": u.isoformat()} for a, s, u in agreements
        ],
    }


def signed_revocation_list(session: Session, now: datetime, vault: keys.KeyVault) -> str:
    _, key = keys.active_signer(session, vault)
    return sign_envelope(key, REVOCATIONS_TYPE, revocation_list(session, now))
