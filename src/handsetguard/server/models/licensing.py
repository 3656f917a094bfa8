"""Licensor, partners (OEMs) and their agreements, with every amendment kept as a version."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, DecimalText, UTCDateTime

__all__ = ["Agreement", "AgreementVersion", "Licensor", "Partner"]


class Licensor(Base):
    __tablename__ = "licensor"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Partner(Base):
    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Agreement(Base):
    """The current terms of one licence plus its unit counter.

    ``used`` is only ever changed by the guarded update in the activation service;
    ``unit_limit`` is the quota, or ``floor(quota × overage_factor)`` when overage is allowed.
    The CHECK is the backstop should any code path forget the guard.
    """

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("used >= 0 AND used <= unit_limit", name="used_within_limit"),
        CheckConstraint("quota >= 0 AND unit_limit >= quota", name="limit_covers_quota"),
        CheckConstraint("status IN ('active', 'suspended', 'terminated')", name="status"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    modules: Mapped[list[str]] = mapped_column(JSON)
    brand_assets: Mapped[list[str]] = mapped_column(JSON)
    territories: Mapped[list[str]] = mapped_column(JSON)
    device_models: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    quota: Mapped[int] = mapped_column(Integer)
    overage_policy: Mapped[str] = mapped_column(String(8))
    overage_factor: Mapped[Decimal] = mapped_column(DecimalText())
    unit_limit: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0)
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    royalty_tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgreementVersion(Base):
    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(36))
