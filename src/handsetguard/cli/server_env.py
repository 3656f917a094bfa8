"""What the service's commands share (cli/server.py, cli/server_audit.py): the settings, the
signing-key vault and the database of a command, each failure one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from handsetguard.cli.common import EXIT_USAGE, say
from handsetguard.errors import HandsetGuardError

if TYPE_CHECKING:
    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database
    from handsetguard.server.services.keys import KeyVault

__all__ = ["DATABASE_ENV", "DATABASE_HELP", "database", "fail", "settings", "vault"]

DATABASE_ENV = "HANDSETGUARD_DATABASE_URL"
DATABASE_HELP = (
    "sqlite:///path.db (default sqlite:///handsetguard-server.db) or postgresql://… "
    f"[env var: {DATABASE_ENV}]"
)


def settings(database_url: str | None) -> Settings:
    """The settings (environment, then ``--database-url``); a bad value is one line."""
    from pydantic import ValidationError

    from handsetguard.server.config import Settings

    try:
        return Settings(database_url=database_url) if database_url else Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "HANDSETGUARD_" + "_".join(str(p) for p in first["loc"]).upper()
        say(f"error: setting {name}: {first['msg']}", err=True)
        raise SystemExit(EXIT_USAGE) from None


def vault(database_url: str | None, *, unsafe_unsealed: bool = False) -> KeyVault:
    """The signing-key vault of the settings (its key file is read now)."""
    from handsetguard.server.services.keys import KeyVault

    found = settings(database_url)
    try:
        return KeyVault.from_file(
            found.key_encryption_key_file,
            unsafe_unsealed=unsafe_unsealed or found.unsafe_unsealed_keys,
        )
    except HandsetGuardError as exc:
        raise fail(exc) from exc


def fail(exc: HandsetGuardError) -> SystemExit:
    from handsetguard.textsafe import visible

    say(f"error: {visible(exc.message)}", err=True)
    if exc.remediation:
        say(f"hint: {visible(exc.remediation)}", err=True)
    return SystemExit(EXIT_USAGE)


@contextmanager
def database(database_url: str | None, *, create: bool = False) -> Iterator[Database]:
    """The configured database; the project's errors and the database driver's become one
    line and exit 2 (the URL is not printed: it may hold a password), and it is disposed.
    Only ``create`` (``server init``) makes a SQLite file that does not exist."""
    from sqlalchemy.exc import SQLAlchemyError

    from handsetguard.server.db import Database
    from handsetguard.textsafe import visible

    try:
        db = Database(settings(database_url), create=create)
    except HandsetGuardError as exc:
        raise fail(exc) from exc
    try:
        yield db
    except HandsetGuardError as exc:
        raise fail(exc) from exc
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        say(f"error: database: {visible(detail[0] if detail else type(exc).__name__)}", err=True)
        say(
            "hint: check --database-url / HANDSETGUARD_DATABASE_URL, and run "
            "'handsetguard server init' (or 'migrate') first",
            err=True,
        )
        raise SystemExit(EXIT_USAGE) from exc
    finally:
        db.dispose()
