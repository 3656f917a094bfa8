"""Run the bundled Alembic migrations on a database (used by ``server init``/``migrate`` and
by the tests — production never uses ``create_all``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from handsetguard.errors import UsageError

__all__ = ["current_revision", "grant_app_role", "head_revision", "upgrade"]


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("handsetguard.server") / "migrations")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])


def head_revision() -> str:
    """The newest bundled migration."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


APPEND_ONLY = ("audit_log",)
FORWARD_ONLY = ("audit_head",)
"""Tables the service may read and UPDATE only (their triggers let the row move forward)."""


def grant_app_role(engine: Engine, role: str) -> None:
    """PostgreSQL: let ``role`` (the API's, not the owner's) read and write every table but
    only SELECT and INSERT into the audit log — no UPDATE, DELETE or TRUNCATE, which only the
    owner (who runs migrations) keeps — and only SELECT and UPDATE on the audit head, whose
    trigger lets it advance one entry at a time; nor any DDL (it owns nothing, so it cannot
    drop or disable the triggers). Tables added by later migrations need this run again."""
    if engine.dialect.name != "postgresql":
        raise UsageError("--app-role is for PostgreSQL (SQLite has no roles)")
    with engine.begin() as conn:
        exists = conn.exec_driver_sql(
            "SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}
        ).first()
        if exists is None:
            raise UsageError(f"PostgreSQL role {role!r} does not exist")
        quoted = engine.dialect.identifier_preparer.quote(role)
        tables = inspect(conn).get_table_names()
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        for table in tables:
            name = engine.dialect.identifier_preparer.quote(table)
            conn.exec_driver_sql(f"REVOKE ALL ON {name} FROM {quoted}")
            if table in APPEND_ONLY:
                conn.exec_driver_sql(f"GRANT SELECT, INSERT ON {name} TO {quoted}")
            elif table in FORWARD_ONLY:
                conn.exec_driver_sql(f"GRANT SELECT, UPDATE ON {name} TO {quoted}")
            elif table == "alembic_version":
                conn.exec_driver_sql(f"GRANT SELECT ON {name} TO {quoted}")
            else:
                conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {quoted}")
        conn.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
