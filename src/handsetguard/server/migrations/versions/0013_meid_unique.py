"""a MEID belongs to one unit: unique index on ``devices.meid`` (NULL, a unit without one, may
repeat), like an IMEI's uniqueness across partners. Activation reads the MEID's holder with
the serial's and the IMEIs' and refuses a second unit with ``duplicate_device`` (issue 14).

A database that already holds two units with one MEID cannot take the index: the upgrade
stops and names the MEIDs, for the operator to resolve (revoke or correct one unit) first.

Revision ID: 0013_meid_unique
Revises: 0012_registration_unit_key
Create Date: 2026-12-01 17:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_meid_unique"
down_revision = "0012_registration_unit_key"
branch_labels = None
depends_on = None

_INDEX = "ux_devices_meid"


def upgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT meid FROM devices WHERE meid IS NOT NULL GROUP BY meid HAVING count(*) > 1 "
            "ORDER BY meid LIMIT 10"
        )
    )
    meids = [row[0] for row in shared]
    if meids:
        raise RuntimeError(
            "cannot make MEIDs unique: more than one unit holds "
            + ", ".join(meids)
            + " (resolve these units first)"
        )
    op.create_index(_INDEX, "devices", ["meid"], unique=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="devices")
