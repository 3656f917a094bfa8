"""Commands of the service: ``server init|serve|migrate|rotate-key|new-key-file|seal-keys|
audit verify``, ``activation verify`` and ``royalty statement``. Each needs the ``server``
extra, imported inside the command (the main command line stays light); without it the command
says so in one line and exits 2.

Exit codes: 0 done/valid; 1 invalid (signature, audit chain); 2 bad usage or unusable input.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec

import typer

from handsetguard.cli.common import EXIT_INVALID, EXIT_USAGE, SERVER, needs_extra
from handsetguard.errors import HandsetGuardError

if TYPE_CHECKING:
    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database
    from handsetguard.server.services.keys import KeyVault

__all__ = ["register"]

_P = ParamSpec("_P")

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="HANDSETGUARD_DATABASE_URL",
        help="sqlite:///path.db (default sqlite:///handsetguard-server.db) or postgresql://…",
        show_envvar=True,
    ),
]


def _needs_server(command: Callable[_P, None]) -> Callable[_P, None]:
    """``command`` with a missing server extra reported in one line (exit 2)."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        with needs_extra(SERVER):
            command(*args, **kwargs)

    return run


def _settings(database_url: str | None) -> Settings:
    from handsetguard.server.config import Settings

    return Settings(database_url=database_url) if database_url else Settings()


def _vault(database_url: str | None) -> KeyVault:
    """The signing-key vault of the settings (its key file is read now)."""
    from handsetguard.server.services.keys import KeyVault

    return KeyVault.from_file(_settings(database_url).key_encryption_key_file)


def _fail(exc: HandsetGuardError) -> typer.Exit:
    typer.echo(f"error: {exc.message}", err=True)
    if exc.remediation:
        typer.echo(f"hint: {exc.remediation}", err=True)
    return typer.Exit(EXIT_USAGE)


@contextmanager
def _database(database_url: str | None) -> Iterator[Database]:
    """The configured database; the project's errors and the database driver's become one
    line and exit 2 (the URL is not printed: it may hold a password), and it is disposed."""
    from sqlalchemy.exc import SQLAlchemyError

    from handsetguard.server.db import Database

    db = Database(_settings(database_url))
    try:
        yield db
    except HandsetGuardError as exc:
        raise _fail(exc) from exc
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"error: database: {detail}", err=True)
        typer.echo(
            "hint: check --database-url / HANDSETGUARD_DATABASE_URL, and run "
            "'handsetguard server init' (or 'migrate') first",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE) from exc
    finally:
        db.dispose()


def init(
    database_url: DbUrl = None,
    licensor: Annotated[str, typer.Option(help="the licensor's name")] = "HandsetGuard licensor",
) -> None:
    """Create the database, an Ed25519 signing key and the first licensor-admin token."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services.setup import initialise

    with _database(database_url) as db:
        kid, token = initialise(db, licensor, SystemClock().now(), _vault(database_url))
    typer.echo(f"signing key: {kid}")
    typer.echo("licensor-admin token (shown once, store it now):")
    typer.echo(token.token)


def migrate(database_url: DbUrl = None) -> None:
    """Upgrade the database schema to the latest migration."""
    from handsetguard.server.migrate import current_revision, upgrade

    with _database(database_url) as db:
        upgrade(db.write_engine)
        typer.echo(f"schema at revision {current_revision(db.write_engine)}")


def serve(
    database_url: DbUrl = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Run the HTTP API (uvicorn). Several workers/processes may share one database."""
    import uvicorn

    from handsetguard.server.migrate import current_revision

    # Fail here, in one line, rather than inside uvicorn's start-up: bad settings, a database
    # that cannot be opened, or one that was never initialised.
    with _database(database_url) as db:
        initialised = current_revision(db.write_engine) is not None
        _vault(database_url)  # a key-encryption key file that cannot be used
    if not initialised:
        typer.echo("error: database: not initialised", err=True)
        typer.echo("hint: run 'handsetguard server init' first", err=True)
        raise typer.Exit(EXIT_USAGE)
    if database_url:  # the worker processes build their settings from the environment
        os.environ["HANDSETGUARD_DATABASE_URL"] = database_url
    uvicorn.run(
        "handsetguard.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
    )


def rotate_key(database_url: DbUrl = None) -> None:
    """Make a new signing key active; the old one stays valid for verification."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import keys
    from handsetguard.server.services.actors import SYSTEM

    with _database(database_url) as db, db.write() as session:
        kid = keys.create_key(session, SYSTEM, SystemClock().now(), _vault(database_url))
    typer.echo(f"active signing key: {kid}")


def new_key_file(path: Annotated[Path, typer.Argument(help="where to write it")]) -> None:
    """Write a new key-encryption key (mode 0600) for sealing signing keys at rest."""
    from handsetguard.server.core.keywrap import new_key_file as create

    try:
        create(path)
    except HandsetGuardError as exc:
        raise _fail(exc) from exc
    typer.echo(f"wrote a key-encryption key to {path}")
    typer.echo(f"use it: HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE={path}, then 'server seal-keys'")


def seal_keys(database_url: DbUrl = None) -> None:
    """Seal every signing key stored unsealed under the configured key-encryption key."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import keys
    from handsetguard.server.services.actors import SYSTEM

    with _database(database_url) as db, db.write() as session:
        sealed = keys.seal_keys(session, SYSTEM, SystemClock().now(), _vault(database_url))
    typer.echo(
        f"sealed {len(sealed)} signing key(s)" + (f": {', '.join(sealed)}" if sealed else "")
    )


def audit_verify(database_url: DbUrl = None) -> None:
    """Recompute the audit log's hash chain; exit 1 if it was tampered with."""
    from handsetguard.server.services.audit import verify_chain

    with _database(database_url) as db, db.read() as session:
        report = verify_chain(session)
    if report.ok:
        typer.echo(f"audit log OK: {report.entries} entries, head {report.head_hash}")
        return
    typer.echo(f"audit log BROKEN at entry {report.first_bad_seq}: {report.problem}", err=True)
    raise typer.Exit(EXIT_INVALID)


def activation_verify(
    file: Annotated[Path, typer.Argument(help="activation envelope, or the JSON response")],
    public_key: Annotated[
        Path, typer.Option("--public-key", help="PEM, raw base64url, or GET /v1/keys JSON")
    ],
    revocations: Annotated[
        Path | None, typer.Option(help="GET /v1/revocations output, to check revocation")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify a signed activation offline."""
    from handsetguard.server.core.envelope import EnvelopeError
    from handsetguard.server.core.offline import load_keys, read_activation_text, verify_activation

    try:
        keys = load_keys(public_key.read_bytes())
        text = read_activation_text(file.read_bytes())
        listed = revocations.read_text() if revocations else None
    except (OSError, EnvelopeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    try:
        verified = verify_activation(text, keys, listed)
    except EnvelopeError as exc:
        typer.echo(f"INVALID ({exc.code}): {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": verified.revoked is None,
                    "kid": verified.kid,
                    "revoked": verified.revoked,
                    "payload": verified.payload,
                }
            )
        )
    else:
        device = verified.payload.get("device", {})
        typer.echo(
            f"VALID signature (key {verified.kid}): device {device.get('serial')} "
            f"IMEI {device.get('imei1')} model {device.get('model_code')} "
            f"territory {device.get('territory')} issued {verified.payload.get('issued_at')}"
        )
    if verified.revoked is not None:
        typer.echo(f"REVOKED: {verified.revoked}", err=True)
        raise typer.Exit(EXIT_INVALID)


def royalty_statement(
    partner: Annotated[str, typer.Option(help="partner id")],
    period: Annotated[str, typer.Option(help="YYYY-MM (UTC month)")],
    database_url: DbUrl = None,
    agreement: Annotated[str | None, typer.Option(help="only this agreement")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    close: Annotated[bool, typer.Option(help="close (freeze) the period first")] = False,
) -> None:
    """A partner's royalty statement for one month, from the database."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import royalties
    from handsetguard.server.services.actors import SYSTEM

    if fmt not in ("json", "csv"):
        typer.echo("error: --format is json or csv", err=True)
        raise typer.Exit(EXIT_USAGE)
    with _database(database_url) as db:
        if close:
            with db.write() as session:
                for s in royalties.partner_statements(session, SYSTEM, partner, period):
                    if s["status"] == "open" and agreement in (None, s["agreement"]["id"]):
                        royalties.close_period(
                            session, SYSTEM, s["agreement"]["id"], period, SystemClock().now()
                        )
        with db.read() as session:
            found = royalties.partner_statements(session, SYSTEM, partner, period)
    found = [s for s in found if agreement in (None, s["agreement"]["id"])]
    if fmt == "csv":
        typer.echo(royalties.to_csv(found), nl=False)
    else:
        typer.echo(
            json.dumps(
                {
                    "schema": royalties.SCHEMA,
                    "partner_id": partner,
                    "period": period,
                    "statements": found,
                },
                indent=2,
            )
        )


def register(app: typer.Typer) -> None:
    """Add ``server``, ``activation`` and ``royalty`` command groups to the main CLI."""
    server = typer.Typer(help="Licensing and factory activation service.", no_args_is_help=True)
    for name, command in (
        ("init", init),
        ("serve", serve),
        ("migrate", migrate),
        ("rotate-key", rotate_key),
        ("new-key-file", new_key_file),
        ("seal-keys", seal_keys),
    ):
        server.command(name)(_needs_server(command))
    audit = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    audit.command("verify")(_needs_server(audit_verify))
    server.add_typer(audit, name="audit")
    app.add_typer(server, name="server")

    activation = typer.Typer(help="Signed factory activations.", no_args_is_help=True)
    activation.command("verify")(_needs_server(activation_verify))
    app.add_typer(activation, name="activation")

    royalty = typer.Typer(help="Royalty statements.", no_args_is_help=True)
    royalty.command("statement")(_needs_server(royalty_statement))
    app.add_typer(royalty, name="royalty")
