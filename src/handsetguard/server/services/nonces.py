"""Single-use nonces for attested activations (``POST /v1/activations/nonce``): issued to a
factory credential, bounded per credential, purged once expired; an activation consumes its
nonce in its write (services/activation_store.py)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from handsetguard.server.errors import RateLimitedError
from handsetguard.server.models import Nonce
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require

__all__ = ["issue_nonce"]


def issue_nonce(
    session: Session, actor: Actor, now: datetime, ttl: int, max_open: int = 1000
) -> Nonce:
    """A single-use nonce for an attested activation. Expired nonces (of every credential)
    are purged here; a credential holding ``max_open`` live unused ones gets 429."""
    require(actor, Role.FACTORY)
    session.execute(delete(Nonce).where(Nonce.expires_at <= now))
    open_now = session.execute(
        select(func.count())
        .select_from(Nonce)
        .where(Nonce.credential_id == actor.credential_id, Nonce.used_at.is_(None))
    ).scalar_one()
    if open_now >= max_open:
        raise RateLimitedError(
            "too_many_nonces",
            f"this credential holds {open_now} unused nonces; use them or let them expire",
        )
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
