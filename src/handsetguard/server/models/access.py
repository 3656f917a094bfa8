"""API credentials (hashed secrets, role, scope, expiry, revocation), signing keys, the audit
checkpoint key and the shared rate-limit buckets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, UTCDateTime

__all__ = ["AuditKey", "Credential", "RateBucket", "SigningKey"]


class Credential(Base):
    """``secret_hash`` is SHA-256 of a 256-bit random secret: high entropy, so a fast hash is
    enough (no password stretching needed) and lookups stay cheap on every request."""

    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint(
            "role IN ('licensor_admin', 'partner_admin', 'factory', 'support', 'auditor')",
            name="role",
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"), nullable=True)
    model_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    factory_line: Mapped[str | None] = mapped_column(String(64), nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    """The issuing credential: revoking it revokes this one, and this one never outlives it."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SigningKey(Base):
    """Ed25519 keys. ``active``: signs new activations (exactly one); ``verify_only``: rotated
    out but still published for verification; ``retired``: no longer trusted."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'verify_only', 'retired')", name="status"),
    )
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditKey(Base):
    """Ed25519 keys that sign audit checkpoints only (never activations), stored like the
    signing keys (sealed under the key-encryption key). The newest one signs."""

    __tablename__ = "audit_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateBucket(Base):
    """A token bucket shared by every API process: ``tokens`` left at ``updated_at`` (Unix
    seconds, wall clock)."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
