"""hardening (issue 12): serials unique per partner; a revocation reason code; the revocation
list's sequence; the audit checkpoint key; the database-backed rate limit; indexes for the
credential cascade and the nonce purge; credentials minted by a revoked or expiring issuer
brought in line with it.

Revision ID: 0006_hardening
Revises: 0005_registers
Create Date: 2026-12-01 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import handsetguard.server.models.base

revision = "0006_hardening"
down_revision = "0005_registers"
branch_labels = None
depends_on = None

UTC_TIME = handsetguard.server.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint("uq_devices_serial", type_="unique")
        batch_op.create_unique_constraint("uq_devices_partner_serial", ["partner_id", "serial"])
        batch_op.add_column(sa.Column("revoke_code", sa.String(length=32), nullable=True))
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index("ix_credentials_created_by", ["created_by"], unique=False)
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.create_index("ix_nonces_expires_at", ["expires_at"], unique=False)
    op.create_table(
        "revocation_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revocation_head")),
    )
    op.execute("INSERT INTO revocation_head (id, seq) VALUES (1, 0)")
    op.create_table(
        "audit_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_audit_keys")),
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
    )
    # Credentials issued by a revoked credential are revoked with it, and none outlives its
    # issuer's expiry (issuers are at most a few levels deep: repeat until nothing changes).
    for _ in range(4):
        op.execute(
            "UPDATE credentials SET revoked_at = (SELECT p.revoked_at FROM credentials p"
            " WHERE p.id = credentials.created_by) WHERE revoked_at IS NULL AND EXISTS"
            " (SELECT 1 FROM credentials p WHERE p.id = credentials.created_by"
            " AND p.revoked_at IS NOT NULL)"
        )
        op.execute(
            "UPDATE credentials SET expires_at = (SELECT p.expires_at FROM credentials p"
            " WHERE p.id = credentials.created_by) WHERE EXISTS (SELECT 1 FROM credentials p"
            " WHERE p.id = credentials.created_by AND p.expires_at IS NOT NULL"
            " AND (credentials.expires_at IS NULL OR credentials.expires_at > p.expires_at))"
        )


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("audit_keys")
    op.drop_table("revocation_head")
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_nonces_expires_at")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_created_by")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("revoke_code")
        batch_op.drop_constraint("uq_devices_partner_serial", type_="unique")
        batch_op.create_unique_constraint("uq_devices_serial", ["serial"])
