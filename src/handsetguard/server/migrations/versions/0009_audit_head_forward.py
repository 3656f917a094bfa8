"""The audit chain's head only moves forward, in the database itself: each UPDATE of
``audit_head`` must advance ``seq`` by exactly one and keep the old head hash as
``prev_hash``; the row cannot be deleted, and (PostgreSQL) at commit the head must name an
entry of ``audit_log`` with its sequence number and hashes. Before this, the service's own
database role could reset the head to 0 (checkpoints found it afterwards, nothing stopped
it). With the log append-only and the head forward-only, rewinding the chain needs the
owner's rights, which ``server migrate --app-role`` keeps from the service.

Revision ID: 0009_audit_head_forward
Revises: 0008_meid
Create Date: 2026-12-01 14:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0009_audit_head_forward"
down_revision = "0008_meid"
branch_labels = None
depends_on = None

_FORWARD = "audit_head may only advance by one entry"
_NO_DELETE = "audit_head cannot be deleted"
_UNANCHORED = "audit_head names no audit_log entry"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head "
            "WHEN NEW.id IS NOT OLD.id OR NEW.seq IS NOT OLD.seq + 1 "
            "OR NEW.prev_hash IS NOT OLD.hash "
            f"BEGIN SELECT RAISE(ABORT, '{_FORWARD}'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
            f"BEGIN SELECT RAISE(ABORT, '{_NO_DELETE}'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        f"RAISE EXCEPTION '{_NO_DELETE}'; END IF; "
        "IF NEW.id IS DISTINCT FROM OLD.id OR NEW.seq IS DISTINCT FROM OLD.seq + 1 "
        "OR NEW.prev_hash IS DISTINCT FROM OLD.hash THEN "
        f"RAISE EXCEPTION '{_FORWARD}'; END IF; "
        "RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_forward()"
    )
    op.execute(
        "CREATE FUNCTION audit_head_anchored() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash "
        "AND prev_hash = NEW.prev_hash) THEN "
        f"RAISE EXCEPTION '{_UNANCHORED}'; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_head_anchored AFTER UPDATE ON audit_head "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_head_anchored()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_head_anchored ON audit_head")
    op.execute("DROP TRIGGER IF EXISTS audit_head_forward ON audit_head")
    op.execute("DROP FUNCTION IF EXISTS audit_head_anchored()")
    op.execute("DROP FUNCTION IF EXISTS audit_head_forward()")
