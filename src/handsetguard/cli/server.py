"""Commands of the service: ``server init|serve|migrate|rotate-key|new-key-file|seal-keys``,
``server audit verify|checkpoint`` (cli/server_audit.py), ``activation verify``
(cli/activation.py) and ``royalty statement``. Each needs the ``server``
extra, imported inside the command (the main command line stays light); without it the command
says so in one line and exits 2.

Exit codes: 0 done/valid; 1 invalid (signature, audit chain); 2 bad usage or unusable input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from handsetguard.cli import activation as offline
from handsetguard.cli import server_audit
from handsetguard.cli.common import (
    EXIT_USAGE,
    SERVER,
    Commands,
    Parser,
    add_format,
    at_least,
    describe,
    needs_extra,
    say,
    summary,
)
from handsetguard.cli.server_env import DATABASE_ENV, DATABASE_HELP, database, fail, settings, vault
from handsetguard.errors import HandsetGuardError

if TYPE_CHECKING:
    pass

__all__ = ["register"]


def init(
    database_url: str | None = None,
    licensor: str = "HandsetGuard licensor",
    unsafe_unsealed_keys: bool = False,
) -> int:
    """Create the database, an Ed25519 signing key and the first licensor-admin token. The
    keys are sealed under the key-encryption key, which is created (mode 0600) when none is
    configured."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.core.kek import KEK_ENV, configured_kek
    from handsetguard.server.services.keys import KeyVault
    from handsetguard.server.services.setup import initialise
    from handsetguard.textsafe import visible

    config = settings(database_url)
    unsafe = unsafe_unsealed_keys or config.unsafe_unsealed_keys
    try:
        kek, created = configured_kek(config.key_encryption_key_file, create=not unsafe)
    except HandsetGuardError as exc:
        raise fail(exc) from exc
    with database(database_url, create=True) as db:
        vault = KeyVault(kek, unsafe_unsealed=unsafe)
        kid, token = initialise(db, licensor, SystemClock().now(), vault)
    if kek is None:
        say(
            "warning: --unsafe-unsealed-keys: the signing key is stored UNSEALED in the "
            "database; anyone who can read it or a backup can sign activations",
            err=True,
        )
    elif created:
        where = visible(str(kek.path))
        say(f"created the key-encryption key {where} (mode 0600); it seals the signing keys")
        say(f"keep it out of database backups; other hosts: {KEK_ENV}={where}")
    else:
        say(f"signing keys sealed with the key-encryption key {visible(str(kek.path))}")
    say(f"signing key: {kid}")
    say("licensor-admin token (shown once, store it now):")
    say(token.token)
    return 0


def migrate(database_url: str | None = None, app_role: str | None = None) -> int:
    """Upgrade the database schema to the latest migration (run it as the owner role). On
    PostgreSQL, --app-role gives the role the API runs as what it needs and no more: it may
    only read and append to the audit log (no UPDATE, DELETE or TRUNCATE)."""
    from handsetguard.server.migrate import current_revision, grant_app_role, upgrade
    from handsetguard.textsafe import visible

    with database(database_url) as db:
        upgrade(db.write_engine)
        say(f"schema at revision {current_revision(db.write_engine)}")
        if app_role is not None:
            grant_app_role(db.write_engine, app_role)
            say(f"role {visible(app_role)}: tables read/write, audit_log SELECT and INSERT only")
    return 0


def serve(
    database_url: str | None = None, host: str = "127.0.0.1", port: int = 8000, workers: int = 1
) -> int:
    """Run the HTTP API (uvicorn). Several workers/processes may share one database."""
    import uvicorn

    from handsetguard.server.migrate import current_revision

    # Fail here, in one line, rather than inside uvicorn's start-up: bad settings, a database
    # that cannot be opened, or one that was never initialised.
    with database(database_url) as db:
        initialised = current_revision(db.write_engine) is not None
        vault(database_url)  # a key-encryption key file that cannot be used
    if not initialised:
        say("error: database: not initialised", err=True)
        say("hint: run 'handsetguard server init' first", err=True)
        return EXIT_USAGE
    if database_url:  # the worker processes build their settings from the environment
        os.environ[DATABASE_ENV] = database_url
    uvicorn.run(
        "handsetguard.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
    )
    return 0


def rotate_key(database_url: str | None = None, unsafe_unsealed_keys: bool = False) -> int:
    """Make a new signing key active; the old one stays valid for verification."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import keys
    from handsetguard.server.services.actors import SYSTEM

    sealer = vault(database_url, unsafe_unsealed=unsafe_unsealed_keys)
    with database(database_url) as db, db.write() as session:
        kid = keys.create_key(session, SYSTEM, SystemClock().now(), sealer)
    if sealer.kek is None:
        say("warning: --unsafe-unsealed-keys: the new signing key is stored UNSEALED", err=True)
    say(f"active signing key: {kid}")
    return 0


def new_key_file(path: str) -> int:
    """Write a new key-encryption key (mode 0600) for sealing signing keys at rest."""
    from pathlib import Path

    from handsetguard.server.core.keywrap import new_key_file as create
    from handsetguard.textsafe import visible

    try:
        create(Path(path))
    except HandsetGuardError as exc:
        raise fail(exc) from exc
    shown = visible(path)
    say(f"wrote a key-encryption key to {shown}")
    say(f"use it: HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE={shown}, then 'server seal-keys'")
    return 0


def seal_keys(database_url: str | None = None) -> int:
    """Seal every signing key stored unsealed under the configured key-encryption key."""
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import keys
    from handsetguard.server.services.actors import SYSTEM

    with database(database_url) as db, db.write() as session:
        sealed = keys.seal_keys(session, SYSTEM, SystemClock().now(), vault(database_url))
    say(f"sealed {len(sealed)} signing key(s)" + (f": {', '.join(sealed)}" if sealed else ""))
    return 0


def royalty_statement(
    partner: str,
    period: str,
    database_url: str | None = None,
    agreement: str | None = None,
    fmt: str = "json",
    close: bool = False,
) -> int:
    """A partner's royalty statement for one month, from the database."""
    import json

    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import royalties
    from handsetguard.server.services.actors import SYSTEM

    if fmt not in ROYALTY_FORMATS:
        say("error: --format is json or csv", err=True)
        return EXIT_USAGE
    with database(database_url) as db:
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
    if agreement is not None and not found:
        from handsetguard.textsafe import visible

        say(f"error: partner {visible(partner)} has no agreement {visible(agreement)}", err=True)
        return EXIT_USAGE
    if fmt == "csv":
        sys.stdout.write(royalties.to_csv(found))
    else:
        document = {
            "schema": royalties.SCHEMA,
            "partner_id": partner,
            "period": period,
            "statements": found,
        }
        say(json.dumps(document, indent=2))
    return 0


ROYALTY_FORMATS = ("json", "csv")


# --- arguments ------------------------------------------------------------------------------


def _database_url(args: argparse.Namespace) -> str | None:
    # --database-url, else the environment (read when the command runs, not when it is parsed).
    return args.database_url or os.environ.get(DATABASE_ENV) or None


def _with_server(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """``command`` with a missing server extra reported in one line (exit 2)."""

    def run(args: argparse.Namespace) -> int:
        with needs_extra(SERVER):
            return command(args)

    return run


def _add(
    commands: Commands,
    name: str,
    function: Callable[..., int],
    run: Callable[[argparse.Namespace], int],
    database: bool = True,
) -> Parser:
    parser = commands.add_parser(name, help=summary(function), description=describe(function))
    if database:
        parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)
    parser.set_defaults(run=_with_server(run))
    return parser


def _group(commands: Commands, name: str, text: str) -> Commands:
    """A command group (``server``, ``activation``…): without a subcommand, its help, exit 2."""
    parser = commands.add_parser(name, help=text, description=text)
    parser.set_defaults(run=lambda _args: _usage(parser))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def _usage(parser: Parser) -> int:
    parser.print_help()
    return EXIT_USAGE


def _unsafe_keys(parser: Parser) -> None:
    parser.add_argument(
        "--unsafe-unsealed-keys",
        dest="unsafe_unsealed",
        action="store_true",
        help="UNSAFE: with no key-encryption key, store the new signing key unsealed "
        "(anyone who can read the database can then sign activations)",
    )


def register(commands: Commands) -> None:
    """Add ``server``, ``activation`` and ``royalty`` command groups to the main CLI."""
    server = _group(commands, "server", "Licensing and factory activation service.")
    parser = _add(
        server, "init", init, lambda a: init(_database_url(a), a.licensor, a.unsafe_unsealed)
    )
    parser.add_argument("--licensor", default="HandsetGuard licensor", help="the licensor's name")
    _unsafe_keys(parser)
    parser = _add(
        server, "serve", serve, lambda a: serve(_database_url(a), a.host, a.port, a.workers)
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--workers", type=at_least(1, int), default=1, help="worker processes (at least 1)"
    )
    parser = _add(server, "migrate", migrate, lambda a: migrate(_database_url(a), a.app_role))
    parser.add_argument(
        "--app-role",
        metavar="ROLE",
        help="PostgreSQL: the role the API connects as (not the owner running this)",
    )
    parser = _add(
        server, "rotate-key", rotate_key, lambda a: rotate_key(_database_url(a), a.unsafe_unsealed)
    )
    _unsafe_keys(parser)
    parser = _add(
        server, "new-key-file", new_key_file, lambda a: new_key_file(a.path), database=False
    )
    parser.add_argument("path", metavar="PATH", help="where to write it")
    _add(server, "seal-keys", seal_keys, lambda a: seal_keys(_database_url(a)))
    audit = _group(server, "audit", "The hash-chained audit log and its signed checkpoints.")
    parser = _add(
        audit,
        "verify",
        server_audit.audit_verify,
        lambda a: server_audit.audit_verify(_database_url(a), a.checkpoint),
    )
    parser.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="a checkpoint kept outside the database (audit checkpoint, GET "
        "/v1/audit/checkpoint): entries deleted or rewritten before it are found",
    )
    parser = _add(
        audit,
        "checkpoint",
        server_audit.audit_checkpoint,
        lambda a: server_audit.audit_checkpoint(_database_url(a), a.output),
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write it here (default stdout)")

    activation = _group(commands, "activation", "Signed factory activations.")
    parser = _add(
        activation,
        "verify",
        offline.activation_verify,
        lambda a: offline.activation_verify(
            a.file, a.public_key, a.revocations, a.as_json, a.max_list_age
        ),
        database=False,
    )
    parser.add_argument("file", metavar="FILE", help="activation envelope, or the JSON response")
    parser.add_argument(
        "--public-key",
        required=True,
        metavar="FILE",
        help="PEM, raw base64url, or GET /v1/keys JSON",
    )
    parser.add_argument(
        "--revocations", metavar="FILE", help="GET /v1/revocations output, to check revocation"
    )
    parser.add_argument(
        "--max-list-age",
        type=offline.parse_age,
        default=7.0,
        metavar="AGE",
        help="refuse a revocation list older than this: days, or 36h, 90m, 7d (default 7d)",
    )
    parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")

    royalty = _group(commands, "royalty", "Royalty statements.")
    parser = _add(
        royalty,
        "statement",
        royalty_statement,
        lambda a: royalty_statement(
            a.partner, a.period, _database_url(a), a.agreement, a.fmt, a.close
        ),
    )
    parser.add_argument("--partner", required=True, help="partner id")
    parser.add_argument("--period", required=True, metavar="YYYY-MM", help="YYYY-MM (UTC month)")
    parser.add_argument("--agreement", help="only this agreement")
    add_format(parser, ROYALTY_FORMATS, "json or csv", default="json", short=False)
    parser.add_argument(
        "--close",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="close (freeze) the period first",
    )
