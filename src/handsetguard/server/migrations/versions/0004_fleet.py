"""fleet posture: reports, attested check-ins and challenges, per-unit posture and roll-up
counts, per-agreement staleness policy, alerts, partner webhooks and their deliveries.

Revision ID: 0004_fleet
Revises: 0002
Create Date: 2026-12-01 11:37:21.954762
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handsetguard.server.models.base

revision = "0004_fleet"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_challenges",
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column(
            "issued_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "used_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_fleet_challenges")),
    )
    with op.batch_alter_table("fleet_challenges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_challenges_device_id"), ["device_id"], unique=False
        )

    op.create_table(
        "fleet_checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column(
            "received_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("attested", sa.JSON(), nullable=False),
        sa.Column("os_reported", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_checkins")),
    )
    with op.batch_alter_table("fleet_checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fleet_checkins_device_received", ["device_id", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fleet_checkins_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "fleet_counts",
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("patch_month", sa.String(length=7), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "partner_id",
            "model_code",
            "territory",
            "level",
            "patch_month",
            name=op.f("pk_fleet_counts"),
        ),
    )
    op.create_table(
        "fleet_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "received_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("sender_role", sa.String(length=20), nullable=False),
        sa.Column("input_kind", sa.String(length=32), nullable=False),
        sa.Column(
            "acquired_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("gate_verdict", sa.String(length=8), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("os_patch", sa.String(length=10), nullable=True),
        sa.Column("vendor_patch", sa.String(length=10), nullable=True),
        sa.Column("fingerprint", sa.String(length=200), nullable=True),
        sa.Column("threat_count", sa.Integer(), nullable=False),
        sa.Column("doc_sha256", sa.String(length=64), nullable=False),
        sa.Column("doc_bytes", sa.Integer(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", "received_at", name=op.f("pk_fleet_reports")),
    )
    with op.batch_alter_table("fleet_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_fleet_reports_device_received", ["device_id", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fleet_reports_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "fleet_webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_fleet_webhooks_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_webhooks")),
    )
    with op.batch_alter_table("fleet_webhooks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_webhooks_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "fleet_policies",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("stale_after_hours", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_fleet_policies_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_fleet_policies")),
    )
    op.create_table(
        "fleet_alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column(
            "raised_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column(
            "acknowledged_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("acknowledged_by", sa.String(length=36), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_fleet_alerts_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_alerts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_fleet_alerts_open_key")),
    )
    with op.batch_alter_table("fleet_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_alerts_device_id"), ["device_id"], unique=False)
        batch_op.create_index(
            "ix_fleet_alerts_partner_status", ["partner_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fleet_alerts_raised_at"), ["raised_at"], unique=False)

    op.create_table(
        "fleet_units",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("baseline_report_id", sa.String(length=36), nullable=True),
        sa.Column("last_report_id", sa.String(length=36), nullable=True),
        sa.Column(
            "last_report_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("last_checkin_id", sa.String(length=36), nullable=True),
        sa.Column(
            "last_checkin_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "last_seen_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("patch_month", sa.String(length=7), nullable=True),
        sa.Column("stale_alerted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_fleet_units_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_fleet_units")),
    )
    with op.batch_alter_table("fleet_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_units_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fleet_units_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "fleet_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("webhook_id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "next_attempt_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "lease_until", handsetguard.server.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column(
            "delivered_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["fleet_alerts.id"],
            name=op.f("fk_fleet_deliveries_alert_id_fleet_alerts"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["fleet_webhooks.id"],
            name=op.f("fk_fleet_deliveries_webhook_id_fleet_webhooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_deliveries")),
    )
    with op.batch_alter_table("fleet_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_deliveries_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            "ix_fleet_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fleet_deliveries_webhook_id"), ["webhook_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fleet_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_deliveries_webhook_id"))
        batch_op.drop_index("ix_fleet_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_fleet_deliveries_alert_id"))

    op.drop_table("fleet_deliveries")
    with op.batch_alter_table("fleet_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_units_partner_id"))
        batch_op.drop_index(batch_op.f("ix_fleet_units_last_seen_at"))

    op.drop_table("fleet_units")
    with op.batch_alter_table("fleet_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_alerts_raised_at"))
        batch_op.drop_index("ix_fleet_alerts_partner_status")
        batch_op.drop_index(batch_op.f("ix_fleet_alerts_device_id"))

    op.drop_table("fleet_alerts")
    op.drop_table("fleet_policies")
    with op.batch_alter_table("fleet_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_webhooks_partner_id"))

    op.drop_table("fleet_webhooks")
    with op.batch_alter_table("fleet_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_reports_partner_id"))
        batch_op.drop_index("ix_fleet_reports_device_received")

    op.drop_table("fleet_reports")
    op.drop_table("fleet_counts")
    with op.batch_alter_table("fleet_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_checkins_partner_id"))
        batch_op.drop_index("ix_fleet_checkins_device_received")

    op.drop_table("fleet_checkins")
    with op.batch_alter_table("fleet_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_challenges_device_id"))

    op.drop_table("fleet_challenges")
