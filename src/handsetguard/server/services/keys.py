"""Ed25519 signing keys: create, rotate (the old key stays published as ``verify_only``),
retire, and the current signer.

Private keys are stored in the database so that several stateless API processes sign with
the same key, sealed under a key-encryption key kept outside it (core/kek.py: a file today,
a KMS/HSM behind the same interface later). Storing a key unsealed (base64 raw bytes) needs
an explicit ``unsafe_unsealed`` (``--unsafe-unsealed-keys``), and is refused even then in a
set whose keys are sealed.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from handsetguard.server.core import keywrap
from handsetguard.server.core.envelope import key_id, raw_public_key
from handsetguard.server.core.kek import FileKek, KeyEncryptionKey, configured_kek
from handsetguard.server.errors import (
    ConflictError,
    NotFoundError,
    ServiceError,
    UnavailableError,
)
from handsetguard.server.models import SigningKey
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require

__all__ = [
    "KeyVault",
    "PublicKeyInfo",
    "active_signer",
    "create_key",
    "load_public_key",
    "public_keys",
    "refuse_unsealed_in_sealed_set",
    "retire_key",
    "seal_keys",
]

_ACTIVE = select(SigningKey.kid, SigningKey.private_key).where(SigningKey.status == "active")


class _RawKek:
    """A KEK given as its 32 bytes (tests, tools)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @property
    def where(self) -> str:
        return "the given key"

    def seal(self, kid: str, raw: bytes) -> str:
        return keywrap.seal(self._key, kid, raw)

    def unseal(self, kid: str, stored: str) -> bytes:
        return keywrap.unseal(self._key, kid, stored)


class KeyVault:
    """Seals private keys for storage and opens them for signing (each once per process).
    ``kek`` is the key-encryption key; without one a new key is refused unless
    ``unsafe_unsealed`` says to store it unsealed."""

    def __init__(
        self, kek: KeyEncryptionKey | bytes | None = None, *, unsafe_unsealed: bool = False
    ) -> None:
        self.kek: KeyEncryptionKey | None = _RawKek(kek) if isinstance(kek, bytes) else kek
        self.unsafe_unsealed = unsafe_unsealed
        self._opened: dict[str, Ed25519PrivateKey] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls, path: str | None, *, unsafe_unsealed: bool = False, create: bool = False
    ) -> KeyVault:
        """The KEK file ``path``, else the default one (core/kek.py; created when ``create``).
        Raises :class:`keywrap.KeyFileError` naming the file when it is unusable."""
        kek, _ = configured_kek(path, create=create)
        return cls(kek, unsafe_unsealed=unsafe_unsealed)

    @property
    def where(self) -> str | None:
        """Where the KEK is (``file PATH``), or None."""
        return None if self.kek is None else self.kek.where

    @property
    def kek_path(self) -> Path | None:
        return self.kek.path if isinstance(self.kek, FileKek) else None

    def store(self, kid: str, key: Ed25519PrivateKey) -> str:
        raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        if self.kek is not None:
            return self.kek.seal(kid, raw)
        if not self.unsafe_unsealed:
            raise ServiceError(
                "no_key_encryption_key",
                "no key-encryption key is configured: a new private key would be stored "
                "unsealed in the database",
                remediation="set HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE (server new-key-file "
                "PATH writes one), or pass --unsafe-unsealed-keys to accept the risk",
            )
        return base64.b64encode(raw).decode()

    def open(self, kid: str, stored: str) -> Ed25519PrivateKey:
        with self._lock:
            key = self._opened.get(kid)
        if key is not None:
            return key
        if not keywrap.is_sealed(stored):
            raw = base64.b64decode(stored)
        elif self.kek is None:
            raise UnavailableError(
                "signing_key_sealed",
                f"signing key {kid} is sealed and no key-encryption key is configured",
                remediation="set HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE to its key file",
            )
        else:
            try:
                raw = self.kek.unseal(kid, stored)
            except ValueError as exc:
                raise UnavailableError("signing_key_unreadable", str(exc)) from None
        key = Ed25519PrivateKey.from_private_bytes(raw)
        with self._lock:
            self._opened[kid] = key
        return key


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


def create_key(session: Session, actor: Actor, now: datetime, vault: KeyVault) -> str:
    """Generate a key and make it the active one; the previous active key becomes
    ``verify_only``. Returns the new key id."""
    require(actor, Role.LICENSOR_ADMIN)
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    if vault.kek is None:
        refuse_unsealed_in_sealed_set(session, "signing key", SigningKey.private_key)
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
            private_key=vault.store(kid, key),
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


def refuse_unsealed_in_sealed_set(session: Session, what: str, column: Any) -> None:
    """Refuse to add an unsealed key where the stored keys are sealed: it would silently
    become the weakest link (and the active key)."""
    stored = session.execute(select(column)).scalars().all()
    if any(keywrap.is_sealed(v) for v in stored):
        raise ConflictError(
            "sealed_key_set",
            f"the stored keys are sealed and no key-encryption key is configured: "
            f"refusing to add an unsealed {what}",
            remediation="set HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE to the file that seals them",
        )


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


def active_signer(session: Session | Connection, vault: KeyVault) -> tuple[str, Ed25519PrivateKey]:
    row = session.execute(_ACTIVE).first()
    if row is None:
        raise ServiceError("no_signing_key", "no active signing key: run `server init`")
    return row[0], vault.open(row[0], row[1])


def seal_keys(session: Session, actor: Actor, now: datetime, vault: KeyVault) -> list[str]:
    """Seal every key still stored unsealed (retired ones too) under the vault's KEK;
    returns their ids."""
    require(actor, Role.LICENSOR_ADMIN)
    if vault.kek is None:
        raise ServiceError("no_key_encryption_key", "no key-encryption key is configured")
    rows = session.execute(select(SigningKey).with_for_update()).scalars().all()
    sealed = []
    for row in rows:
        if keywrap.is_sealed(row.private_key):
            continue
        row.private_key = vault.store(row.kid, vault.open(row.kid, row.private_key))
        sealed.append(row.kid)
    if sealed:
        audit.append(
            session,
            actor,
            at=now,
            action="signing_key.seal",
            target=("signing_key", "*"),
            partner_id=None,
            after={"sealed": sealed},
        )
    return sealed


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
