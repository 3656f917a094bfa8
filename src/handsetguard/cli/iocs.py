"""``iocs list|info|update`` and the ``--iocs`` loading of ``check``: which indicator sets are
used (sources, counts, licence, age), one set in detail, a set installed from a local folder.
Arguments, printing, exit codes — nothing else."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime

from handsetguard.cli.common import EXIT_USAGE, Commands, Parser, describe, guard, say, summary

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from handsetguard.threats.indicators import IndicatorIndex, SetSummary

__all__ = ["IOCS_HELP", "add_iocs_option", "indicators_for_check", "register"]

IOCS_HELP = (
    "An indicator file or folder (STIX2, MVT indicators.yaml, Echap YAML), in addition to the "
    "bundled stalkerware set and the sets installed with 'iocs update'; repeatable. "
    "HANDSETGUARD_IOCS adds more (a path-separator-separated list)."
)


def add_iocs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iocs", action="append", default=[], metavar="PATH", help=IOCS_HELP)


def _load(paths: Sequence[str]) -> IndicatorIndex:
    from pathlib import Path

    from handsetguard.threats.indicators import load_indicators

    return load_indicators([Path(p) for p in paths])


def _warn(index: IndicatorIndex) -> None:
    from handsetguard.textsafe import visible

    problems = [*index.problems, *(p for s in index.sets for p in s.problems)]
    for line in problems[:20]:
        say(f"warning: {visible(line)}", err=True)
    if len(problems) > 20:
        say(f"warning: and {len(problems) - 20} more (see 'handsetguard iocs list')", err=True)


def indicators_for_check(paths: Sequence[str]) -> IndicatorIndex:
    """The index ``check`` matches: bundled + user sets + ``paths`` + the environment. A set
    that cannot be read is a warning on stderr; the others, the bundled one first, still load."""
    index = _load(paths)
    _warn(index)
    return index


def _age(updated: str | None, today: date) -> str:
    if not updated:
        return "unknown"
    try:
        then = date.fromisoformat(updated[:10])
    except ValueError:
        return "unknown"
    days = (today - then).days
    return f"{updated[:10]} ({days} days)" if days >= 0 else updated[:10]


def _row(s: SetSummary, today: date) -> str:
    from handsetguard.textsafe import visible

    licence = s.licence or "not stated"
    return visible(
        f"{s.name} [{s.origin}]  {s.total} indicators  licence: {licence}  "
        f"updated: {_age(s.updated, today)}"
    )


def iocs_list(paths: Sequence[str] = (), as_json: bool = False) -> int:
    """List the indicator sets used by check: origin, indicator count, licence and age.

    Sets are the bundled Echap stalkerware set, those installed with 'iocs update' and any
    --iocs PATH or HANDSETGUARD_IOCS entry."""
    with guard():
        index = _load(paths)
    if as_json:
        doc = {
            "sets": [s.to_json() for s in index.sets],
            "problems": index.problems,
            "indicators": len(index),
        }
        say(json.dumps(doc, indent=2))
        return 0
    today = datetime.now(UTC).date()
    for s in index.sets:
        say(_row(s, today))
    say(f"{len(index)} indicators in {len(index.sets)} sets")
    _warn(index)
    return 0


def iocs_info(name: str, paths: Sequence[str] = ()) -> int:
    """Show one indicator set: its files, attribution, counts per type, what was not used."""
    from handsetguard.textsafe import visible

    with guard():
        index = _load(paths)
    found = [s for s in index.sets if s.name == name]
    if not found:
        names = ", ".join(s.name for s in index.sets)
        say(f"error: no indicator set named {visible(name)!r} (sets: {visible(names)})", err=True)
        return EXIT_USAGE
    today = datetime.now(UTC).date()
    for s in found:
        say(_row(s, today))
        if s.attribution:
            say(visible(f"  attribution: {s.attribution}"))
        for f in s.files:
            say(visible(f"  file: {f}"))
        for kind, count in s.counts.items():
            say(visible(f"  {kind}: {count}"))
        for kind, count in s.unknown_types.items():
            say(visible(f"  not used (unknown type {kind}): {count}"))
        for problem in s.problems:
            say(visible(f"  problem: {problem}"))
    return 0


def iocs_update(path: str, name: str | None = None) -> int:
    """Install or replace a set from a local file or folder (nothing is downloaded).

    The files are checked first and swapped in at once under the user's data folder
    ($XDG_DATA_HOME/handsetguard/iocs/NAME); the package's bundled set is never changed. Named
    echap-stalkerware, the copy stands in for the bundled Echap set."""
    from pathlib import Path

    from handsetguard.textsafe import visible
    from handsetguard.threats.indicators import update_user_set

    with guard():
        target = update_user_set(Path(path), name)
    say(visible(f"installed {target.name} at {target}"))
    return 0


def _group_usage(parser: Parser) -> int:
    parser.print_help()
    return EXIT_USAGE


def register(commands: Commands) -> None:
    """Add the ``iocs`` command group."""
    text = "Indicator sets (spyware and stalkerware indicators of compromise)."
    group_parser = commands.add_parser("iocs", help=text, description=text)
    group_parser.set_defaults(run=lambda _args: _group_usage(group_parser))
    group = group_parser.add_subparsers(title="commands", metavar="COMMAND")

    parser = group.add_parser("list", help=summary(iocs_list), description=describe(iocs_list))
    add_iocs_option(parser)
    parser.add_argument("--json", dest="as_json", action="store_true", help="JSON output.")
    parser.set_defaults(run=lambda a: iocs_list(a.iocs, a.as_json))

    parser = group.add_parser("info", help=summary(iocs_info), description=describe(iocs_info))
    parser.add_argument("name", metavar="NAME", help="the set's name, as 'iocs list' shows it")
    add_iocs_option(parser)
    parser.set_defaults(run=lambda a: iocs_info(a.name, a.iocs))

    parser = group.add_parser(
        "update", help=summary(iocs_update), description=describe(iocs_update)
    )
    parser.add_argument("path", metavar="PATH", help="a local indicator file or folder")
    parser.add_argument("--name", help="the set's name (default: the file's or folder's name)")
    parser.set_defaults(run=lambda a: iocs_update(a.path, a.name))
