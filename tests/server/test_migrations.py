"""The Alembic migrations are the only way the schema is made: upgrade, downgrade to nothing,
upgrade again — on SQLite and PostgreSQL — and the tables match the models."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from handsetguard.server.config import Settings
from handsetguard.server.db import Database
from handsetguard.server.migrate import _config, current_revision, head_revision, upgrade
from handsetguard.server.models import Base


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    db = Database(Settings(database_url=db_url))
    try:
        assert current_revision(db.write_engine) == head_revision()
        config = _config()
        with db.write_engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        assert current_revision(db.write_engine) is None
        assert set(inspect(db.write_engine).get_table_names()) <= {"alembic_version"}
        upgrade(db.write_engine)
        tables = set(inspect(db.write_engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(Settings(database_url=db_url))
    try:
        with db.write_engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        db.dispose()
    assert diff == []
