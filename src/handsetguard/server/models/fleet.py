"""Fleet posture after activation: reports and attested check-ins per unit, the unit's
maintained posture row and roll-up counts, alerts, partner webhooks and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from handsetguard.server.models.base import Base, UTCDateTime

__all__ = [
    "Alert",
    "CheckIn",
    "CheckInChallenge",
    "FleetCount",
    "FleetGolden",
    "FleetPolicy",
    "FleetUnit",
    "PostureReport",
    "Webhook",
    "WebhookDelivery",
]


class PostureReport(Base):
    """One uploaded JSON report: its summary in columns, the whole document gzipped (dropped
    by the retention policy, except a baseline's). On PostgreSQL the table is partitioned by
    month of ``received_at`` (hence the two-column primary key; migration 0010 and
    services/report_partitions.py)."""

    __tablename__ = "fleet_reports"
    __table_args__ = (
        Index("ix_fleet_reports_device_received", "device_id", "received_at"),
        {"postgresql_partition_by": "RANGE (received_at)"},
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    credential_id: Mapped[str] = mapped_column(String(36))
    sender_role: Mapped[str] = mapped_column(String(20))
    input_kind: Mapped[str] = mapped_column(String(32))
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    profile: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gate_verdict: Mapped[str | None] = mapped_column(String(8), nullable=True)
    checks: Mapped[dict[str, str]] = mapped_column(JSON)
    os_patch: Mapped[str | None] = mapped_column(String(10), nullable=True)
    vendor_patch: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    threat_count: Mapped[int] = mapped_column(Integer, default=0)
    doc_sha256: Mapped[str] = mapped_column(String(64))
    doc_bytes: Mapped[int] = mapped_column(Integer)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    components_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Digest of what the component regressions depend on (services/report_facts.py): equal
    to the baseline's, the two documents need no diff."""
    threats: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    """The packages of the report's threat findings."""


class CheckInChallenge(Base):
    """A single-use challenge for one unit's attested check-in."""

    __tablename__ = "fleet_challenges"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36), index=True)
    credential_id: Mapped[str] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CheckIn(Base):
    """One attested check-in: the facts the hardware attested (tier ``attested``) and the ones
    the OS reported beside them (tier ``os``), or why verification failed."""

    __tablename__ = "fleet_checkins"
    __table_args__ = (Index("ix_fleet_checkins_device_received", "device_id", "received_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    credential_id: Mapped[str] = mapped_column(String(36))
    verified: Mapped[bool] = mapped_column(Boolean)
    failure: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attested: Mapped[dict[str, Any]] = mapped_column(JSON)
    os_reported: Mapped[dict[str, Any]] = mapped_column(JSON)


class FleetUnit(Base):
    """The maintained posture of one activated unit (one row per unit that reported)."""

    __tablename__ = "fleet_units"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), index=True)
    model_code: Mapped[str] = mapped_column(String(64))
    territory: Mapped[str] = mapped_column(String(2))
    baseline_report_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    baseline_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_report_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    last_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_checkin_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    last_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    level: Mapped[str] = mapped_column(String(16))
    patch_month: Mapped[str | None] = mapped_column(String(7), nullable=True)
    stale_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    first_fingerprint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The build fingerprint of the first report that had one (clones.py, rule 2)."""


class FleetBaseline(Base):
    """The summary of a unit's baseline report, kept beside the reports so that the report hot
    path reads it by the unit's key, not from the reports' monthly partitions (which
    PostgreSQL would have to set up, all of them, on every execution of a generic plan)."""

    __tablename__ = "fleet_baselines"
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checks: Mapped[dict[str, str]] = mapped_column(JSON)
    os_patch: Mapped[str | None] = mapped_column(String(10), nullable=True)
    vendor_patch: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(200), nullable=True)
    components_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    threats: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    has_document: Mapped[bool] = mapped_column(Boolean)


class FleetCount(Base):
    """Roll-up of fleet_units kept in step on every change, so the overview reads a few
    hundred rows instead of scanning a million units."""

    __tablename__ = "fleet_counts"
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    territory: Mapped[str] = mapped_column(String(2), primary_key=True)
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    patch_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)


class FleetGolden(Base):
    """A partner's model's golden baseline: what its golden units (whose factory gate
    baseline passed the gate) share, recomputed by the fleet worker (services/golden.py)."""

    __tablename__ = "fleet_golden"
    partner_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    golden_units: Mapped[int] = mapped_column(Integer)
    checks: Mapped[dict[str, int]] = mapped_column(JSON)
    """Per check id: on how many golden units it passed."""
    expected_checks: Mapped[list[str]] = mapped_column(JSON)
    """The checks that pass on the model's golden units (golden.EXPECTED_SHARE of them)."""
    fingerprints: Mapped[dict[str, int]] = mapped_column(JSON)
    """Build fingerprints of the golden units' baselines, with how many had each."""
    os_patch_min: Mapped[str | None] = mapped_column(String(10), nullable=True)
    os_patch_max: Mapped[str | None] = mapped_column(String(10), nullable=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FleetPolicy(Base):
    """Per agreement: how long a unit may stay silent before it is stale."""

    __tablename__ = "fleet_policies"
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    stale_after_hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Alert(Base):
    """An alert about one unit. ``open_key`` is set while the alert is open (unit, kind,
    reason): a UNIQUE column, so the same condition raised twice — by two processes at once
    too — stays one alert; it is cleared on acknowledgement."""

    __tablename__ = "fleet_alerts"
    __table_args__ = (Index("ix_fleet_alerts_partner_status", "partner_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(16))
    open_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class Webhook(Base):
    __tablename__ = "fleet_webhooks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(36))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(Base):
    """One event to one webhook (an outbox row written with the alert), and what came of it."""

    __tablename__ = "fleet_deliveries"
    __table_args__ = (Index("ix_fleet_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("fleet_webhooks.id"), index=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("fleet_alerts.id"), index=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
