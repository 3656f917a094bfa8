"""The command line: parse arguments, call the library, print, set the exit code — nothing else.

Exit codes: 0 done; 2 bad usage or unreadable input; 3 a ``--fail-on`` threshold was reached.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handsetguard import __version__
from handsetguard.adb.live import is_adb_target
from handsetguard.engine import KNOWN_CHECKS, run_check
from handsetguard.errors import HandsetGuardError, UsageError
from handsetguard.evidence import Evidence, SourceKind
from handsetguard.privacy import Category
from handsetguard.profiles.profile import load_profile
from handsetguard.report.model import Report
from handsetguard.sources import open_source

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="handsetguard",
    help="HandsetGuard: grade an Android phone's security posture and show which apps used "
    "its camera, microphone, location, contacts and SMS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_USAGE = 2
EXIT_THRESHOLD = 3
EXAMPLE_NAME = "example-bugreport.txt"


class OutputFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"
    MD = "md"
    VERDICT = "verdict"  # one line: PASS serial model / FAIL serial model check,check


class FailOn(enum.Enum):
    WARN = "warn"
    FAIL = "fail"


class AppSort(enum.Enum):
    LAST = "last"
    COUNT = "count"
    PACKAGE = "package"


def _stderr() -> Console:
    # rich is imported only when something is printed for people: JSON runs stay lean.
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@contextmanager
def _guard(verbose: bool) -> Iterator[None]:
    """Print a HandsetGuardError as one line (traceback only with -v) and exit 2."""
    try:
        yield
    except HandsetGuardError as exc:
        from rich.markup import escape

        console = _stderr()
        if verbose:
            console.print_exception()
        console.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
        if exc.remediation:
            console.print(f"  hint: {exc.remediation}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None


def parse_as_of(value: str | None) -> datetime | None:
    """``now``, a date (YYYY-MM-DD, taken as 00:00 UTC) or an ISO datetime (UTC if no offset)."""
    if value is None:
        return None
    if value.strip().lower() == "now":
        return datetime.now(UTC)
    try:
        if len(value.strip()) == 10:
            day = date.fromisoformat(value.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"--as-of {value!r}: expected 'now', YYYY-MM-DD or an ISO date-time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _acquire(source: str | None, example: bool) -> Evidence:
    if example:
        if source is not None:
            raise UsageError("give either SOURCE or --example, not both")
        from importlib import resources  # 9 ms of start-up: only when the example is used

        ref = resources.files("handsetguard.examples").joinpath(EXAMPLE_NAME)
        with resources.as_file(ref) as path:
            evidence = open_source(path)
        evidence.kind = SourceKind.EXAMPLE
        evidence.path = f"(bundled example) {EXAMPLE_NAME}"
        return evidence
    if source is None:
        raise UsageError(
            "missing SOURCE (a bugreport .zip/.txt/folder or an AndroidQF "
            "collection), or pass --example"
        )
    return open_source(source)


def render(
    report: Report, fmt: OutputFormat, output: Path | None, verbose: bool, verdict: str
) -> None:
    """Print or write the report in ``fmt`` (``verdict`` is the precomputed one-liner)."""
    if fmt is OutputFormat.TEXT:
        handle = output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout)
        with handle as stream:
            from rich.console import Console

            from handsetguard.report.terminal import render_terminal

            console = Console(
                file=stream,
                width=110 if output else None,
                color_system=None if output else "auto",
                highlight=False,
            )
            render_terminal(report, console, verbose=verbose)
        return
    if fmt is OutputFormat.VERDICT:
        text = verdict + "\n"
    elif fmt is OutputFormat.JSON:
        from handsetguard.report.json_report import render_json

        text = render_json(report)
    elif fmt is OutputFormat.HTML:
        from handsetguard.report.html import render_html

        text = render_html(report)
    else:
        from handsetguard.report.markdown import render_markdown

        text = render_markdown(report)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_atomic(output, text)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a failure never leaves half a report."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write report ({exc.strerror or exc})") from exc


SourceArg = Annotated[
    str | None,
    typer.Argument(
        help="Bugreport (.zip, folder or dumpstate .txt) or AndroidQF collection (folder or .zip).",
        show_default=False,
    ),
]
ExampleOpt = Annotated[bool, typer.Option("--example", help="Use the bundled example device.")]
VerboseOpt = Annotated[
    bool, typer.Option("-v", "--verbose", help="Show all evidence; tracebacks on errors.")
]


@app.command()
def check(
    source: SourceArg = None,
    example: ExampleOpt = False,
    fmt: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="Output format (default: the profile's, else text)."),
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    profile: Annotated[
        str, typer.Option(help="Policy profile: consumer, enterprise, factory or a TOML file.")
    ] = "consumer",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Evaluate time-dependent checks as of DATE or 'now' (default: acquisition time).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None, typer.Option("--fail-on", help="Exit 3 when a check reaches this status.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="With adb[:SERIAL]: keep the snapshot in DIR.")
    ] = None,
    all_devices: Annotated[
        bool, typer.Option("--all", help="Check every connected device concurrently.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="With adb: cap every device command at SECONDS."),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Grade a phone's security posture: rating, every check with evidence and a fix.

    SOURCE is a bugreport, an AndroidQF collection, a snapshot folder, or adb / adb:SERIAL for
    a live phone."""
    from handsetguard.gate import Verdict, gate_verdict, verdict_line

    incomplete: str | None = None
    with _guard(verbose):
        when = parse_as_of(as_of)
        chosen = load_profile(profile, KNOWN_CHECKS)
        fmt = fmt or OutputFormat(chosen.default_format or "text")
        threshold = fail_on.value if fail_on else None
        if all_devices:
            from handsetguard.cli_live import check_all

            raise typer.Exit(check_all(chosen, when, fmt, threshold, source, timeout))
        if source is not None and is_adb_target(source):
            from handsetguard.cli_live import acquire_live

            evidence, serial, incomplete = acquire_live(source, save, timeout)
        elif save is not None:
            raise UsageError("--save applies to live phones (adb or adb:SERIAL) only")
        else:
            evidence, serial = _acquire(source, example), None
        report = run_check(evidence, chosen, as_of=when, fail_on=threshold)
        gate = report.gate or gate_verdict(
            report.checks, threshold, chosen.not_assessed_fails, report.collection_errors
        )
        line = verdict_line(gate, serial or report.device.serial, report.device.model)
        render(report, fmt, output, verbose, line)
    if incomplete is not None:
        _stderr().print(f"error: {incomplete}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    # A FAIL exits 3 whenever a gate was asked for: --fail-on, a [gate] profile, or the
    # one-line verdict format (a line controller reads the exit code as well as the line).
    gated = fail_on is not None or chosen.has_gate or fmt is OutputFormat.VERDICT
    if gated and gate.verdict is Verdict.FAIL:
        what = f"--fail-on {fail_on.value}" if fail_on is not None else "gate"
        _stderr().print(f"{what}: " + ", ".join(gate.failing), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_THRESHOLD)


def _categories(value: str | None) -> list[Category] | None:
    if value is None:
        return None
    if value.strip().lower() == "all":
        return list(Category)
    chosen = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        try:
            chosen.append(Category(name))
        except ValueError:
            known = ", ".join(c.value for c in Category)
            raise UsageError(f"--category {name!r}: unknown category (use {known})") from None
    return chosen


@app.command()
def apps(
    source: SourceArg = None,
    example: ExampleOpt = False,
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            "-c",
            help="Only these categories, comma-separated (camera, microphone, "
            "location, contacts, sms, call_log, calendar, media, body_sensors, clipboard), "
            "or 'all'. The table defaults to camera, microphone, location, contacts, sms.",
        ),
    ] = None,
    package: Annotated[str | None, typer.Option("--app", help="Only this package.")] = None,
    sort: Annotated[AppSort, typer.Option(help="Sort order.")] = AppSort.LAST,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text or json.")
    ] = OutputFormat.TEXT,
    verbose: VerboseOpt = False,
) -> None:
    """Which apps used the camera, microphone, location, contacts, SMS… and when."""
    with _guard(verbose):
        chosen = _categories(category)
        if fmt not in (OutputFormat.TEXT, OutputFormat.JSON):
            raise UsageError("apps supports --format text or json")
        report = run_check(_acquire(source, example))
        selected = [a for a in report.apps if package is None or a.package == package]
        if chosen is not None:
            from handsetguard.report.present import select_apps

            selected = select_apps(selected, chosen, sort=sort.value)
        if report.apps_unavailable:
            _stderr().print(f"note: {report.apps_unavailable}", markup=False, soft_wrap=True)
        if fmt is OutputFormat.JSON:
            import json

            from handsetguard.report.json_report import app_to_dict

            rows = [app_to_dict(app) for app in selected]
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
            return
        from rich.console import Console

        from handsetguard.report.present import HEADLINE_CATEGORIES
        from handsetguard.report.terminal import render_apps_table

        render_apps_table(
            selected,
            Console(highlight=False),
            # The table shows DTEK's five headline categories unless asked for others.
            categories=chosen if chosen is not None else list(HEADLINE_CATEGORIES),
            sort=sort.value,
        )


@app.command()
def version() -> None:
    """Print the HandsetGuard version."""
    typer.echo(f"handsetguard {__version__}")


def main() -> None:
    app()


def _register_subcommands() -> None:
    from handsetguard.cli_attest import register as register_attest
    from handsetguard.cli_live import register as register_live
    from handsetguard.server.cli import register as register_server

    register_live(app)
    register_attest(app)
    register_server(app)


_register_subcommands()
