"""per-model golden baseline (services/golden.py): for each partner's model, what its golden
units — units whose factory gate baseline passed the gate — share: how many there are, the
checks that pass on them, their build fingerprints and patch levels.

Revision ID: 0011_fleet_golden
Revises: 0010_fleet_partitions
Create Date: 2026-12-01 15:12:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handsetguard.server.models.base

revision = "0011_fleet_golden"
down_revision = "0010_fleet_partitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_golden",
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("golden_units", sa.Integer(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("expected_checks", sa.JSON(), nullable=False),
        sa.Column("fingerprints", sa.JSON(), nullable=False),
        sa.Column("os_patch_min", sa.String(length=10), nullable=True),
        sa.Column("os_patch_max", sa.String(length=10), nullable=True),
        sa.Column(
            "refreshed_at",
            handsetguard.server.models.base.UTCDateTime(timezone=True),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("partner_id", "model_code", name=op.f("pk_fleet_golden")),
    )


def downgrade() -> None:
    op.drop_table("fleet_golden")
