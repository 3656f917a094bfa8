"""Commands of the territory registers: ``registry licence|export|import|status|blocklist|
summary``, run on the service's database host as the local operator. Each needs the
``server`` extra, imported inside the command.

Exit codes: 0 done (``status``: the unit may ship); 2 bad usage, unreadable input or a file
refused (nothing applied); 3 (``status``) the unit may not ship yet, with why.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handsetguard.cli.common import EXIT_USAGE, SERVER, Commands, Parser, describe, say, summary
from handsetguard.errors import HandsetGuardError

if TYPE_CHECKING:
    from collections.abc import Callable

    from handsetguard.registers import RegisterProfile

__all__ = ["EXIT_NOT_SHIPPABLE", "register"]

EXIT_NOT_SHIPPABLE = 3
MAX_FILE = 32 * 1024 * 1024


def _profiles(path: str | None) -> dict[str, RegisterProfile]:
    from handsetguard.cli.server_env import fail
    from handsetguard.registers import load_profiles

    try:
        return load_profiles(Path(path) if path else None)
    except HandsetGuardError as exc:
        raise fail(exc) from exc


def _read(path: str) -> bytes:
    """A file named on the command line, refused past MAX_FILE before it is read."""
    from handsetguard.boundedio import read_bounded
    from handsetguard.cli.server_env import fail
    from handsetguard.errors import UsageError

    try:
        return read_bounded(Path(path), MAX_FILE, UsageError)
    except UsageError as exc:
        raise fail(exc) from exc


def _day(text: str) -> datetime:
    """An argparse ``type``: YYYY-MM-DD as the start of that UTC day."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def licence(url: str | None, agreement: str, territory: str, number: str, brand: str | None) -> int:
    """Record the partner's licence number with a territory's register (in the agreement)."""
    from handsetguard.cli.server_env import database
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import registrations
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.textsafe import visible

    with database(url) as db, db.write() as session:
        row = registrations.set_licence(
            session, SYSTEM, agreement, territory, number, brand, SystemClock().now()
        )
        say(
            f"{territory}: licence number {visible(row.licence_number)}, brand {visible(row.brand)}"
        )
    return 0


def export(args: argparse.Namespace) -> int:
    """Freeze a territory's activated, unregistered units into a batch and write its file in
    the register's layout (or, with --batch, write an existing batch's file again: the same
    bytes)."""
    from handsetguard.cli.server import _database_url
    from handsetguard.cli.server_env import database
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import registrations
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.textsafe import visible

    with database(_database_url(args)) as db:
        batch_id = args.batch
        if batch_id is None:
            if not (args.agreement and args.territory):
                say("error: give --agreement and --territory (or --batch)", err=True)
                return EXIT_USAGE
            filt = registrations.BatchFilter(
                args.model, args.since, args.until, args.include_rejected
            )
            with db.write() as session:
                batch = registrations.create_batch(
                    session,
                    SYSTEM,
                    _profiles(args.profiles),
                    args.agreement,
                    args.territory,
                    filt,
                    SystemClock().now(),
                )
                batch_id = batch.id
        with db.read() as session:
            batch = registrations.get_batch(session, SYSTEM, batch_id)
            data, name = registrations.batch_file(session, SYSTEM, batch_id, args.fmt)
        with db.write() as session:
            registrations.record_export(
                session, SYSTEM, batch_id, args.fmt, data, SystemClock().now()
            )
    target = Path(args.output) if args.output else Path(name)
    try:
        target.write_bytes(data)
    except OSError as exc:
        say(f"error: {visible(str(target))}: cannot write ({exc.strerror or exc})", err=True)
        return EXIT_USAGE
    say(
        f"batch {batch.id} ({batch.register}, {batch.unit_count} "
        f"unit{'' if batch.unit_count == 1 else 's'}, sha256 "
        f"{batch.content_hash[:16]}…) written to {visible(str(target))}"
    )
    return 0


def import_receipt(url: str | None, batch: str, file: str, partial: bool) -> int:
    """Apply the register portal's result file (CSV or XLSX) to its batch. Any problem
    refuses the whole file (nothing applied) unless --partial, which applies the good rows
    and lists the others row by row."""
    from handsetguard.cli.server_env import database
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import receipts
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.textsafe import visible

    data = _read(file)
    with database(url) as db, db.write() as session:
        out = receipts.import_receipt(
            session, SYSTEM, batch, data, Path(file).name, SystemClock().now(), partial=partial
        )
    for problem in out.problems:
        say(f"skipped: {visible(problem)}", err=True)
    say(
        f"batch {out.batch_id}: {out.registered} registered, {out.rejected} rejected, "
        f"{out.unchanged} unchanged, {out.pending} still awaiting the register "
        f"({len(out.problems)} rows skipped; read as {out.encoding})"
    )
    return 0


def status(url: str | None, ident: str, as_json: bool, profiles: str | None) -> int:
    """Whether a unit (serial or IMEI) may ship: exit 0 if so, 3 if not, with why."""
    from handsetguard.cli.server_env import database
    from handsetguard.server.services import registration_gate as gate
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.textsafe import json_text, visible

    with database(url) as db, db.read_conn() as conn:
        found = gate.ship_status(conn, SYSTEM, _profiles(profiles), ident)
        hits = {
            h["imei"]
            for h in gate.blocklist_hits(conn, [i for s in found for i in (s.imei1, s.imei2) if i])
        }
    if as_json:
        say(json_text(json.dumps([s.to_dict() for s in found])))
    for s in found if not as_json else ():
        verdict = "SHIPPABLE" if s.shippable else "NOT SHIPPABLE"
        say(f"{verdict}: {visible(s.serial)} ({s.imei1}, {s.territory}): {visible(s.why)}")
        for hit in sorted(hits & {s.imei1, s.imei2 or ""}):
            say(f"  blocklisted IMEI {hit}")
    return 0 if all(s.shippable for s in found) else EXIT_NOT_SHIPPABLE


def blocklist(url: str | None, file: str, source: str, territory: str | None, partial: bool) -> int:
    """Import IMEIs reported lost or stolen (one a line, or CSV/XLSX with an IMEI column):
    activation refuses them with imei_blocklisted."""
    from handsetguard.cli.server_env import database
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import registration_gate as gate
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.textsafe import visible

    data = _read(file)
    with database(url) as db, db.write() as session:
        added, listed, problems = gate.import_blocklist(
            session,
            SYSTEM,
            data,
            Path(file).name,
            source,
            territory,
            SystemClock().now(),
            partial=partial,
        )
    for problem in problems:
        say(f"skipped: {visible(problem)}", err=True)
    say(f"blocklist: {added} added, {listed} already listed ({len(problems)} rows skipped)")
    return 0


def counts(url: str | None, agreement: str) -> int:
    """Per territory and model: activated, registered, rejected, in batch, unregistered."""
    from handsetguard.cli.server_env import database
    from handsetguard.server.services import registration_gate as gate
    from handsetguard.server.services import registrations
    from handsetguard.server.services.actors import SYSTEM

    with database(url) as db, db.read() as session:
        registrations.get_agreement_visible(session, SYSTEM, agreement)
        rows = gate.registration_counts(session, agreement)
    say(json.dumps(rows, indent=2))
    return 0


# --- arguments ------------------------------------------------------------------------------


def _add(
    commands: Commands, name: str, function: Callable[..., int], run: Callable[[Any], int]
) -> Parser:
    from handsetguard.cli.server import _with_server
    from handsetguard.cli.server_env import DATABASE_HELP

    parser = commands.add_parser(name, help=summary(function), description=describe(function))
    parser.add_argument("--database-url", metavar="URL", help=DATABASE_HELP)
    parser.set_defaults(run=_with_server(run))
    return parser


def _url(args: argparse.Namespace) -> str | None:
    from handsetguard.cli.server import _database_url

    return _database_url(args)


def _usage(parser: Parser) -> int:
    parser.print_help()
    return EXIT_USAGE


def register(commands: Commands) -> None:
    """Add the ``registry`` command group to the main CLI."""
    text = "Territory equipment-identity registers: batches, receipts, the ship gate."
    group = commands.add_parser("registry", help=text, description=text)
    group.set_defaults(run=lambda _args: _usage(group))
    sub = group.add_subparsers(title="commands", metavar="COMMAND")
    _ = SERVER  # the extra these commands need (reported by _with_server)

    p = _add(
        sub,
        "licence",
        licence,
        lambda a: licence(_url(a), a.agreement, a.territory, a.number, a.brand),
    )
    p.add_argument("--agreement", required=True, help="agreement id")
    p.add_argument("--territory", required=True, metavar="XX", help="ISO 3166-1 alpha-2")
    p.add_argument("--number", required=True, help="the partner's licence number there")
    p.add_argument("--brand", help="brand name the register knows (default: partner's name)")

    p = _add(sub, "export", export, export)
    p.add_argument("--agreement", help="agreement id")
    p.add_argument("--territory", metavar="XX", help="ISO 3166-1 alpha-2 (IN, LK, NP, BD)")
    p.add_argument("--model", help="only this model code")
    p.add_argument("--since", type=_day, metavar="YYYY-MM-DD", help="activated on or after (UTC)")
    p.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="activated before (UTC)")
    p.add_argument("--include-rejected", action="store_true", help="gather rejected units again")
    p.add_argument("--batch", help="write this existing batch's file again")
    p.add_argument("--format", dest="fmt", choices=("csv", "xlsx"), default="csv")
    p.add_argument("-o", "--output", metavar="FILE", help="default: the batch's file name")
    p.add_argument("--profiles", metavar="FILE", help="register profiles (TOML) to use")

    p = _add(
        sub, "import", import_receipt, lambda a: import_receipt(_url(a), a.batch, a.file, a.partial)
    )
    p.add_argument("file", metavar="FILE", help="the portal's result file (CSV or XLSX)")
    p.add_argument("--batch", required=True, help="the batch it answers")
    p.add_argument("--partial", action="store_true", help="apply the good rows, list the others")

    p = _add(sub, "status", status, lambda a: status(_url(a), a.unit, a.as_json, a.profiles))
    p.add_argument("unit", metavar="SERIAL|IMEI")
    p.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
    p.add_argument("--profiles", metavar="FILE", help="register profiles (TOML) to use")

    p = _add(
        sub,
        "blocklist",
        blocklist,
        lambda a: blocklist(_url(a), a.file, a.source, a.territory, a.partial),
    )
    p.add_argument("file", metavar="FILE", help="IMEIs, one a line, or CSV/XLSX")
    p.add_argument("--source", required=True, help="where the list came from (e.g. CEIR export)")
    p.add_argument("--territory", metavar="XX")
    p.add_argument("--partial", action="store_true", help="import the good rows, list the others")

    p = _add(sub, "summary", counts, lambda a: counts(_url(a), a.agreement))
    p.add_argument("--agreement", required=True, help="agreement id")
