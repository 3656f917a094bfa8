"""audit_head keeps the hash before the last one (prev_hash), so that one statement can
advance the chain and return both ends of the new link.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default=GENESIS)
        )
    # The head of an existing chain: its previous hash is the last entry's prev_hash.
    op.execute(
        "UPDATE audit_head SET prev_hash = COALESCE("
        "(SELECT prev_hash FROM audit_log WHERE audit_log.seq = audit_head.seq), prev_hash)"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("prev_hash")
