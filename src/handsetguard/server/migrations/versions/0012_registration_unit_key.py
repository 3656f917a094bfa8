"""frozen batch units, checked per statement (issue 14).

A registration now names a unit of its batch: (``device_id``, ``batch_id``) of
``registrations`` must be a row of ``registration_batch_units``, unique there — stronger than
naming a device and a batch each (a registration can no longer name a batch its unit is not
in). ``registration_batch_units`` is frozen in the database: no UPDATE or DELETE. Devices and
batches are never deleted, nor their ids changed.

These hold by triggers, not foreign keys. A foreign key is checked row by row, and on
PostgreSQL each check locks the referenced row and writes a WAL record: freezing a batch of
100,000 units ran 300,000 of them, half its time. Because referenced rows can be neither
deleted nor re-keyed, a check needs no lock, and PostgreSQL checks a whole statement's rows in
one query over its transition table. SQLite (one writer at a time, no row locks) checks each
row in a trigger. ``ix_registrations_territory_state`` goes too: no query reads it.

SQLite drops a table's triggers with the table: a later migration that rebuilds ``devices``,
``registration_batches``, ``registration_batch_units`` or ``registrations`` in batch mode
must create their triggers again.

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
_NO_UNIT = "a registration must name a unit of its batch"
_NO_REF = "a batch unit must name an existing device and batch"
_FROZEN = "registration batch units are frozen"
_KEPT = "{table} rows are never deleted nor re-keyed"
_FKS = (
    ("registration_batch_units", "fk_registration_batch_units_batch_id_registration_batches"),
    ("registration_batch_units", "fk_registration_batch_units_device_id_devices"),
    ("registrations", "fk_registrations_batch_id_registration_batches"),
    ("registrations", "fk_registrations_device_id_devices"),
)
_UNIT_EXISTS = (
    "SELECT 1 FROM registration_batch_units u WHERE u.device_id = {r}.device_id "
    "AND u.batch_id = {r}.batch_id"
)
_KEPT_TABLES = ("devices", "registration_batches")


def upgrade() -> None:
    for table, name in _FKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_batch_units_device_id")
        batch_op.create_index(_UNIT_KEY, ["device_id", "batch_id"], unique=True)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_territory_state")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()


def _sqlite_triggers() -> None:
    unit = _UNIT_EXISTS.format(r="NEW")
    op.execute(
        "CREATE TRIGGER registrations_unit BEFORE INSERT ON registrations "
        f"WHEN NOT EXISTS ({unit}) BEGIN SELECT RAISE(ABORT, '{_NO_UNIT}'); END"
    )
    op.execute(
        "CREATE TRIGGER registrations_unit_moved BEFORE UPDATE OF device_id, batch_id "
        f"ON registrations WHEN NOT EXISTS ({unit}) "
        f"BEGIN SELECT RAISE(ABORT, '{_NO_UNIT}'); END"
    )
    op.execute(
        "CREATE TRIGGER registration_units_refs BEFORE INSERT ON registration_batch_units "
        "WHEN NOT EXISTS (SELECT 1 FROM devices WHERE id = NEW.device_id) "
        "OR NOT EXISTS (SELECT 1 FROM registration_batches WHERE id = NEW.batch_id) "
        f"BEGIN SELECT RAISE(ABORT, '{_NO_REF}'); END"
    )
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER registration_units_no_{verb.lower()} BEFORE {verb} "
            f"ON registration_batch_units BEGIN SELECT RAISE(ABORT, '{_FROZEN}'); END"
        )
    for table in _KEPT_TABLES:
        kept = _KEPT.format(table=table)
        op.execute(
            f"CREATE TRIGGER {table}_kept BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{kept}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_id_kept BEFORE UPDATE OF id ON {table} "
            f"WHEN NEW.id IS NOT OLD.id BEGIN SELECT RAISE(ABORT, '{kept}'); END"
        )


def _raise(message: str) -> str:
    return f"RAISE EXCEPTION '{message}' USING ERRCODE = 'foreign_key_violation'"


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION registrations_unit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF EXISTS (SELECT 1 FROM added n WHERE NOT EXISTS ({_UNIT_EXISTS.format(r='n')})) "
        f"THEN {_raise(_NO_UNIT)}; END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER registrations_unit AFTER INSERT ON registrations "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION registrations_unit()"
    )
    # A receipt updates 100,000 rows' state: only a row whose key changes (a rejected unit
    # moved to a new batch) is checked, each on its own.
    op.execute(
        "CREATE FUNCTION registrations_unit_moved() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF NOT EXISTS ({_UNIT_EXISTS.format(r='NEW')}) THEN {_raise(_NO_UNIT)}; "
        "END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER registrations_unit_moved BEFORE UPDATE OF device_id, batch_id "
        "ON registrations FOR EACH ROW WHEN (NEW.device_id IS DISTINCT FROM OLD.device_id "
        "OR NEW.batch_id IS DISTINCT FROM OLD.batch_id) "
        "EXECUTE FUNCTION registrations_unit_moved()"
    )
    op.execute(
        "CREATE FUNCTION registration_units_refs() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM added n WHERE NOT EXISTS "
        "(SELECT 1 FROM devices d WHERE d.id = n.device_id)) "
        "OR EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM added) n WHERE NOT EXISTS "
        "(SELECT 1 FROM registration_batches b WHERE b.id = n.batch_id)) "
        f"THEN {_raise(_NO_REF)}; END IF; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER registration_units_refs AFTER INSERT ON registration_batch_units "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION registration_units_refs()"
    )
    _refuse("registration_units_frozen", "registration_batch_units", "UPDATE OR DELETE", _FROZEN)
    for table in _KEPT_TABLES:
        kept = _KEPT.format(table=table)
        _refuse(f"{table}_kept", table, "DELETE", kept)
        op.execute(
            f"CREATE TRIGGER {table}_id_kept BEFORE UPDATE OF id ON {table} "
            "FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) "
            f"EXECUTE FUNCTION {table}_kept()"
        )


def _refuse(name: str, table: str, verbs: str, message: str) -> None:
    """A statement trigger refusing ``verbs`` on ``table`` outright."""
    op.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_raise(message)}; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {name} BEFORE {verbs} ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
    )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = [
        ("registrations_unit", "registrations"),
        ("registrations_unit_moved", "registrations"),
        ("registration_units_refs", "registration_batch_units"),
    ]
    if sqlite:
        triggers += [
            ("registration_units_no_update", "registration_batch_units"),
            ("registration_units_no_delete", "registration_batch_units"),
        ]
    else:
        triggers.append(("registration_units_frozen", "registration_batch_units"))
    for table in _KEPT_TABLES:
        triggers += [(f"{table}_kept", table), (f"{table}_id_kept", table)]
    for name, table in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        names = {name for name, _table in triggers if not name.endswith("_id_kept")}
        for name in sorted(names):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registrations_territory_state", ["territory", "state"], unique=False
        )
    with op.batch_alter_table("registration_batch_units", schema=None) as batch_op:
        batch_op.drop_index(_UNIT_KEY)
        batch_op.create_index("ix_registration_batch_units_device_id", ["device_id"], unique=False)
    referred = {"batch_id": ("registration_batches", "id"), "device_id": ("devices", "id")}
    for table, name in _FKS:
        column = "batch_id" if "_batch_id_" in name else "device_id"
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(name, referred[column][0], [column], [referred[column][1]])
