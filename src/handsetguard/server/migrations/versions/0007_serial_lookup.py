"""an index on devices.serial alone: the ship gate's and support desk's lookup of a unit by
serial across partners (serials are unique per partner only, and the (partner_id, serial)
index cannot serve it).

Revision ID: 0007_serial_lookup
Revises: 0006_hardening
Create Date: 2026-12-01 12:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0007_serial_lookup"
down_revision = "0006_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index("ix_devices_serial", ["serial"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_serial")
