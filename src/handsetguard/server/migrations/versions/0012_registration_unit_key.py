"""a registration names a unit of its batch: ``registrations`` (device_id, batch_id) references
``registration_batch_units`` (device_id, batch_id), unique there, instead of referencing
``devices`` and ``registration_batches`` each. Stronger (a registration can no longer name a
batch its unit is not in) and one foreign-key check per frozen unit instead of two: on
PostgreSQL each check locks the referenced row and writes a WAL record, and the two checks
were half the time of freezing a 100,000-unit batch (issue 14).

Revision ID: 0012_registration_unit_key
Revises: 0011_fleet_golden
Create Date: 2026-12-01 17:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0012_registration_unit_key"
down_revision = "0011_fleet_golden"
branch_labels = None
depends_on = None

_UNIT_KEY = "ux_registration_batch_units_device_batch"
_FK = "fk_registrations_device_id_registration_batch_units"


def upgrade() -> None:
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_batch_units_device_id")
        batch_op.create_index(_UNIT_KEY, ["device_id", "batch_id"], unique=True)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_registrations_device_id_devices", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_registrations_batch_id_registration_batches", type_="foreignkey"
        )
        batch_op.create_foreign_key(
            _FK, "registration_batch_units", ["device_id", "batch_id"], ["device_id", "batch_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_registrations_batch_id_registration_batches",
            "registration_batches",
            ["batch_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_registrations_device_id_devices", "devices", ["device_id"], ["id"]
        )
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_index(_UNIT_KEY)
        batch_op.create_index("ix_registration_batch_units_device_id", ["device_id"], unique=False)
