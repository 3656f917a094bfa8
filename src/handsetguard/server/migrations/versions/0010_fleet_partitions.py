"""fleet reports partitioned by month on PostgreSQL (declarative ``PARTITION BY RANGE
(received_at)``, one partition per UTC month, named ``fleet_reports_yYYYYmMM``; the primary
key (id, received_at) includes the partition key), created from the oldest stored report's
month (a year back at least) to three months ahead (the fleet worker and the ingestion path
create later ones). SQLite keeps a plain table. Every report also gets ``components_sha256``
(a digest of what the component regressions depend on) and ``threats`` (its threat
packages), and each unit ``baseline_received_at`` (its baseline is read from one partition).

Revision ID: 0010_fleet_partitions
Revises: 0009_audit_head_forward
Create Date: 2026-12-01 14:45:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import handsetguard.server.models.base

revision = "0010_fleet_partitions"
down_revision = "0009_audit_head_forward"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_fleet_reports_device_received", "(device_id, received_at)"),
    ("ix_fleet_reports_partner_id", "(partner_id)"),
)


def _months(first: datetime, last: datetime) -> list[tuple[int, int]]:
    year, month, out = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _partition(year: int, month: int) -> str:
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    return (
        f"CREATE TABLE fleet_reports_y{year:04d}m{month:02d} PARTITION OF fleet_reports"
        f" FOR VALUES FROM ('{year:04d}-{month:02d}-01 00:00:00+00')"
        f" TO ('{following[0]:04d}-{following[1]:02d}-01 00:00:00+00')"
    )


def _partition_postgresql() -> None:
    bind = op.get_bind()
    op.execute("ALTER TABLE fleet_reports RENAME TO fleet_reports_plain")
    op.execute("ALTER TABLE fleet_reports_plain RENAME CONSTRAINT pk_fleet_reports TO pk_plain")
    for name, _ in _INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_plain")
    op.execute(
        "CREATE TABLE fleet_reports (LIKE fleet_reports_plain INCLUDING DEFAULTS)"
        " PARTITION BY RANGE (received_at)"
    )
    op.execute(
        "ALTER TABLE fleet_reports ADD CONSTRAINT pk_fleet_reports PRIMARY KEY (id, received_at)"
    )
    for name, columns in _INDEXES:
        op.execute(f"CREATE INDEX {name} ON fleet_reports {columns}")
    now = datetime.now(UTC)
    oldest = bind.execute(sa.text("SELECT min(received_at) FROM fleet_reports_plain")).scalar()
    year_ago = datetime(now.year - 1, now.month, 1, tzinfo=UTC)
    first = min(oldest, year_ago) if oldest is not None else year_ago
    ahead = datetime(now.year + (now.month + 2) // 12, (now.month + 2) % 12 + 1, 1, tzinfo=UTC)
    for year, month in _months(first, ahead):
        op.execute(_partition(year, month))
    op.execute("INSERT INTO fleet_reports SELECT * FROM fleet_reports_plain")
    op.execute("DROP TABLE fleet_reports_plain")


def _unpartition_postgresql() -> None:
    op.execute("ALTER TABLE fleet_reports RENAME TO fleet_reports_parted")
    op.execute("ALTER TABLE fleet_reports_parted RENAME CONSTRAINT pk_fleet_reports TO pk_parted")
    for name, _ in _INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_parted")
    op.execute("CREATE TABLE fleet_reports (LIKE fleet_reports_parted INCLUDING DEFAULTS)")
    op.execute(
        "ALTER TABLE fleet_reports ADD CONSTRAINT pk_fleet_reports PRIMARY KEY (id, received_at)"
    )
    for name, columns in _INDEXES:
        op.execute(f"CREATE INDEX {name} ON fleet_reports {columns}")
    op.execute("INSERT INTO fleet_reports SELECT * FROM fleet_reports_parted")
    op.execute("DROP TABLE fleet_reports_parted")  # and its partitions


def upgrade() -> None:
    with op.batch_alter_table("fleet_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("components_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("threats", sa.JSON(), nullable=True))
    with op.batch_alter_table("fleet_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "baseline_received_at",
                handsetguard.server.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.execute(
        "UPDATE fleet_units SET baseline_received_at = (SELECT received_at FROM fleet_reports"
        " WHERE fleet_reports.id = fleet_units.baseline_report_id)"
        " WHERE baseline_report_id IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_postgresql()
    with op.batch_alter_table("fleet_units", schema=None) as batch_op:
        batch_op.drop_column("baseline_received_at")
    with op.batch_alter_table("fleet_reports", schema=None) as batch_op:
        batch_op.drop_column("threats")
        batch_op.drop_column("components_sha256")
