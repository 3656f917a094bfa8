"""Ed25519 signing keys: create, rotate (the old key stays published as ``verify_only``),
retire, and the current signer.

Private keys are stored in the database (base64 raw bytes) so that several stateless API
processes sign with the same key; restrict access to the database accordingly. Moving them
to a KMS/HSM is a follow-up noted in docs/server.md.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import key_id, raw_public_key
from handsetguard.server.errors import ConflictError, NotFoundError, ServiceError
from handsetguard.server.models import SigningKey
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require

__all__ = [
    "PublicKeyInfo",
    "active_signer",
    "create_key",
    "load_public_key",
    "private_key",
    "public_keys",
    "retire_key",
]

_cache: dict[str, Ed25519PrivateKey] = {}
_ACTIVE = select(SigningKey.kid, SigningKey.private_key).where(SigningKey.status == "active")
_cache_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    kid: str
    public_key: str
    """Raw 32-byte Ed25519 public key, base64url without padding."""
    status: str
    created_at: datetime
    retired_at: datetime | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def create_key(session: Session, actor: Actor, now: datetime) -> str:
    """Generate a key and make it the active one; the previous active key becomes
    ``verify_only``. Returns the new key id."""
    require(actor, Role.LICENSOR_ADMIN)
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    previous = (
        session.execute(
            select(SigningKey.kid).where(SigningKey.status == "active").with_for_update()
        )
        .scalars()
        .all()
    )
    session.execute(
        update(SigningKey).where(SigningKey.status == "active").values(status="verify_only")
    )
    session.add(
        SigningKey(
            kid=kid,
            public_key=_b64(raw_public_key(key.public_key())),
            private_key=base64.b64encode(raw).decode(),
            status="active",
            created_at=now,
        )
    )
    audit.append(
        session,
        actor,
        at=now,
        action="signing_key.create" if not previous else "signing_key.rotate",
        target=("signing_key", kid),
        partner_id=None,
        before={"active": list(previous)} if previous else None,
        after={"active": kid},
    )
    return kid


def retire_key(session: Session, actor: Actor, kid: str, now: datetime) -> None:
    require(actor, Role.LICENSOR_ADMIN)
    row = session.get(SigningKey, kid, with_for_update=True)
    if row is None:
        raise NotFoundError("key_not_found", f"no signing key {kid}")
    if row.status == "active":
        raise ConflictError("key_active", "rotate to a new key before retiring the active one")
    if row.status == "retired":
        return
    row.status, row.retired_at = "retired", now
    audit.append(
        session,
        actor,
        at=now,
        action="signing_key.retire",
        target=("signing_key", kid),
        partner_id=None,
        before={"status": "verify_only"},
        after={"status": "retired"},
    )


def active_signer(session: Session | Connection) -> tuple[str, Ed25519PrivateKey]:
    row = session.execute(_ACTIVE).first()
    if row is None:
        raise ServiceError("no_signing_key", "no active signing key: run `server init`")
    return row[0], private_key(row[0], row[1])


def private_key(kid: str, encoded: str) -> Ed25519PrivateKey:
    """The key of a ``signing_keys`` row (base64 raw bytes), parsed once per process."""
    with _cache_lock:
        key = _cache.get(kid)
        if key is None:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded))
            _cache[kid] = key
    return key


def public_keys(session: Session, *, include_retired: bool = False) -> list[PublicKeyInfo]:
    query = select(SigningKey).order_by(SigningKey.created_at)
    if not include_retired:
        query = query.where(SigningKey.status != "retired")
    return [
        PublicKeyInfo(k.kid, k.public_key, k.status, k.created_at, k.retired_at)
        for k in session.execute(query).scalars()
    ]


def load_public_key(encoded: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(
        base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    )
