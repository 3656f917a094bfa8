"""a unit's MEID (optional, given at activation; 14 upper-case hex digits, check digit
dropped) on ``devices``, and frozen with each unit of a registration batch, for registers
whose layout takes it (issue 14).

Revision ID: 0008_meid
Revises: 0007_serial_lookup
Create Date: 2026-12-01 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_meid"
down_revision = "0007_serial_lookup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meid", sa.String(length=14), nullable=True))
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meid", sa.String(length=14), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_column("meid")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("meid")
