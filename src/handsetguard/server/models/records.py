"""The hash-chained audit log, the revocation list's sequence, and royalty period closures
and adjustments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, DecimalText, UTCDateTime

__all__ = ["AuditEntry", "AuditHead", "RevocationHead", "RoyaltyAdjustment", "RoyaltyClosure"]


class AuditEntry(Base):
    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(36))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row (id 1): the chain's last sequence number and hash, and the hash before it.
    Appenders lock it, so the chain stays linear with several API processes."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), server_default="0" * 64)


class RevocationHead(Base):
    """One row (id 1): the revocation list's sequence number, raised by every change of what
    the list carries (a device revoked, an agreement's status changed)."""

    __tablename__ = "revocation_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)


class RoyaltyClosure(Base):
    __tablename__ = "royalty_closures"
    __table_args__ = (UniqueConstraint("agreement_id", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    period: Mapped[str] = mapped_column(String(7))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)


class RoyaltyAdjustment(Base):
    __tablename__ = "royalty_adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    refers_to_period: Mapped[str] = mapped_column(String(7))
    units: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(DecimalText())
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(36))
