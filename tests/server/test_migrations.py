"""The Alembic migrations are the only way the schema is made: upgrade, downgrade to nothing,
upgrade again — on SQLite and PostgreSQL — and the tables match the models."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import inspect

from handsetguard.server.config import Settings
from handsetguard.server.db import Database
from handsetguard.server.migrate import _config, current_revision, head_revision, upgrade
from handsetguard.server.models import Base

# PostgreSQL's monthly partitions of fleet_reports (migration 0010) are not models.
PARTITION = re.compile(r"fleet_reports_y\d{4}m\d{2}")


def _tables(engine: object) -> set[str]:
    return {t for t in inspect(engine).get_table_names() if not PARTITION.fullmatch(t)}


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
        tables = _tables(db.write_engine)
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(Settings(database_url=db_url))
    try:
        with db.write_engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_name": lambda name, kind, _p: (
                        not (kind == "table" and PARTITION.fullmatch(str(name)))
                    )
                },
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        db.dispose()
    assert diff == []
