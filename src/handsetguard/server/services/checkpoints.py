"""Signed audit checkpoints: the audit log anchored outside the database.

A checkpoint is an ``hg1`` envelope of type ``handsetguard.audit-checkpoint.v1`` whose
payload is ``{"tree_size", "head_hash", "issued_at", "key"}`` — the number of entries, the
hash of the last one, when, and the signing key's raw public key (base64url) — signed with
a dedicated Ed25519 *audit* key (table ``audit_keys``, sealed like the signing keys; it
never signs activations, and the activation keys never sign checkpoints). Whoever keeps a
checkpoint (an auditor, a partner, a write-once bucket) can later prove that the log still
holds those entries unchanged: :func:`verify_against` re-walks the chain and requires the
entry at ``tree_size`` to carry ``head_hash``. Deleting, truncating or rewriting entries
before it — even with every hash recomputed and the head reset, as someone with write
access to the database could — no longer verifies. Entries after the newest checkpoint are
protected only by the chain itself: take checkpoints often.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import (
    EnvelopeError,
    key_id,
    open_envelope,
    raw_public_key,
    sign_envelope,
    verify_envelope,
)
from handsetguard.server.db import Database
from handsetguard.server.models import AuditHead
from handsetguard.server.models.access import AuditKey
from handsetguard.server.services import audit
from handsetguard.server.services.keys import KeyVault, refuse_unsealed_in_sealed_set

__all__ = [
    "CHECKPOINT_TYPE",
    "Checkpoint",
    "create_audit_key",
    "issue_checkpoint",
    "read_checkpoint",
    "verify_against",
]

CHECKPOINT_TYPE = "handsetguard.audit-checkpoint.v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    kid: str
    tree_size: int
    head_hash: str
    issued_at: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def create_audit_key(session: Session, vault: KeyVault, now: datetime) -> str:
    """A new audit key (the newest signs); returns its id."""
    if vault.kek is None:
        refuse_unsealed_in_sealed_set(session, "audit key", AuditKey.private_key)
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    session.add(
        AuditKey(
            kid=kid,
            public_key=_b64(raw_public_key(key.public_key())),
            private_key=vault.store(kid, key),
            created_at=now,
        )
    )
    return kid


def _signer(db: Database, vault: KeyVault, now: datetime) -> tuple[str, Ed25519PrivateKey]:
    newest = select(AuditKey.kid, AuditKey.private_key).order_by(
        AuditKey.created_at.desc(), AuditKey.kid
    )
    with db.read() as session:
        row = session.execute(newest).first()
    if row is None:  # a database from before audit keys: make its first one now
        with db.write() as session:
            row = session.execute(newest).first()
            if row is None:
                create_audit_key(session, vault, now)
                row = session.execute(newest).first()
    assert row is not None
    return str(row[0]), vault.open(str(row[0]), str(row[1]))


def issue_checkpoint(db: Database, vault: KeyVault, now: datetime) -> str:
    """The signed checkpoint of the log as it stands."""
    kid, key = _signer(db, vault, now)
    with db.read() as session:
        head = session.get(AuditHead, 1)
        size, digest = (head.seq, head.hash) if head is not None else (0, audit.GENESIS)
    payload = {
        "tree_size": int(size),
        "head_hash": digest,
        "issued_at": now.isoformat(),
        "key": _b64(raw_public_key(key.public_key())),
    }
    return sign_envelope(key, CHECKPOINT_TYPE, payload)


def read_checkpoint(text: str) -> tuple[Checkpoint, str]:
    """Verify a checkpoint by the key it names (the key id binds it); returns it and that
    public key (base64url), which the caller checks against the keys it trusts."""
    stripped = text.strip()
    if stripped.startswith("{"):
        import json

        try:
            stripped = str(json.loads(stripped)["checkpoint"])
        except (ValueError, KeyError, TypeError):
            raise EnvelopeError("malformed", "JSON without a 'checkpoint' field") from None
    payload = open_envelope(stripped).payload
    try:
        encoded = str(payload["key"])
        public = Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        )
    except (KeyError, ValueError, binascii.Error):
        raise EnvelopeError("malformed", "the checkpoint names no usable key") from None
    opened = verify_envelope(stripped, {key_id(public): public}, CHECKPOINT_TYPE)
    body: dict[str, Any] = opened.payload
    size, digest = body.get("tree_size"), body.get("head_hash")
    if not isinstance(size, int) or size < 0 or not isinstance(digest, str):
        raise EnvelopeError("malformed", "the checkpoint has no tree_size and head_hash")
    return Checkpoint(opened.kid, size, digest, str(body.get("issued_at"))), encoded


def verify_against(session: Session, text: str) -> tuple[Checkpoint, audit.ChainReport]:
    """The chain verified up to and past ``text``'s checkpoint, whose key must be one of
    this database's audit keys."""
    checkpoint, public = read_checkpoint(text)
    known = session.execute(
        select(AuditKey.public_key).where(AuditKey.kid == checkpoint.kid)
    ).scalar_one_or_none()
    if known != public:
        raise EnvelopeError(
            "unknown_key", f"the checkpoint's key {checkpoint.kid} is not an audit key here"
        )
    anchor = (checkpoint.tree_size, checkpoint.head_hash)
    return checkpoint, audit.verify_chain(session, anchor=anchor)
