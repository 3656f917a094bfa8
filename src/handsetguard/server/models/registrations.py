"""Territory equipment-identity registers: the partner's licence number per territory, frozen
registration batches and their units, each unit's registration state, the imported IMEI
blocklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, UTCDateTime
from handsetguard.server.models.devices import Device

__all__ = ["BatchUnit", "BlockedImei", "Registration", "RegistrationBatch", "RegistryLicence"]


class RegistryLicence(Base):
    """The partner's vendor/importer licence number with a territory's register, as recorded
    in the agreement; ``brand`` is the brand name the register knows the partner by."""

    __tablename__ = "registry_licences"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    territory: Mapped[str] = mapped_column(String(2), primary_key=True)
    licence_number: Mapped[str] = mapped_column(String(64))
    brand: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(36))


class RegistrationBatch(Base):
    """A frozen set of units for one register: the layout and constants it was frozen with and
    ``content_hash`` (SHA-256 of the canonical rows), so a re-export gives the same bytes."""

    __tablename__ = "registration_batches"
    __table_args__ = (CheckConstraint("status IN ('frozen', 'receipted')", name="status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), index=True)
    territory: Mapped[str] = mapped_column(String(2))
    register: Mapped[str] = mapped_column(String(32))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    constants: Mapped[dict[str, Any]] = mapped_column(JSON)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    unit_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(36))
    receipted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BatchUnit(Base):
    """One unit of a batch, its identifiers as frozen (``position`` orders the file). A unit
    is in a batch at most once; (``device_id``, ``batch_id``) is what a registration names.

    Frozen in the database: rows are never updated or deleted, and each names an existing
    device and batch — held by triggers (migration 0012), not foreign keys, which cost a row
    lock per unit on PostgreSQL; devices and batches are never deleted nor re-keyed, so the
    triggers need no lock."""

    __tablename__ = "registration_batch_units"
    __table_args__ = (
        Index("ux_registration_batch_units_device_batch", "device_id", "batch_id", unique=True),
    )
    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    serial: Mapped[str] = mapped_column(String(64))
    imei1: Mapped[str] = mapped_column(String(15))
    imei2: Mapped[str | None] = mapped_column(String(15), nullable=True)
    model_code: Mapped[str] = mapped_column(String(64))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    meid: Mapped[str | None] = mapped_column(String(14), nullable=True)


class Registration(Base):
    """A unit's state with its territory's register; no row means ``unregistered``.

    Its (``device_id``, ``batch_id``) must be a unit of that batch (a trigger holds it,
    migration 0012): stronger than naming a device and a batch each, since a registration
    cannot name a batch its unit is not in."""

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint("state IN ('in_batch', 'registered', 'rejected')", name="state"),
    )
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    territory: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(12))
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    reference: Mapped[str | None] = mapped_column(String(128), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlockedImei(Base):
    """An IMEI reported lost or stolen (imported from a national system's export): refused at
    activation with ``imei_blocklisted``."""

    __tablename__ = "imei_blocklist"
    imei: Mapped[str] = mapped_column(String(15), primary_key=True)
    territory: Mapped[str | None] = mapped_column(String(2), nullable=True)
    source: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(36))


# The ship gate's and support desk's lookup of a unit by serial across partners: a serial is
# unique per partner only, and the (partner_id, serial) index cannot serve it (0007).
Index("ix_devices_serial", Device.serial)
