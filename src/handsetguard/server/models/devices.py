"""Devices, their IMEIs (one namespace for IMEI 1 and 2), signed activations, nonces, notes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, DecimalText, UTCDateTime

__all__ = ["Activation", "Device", "DeviceImei", "DeviceNote", "Nonce"]


class Device(Base):
    """A serial is unique per partner (two OEMs may number their units alike); an IMEI is
    unique everywhere (:class:`DeviceImei`), and so is a MEID."""

    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("partner_id", "serial", name="uq_devices_partner_serial"),
        Index("ux_devices_meid", "meid", unique=True),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    serial: Mapped[str] = mapped_column(String(64))
    imei1: Mapped[str] = mapped_column(String(15))
    imei2: Mapped[str | None] = mapped_column(String(15), nullable=True)
    meid: Mapped[str | None] = mapped_column(String(14), nullable=True)
    """CDMA equipment id when the unit has one: 14 upper-case hex digits, no check digit."""
    model_code: Mapped[str] = mapped_column(String(64))
    territory: Mapped[str] = mapped_column(String(2))
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    factory_line: Mapped[str | None] = mapped_column(String(64), nullable=True)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(16))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Free text for the tenant and the licensor; never published."""
    revoke_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The reason code the public revocation list carries (schemas.devices.REVOKE_CODES)."""


class DeviceImei(Base):
    """Every IMEI of every device, primary key: no IMEI can belong to two units."""

    __tablename__ = "device_imeis"
    imei: Mapped[str] = mapped_column(String(15), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)


class Activation(Base):
    """The signed proof for one device; ``seq`` is the counter value it took (1-based)."""

    __tablename__ = "activations"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), unique=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    agreement_version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    overage: Mapped[bool] = mapped_column(Boolean)
    territory: Mapped[str] = mapped_column(String(2))
    model_code: Mapped[str] = mapped_column(String(64))
    unit_rate: Mapped[Decimal] = mapped_column(DecimalText())
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    credential_id: Mapped[str] = mapped_column(String(36))
    kid: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(Text)
    attested: Mapped[bool] = mapped_column(Boolean, default=False)


class Nonce(Base):
    __tablename__ = "nonces"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(36), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DeviceNote(Base):
    __tablename__ = "device_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(36))
