"""territory equipment-identity registers: licence numbers per territory, registration
batches and their units, registration state per unit, the imported IMEI blocklist.

Revision ID: 0005_registers
Revises: 0004_fleet
Create Date: 2026-12-01 11:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from handsetguard.server.models.base import UTCDateTime

revision = "0005_registers"
down_revision = "0004_fleet"
branch_labels = None
depends_on = None


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "registry_licences",
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("licence_number", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=200), nullable=False),
        _at("updated_at"),
        sa.Column("updated_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_registry_licences_agreement_id_agreements"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "territory", name=op.f("pk_registry_licences")),
    )
    op.create_table(
        "registration_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=36), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("register", sa.String(length=32), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("constants", sa.JSON(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("created_at"),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        _at("receipted_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('frozen', 'receipted')", name=op.f("ck_registration_batches_status")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_registration_batches_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_registration_batches_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_batches")),
    )
    with op.batch_alter_table("registration_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_batches_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registration_batches_partner_id"), ["partner_id"], unique=False
        )
    op.create_table(
        "registration_batch_units",
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("imei1", sa.String(length=15), nullable=False),
        sa.Column("imei2", sa.String(length=15), nullable=True),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        _at("activated_at"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["registration_batches.id"],
            name=op.f("fk_registration_batch_units_batch_id_registration_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_registration_batch_units_device_id_devices"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "position", name=op.f("pk_registration_batch_units")),
    )
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_batch_units_device_id"), ["device_id"], unique=False
        )
    op.create_table(
        "registrations",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        _at("updated_at"),
        sa.CheckConstraint(
            "state IN ('in_batch', 'registered', 'rejected')", name=op.f("ck_registrations_state")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["registration_batches.id"],
            name=op.f("fk_registrations_batch_id_registration_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_registrations_device_id_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrations_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_registrations_territory_state", ["territory", "state"], unique=False
        )
    op.create_table(
        "imei_blocklist",
        sa.Column("imei", sa.String(length=15), nullable=False),
        sa.Column("territory", sa.String(length=2), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=True),
        _at("imported_at"),
        sa.Column("imported_by", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("imei", name=op.f("pk_imei_blocklist")),
    )


def downgrade() -> None:
    op.drop_table("imei_blocklist")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_territory_state")
        batch_op.drop_index(batch_op.f("ix_registrations_batch_id"))
    op.drop_table("registrations")
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_batch_units_device_id"))
    op.drop_table("registration_batch_units")
    with op.batch_alter_table("registration_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_batches_partner_id"))
        batch_op.drop_index(batch_op.f("ix_registration_batches_agreement_id"))
    op.drop_table("registration_batches")
    op.drop_table("registry_licences")
