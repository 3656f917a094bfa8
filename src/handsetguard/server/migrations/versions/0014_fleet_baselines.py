"""the report hot path reads a unit's baseline summary from ``fleet_baselines`` (one row per
unit with a baseline, by its key) and the first fingerprint seen from
``fleet_units.first_fingerprint``, instead of joining the reports' monthly partitions:
PostgreSQL sets up every partition of a generic plan on each execution, whatever it prunes.
Both are filled from the reports already stored.

Revision ID: 0014_fleet_baselines
Revises: 0013_meid_unique
Create Date: 2026-12-02 03:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handsetguard.server.models.base

revision = "0014_fleet_baselines"
down_revision = "0013_meid_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_baselines",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column(
            "received_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("os_patch", sa.String(length=10), nullable=True),
        sa.Column("vendor_patch", sa.String(length=10), nullable=True),
        sa.Column("fingerprint", sa.String(length=200), nullable=True),
        sa.Column("components_sha256", sa.String(length=64), nullable=True),
        sa.Column("threats", sa.JSON(), nullable=True),
        sa.Column("has_document", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_fleet_baselines_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_fleet_baselines")),
    )
    with op.batch_alter_table("fleet_units") as batch:
        batch.add_column(sa.Column("first_fingerprint", sa.String(length=200), nullable=True))
    op.execute(
        "INSERT INTO fleet_baselines (device_id, report_id, received_at, checks, os_patch,"
        " vendor_patch, fingerprint, components_sha256, threats, has_document)"
        " SELECT u.device_id, b.id, b.received_at, b.checks, b.os_patch, b.vendor_patch,"
        " b.fingerprint, b.components_sha256, b.threats, b.document IS NOT NULL"
        " FROM fleet_units u JOIN fleet_reports b ON b.id = u.baseline_report_id"
        " AND b.received_at = u.baseline_received_at"
    )
    op.execute(
        "UPDATE fleet_units SET first_fingerprint = (SELECT f.fingerprint FROM fleet_reports f"
        " WHERE f.device_id = fleet_units.device_id AND f.fingerprint IS NOT NULL"
        " ORDER BY f.received_at LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("fleet_units") as batch:
        batch.drop_column("first_fingerprint")
    op.drop_table("fleet_baselines")
