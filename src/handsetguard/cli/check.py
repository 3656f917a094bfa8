"""``check`` and ``apps``: one report from a dump, a snapshot or a live phone; which apps used
the camera, microphone, location… Arguments, printing, exit codes — nothing else."""

from __future__ import annotations

import enum
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handsetguard.adb.live import is_adb_target
from handsetguard.cli.common import (
    EXIT_THRESHOLD,
    EXIT_USAGE,
    OutputFormat,
    brief,
    guard,
    parse_as_of,
    stderr,
    write_atomic,
)
from handsetguard.engine import KNOWN_CHECKS, run_check
from handsetguard.errors import UsageError
from handsetguard.evidence import Evidence, SourceKind
from handsetguard.privacy import Category
from handsetguard.profiles.profile import load_profile
from handsetguard.report.model import Report
from handsetguard.report.present import visible
from handsetguard.sources import open_source

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["apps", "check", "register"]

EXAMPLE_NAME = "example-bugreport.txt"


class FailOn(enum.Enum):
    WARN = "warn"
    FAIL = "fail"


class AppSort(enum.Enum):
    LAST = "last"
    COUNT = "count"
    PACKAGE = "package"


class AppsFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"


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


_FILE_WIDTH = 110  # text written to a file: a fixed width, no colour


def _text_console(output: Path | None) -> tuple[Console, io.StringIO | None]:
    """A console printing to the terminal, or to a buffer that becomes ``output``."""
    from rich.console import Console

    if output is None:
        return Console(highlight=False), None
    buffer = io.StringIO()
    return Console(file=buffer, width=_FILE_WIDTH, color_system=None, highlight=False), buffer


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


def render(
    report: Report, fmt: OutputFormat, output: Path | None, verbose: bool, verdict: str
) -> None:
    """Print or write the report in ``fmt`` (``verdict`` is the precomputed one-liner)."""
    if fmt is OutputFormat.TEXT:
        from handsetguard.report.terminal import render_terminal

        console, buffer = _text_console(output)
        render_terminal(report, console, verbose=verbose)
        if buffer is not None:
            _emit(buffer.getvalue(), output)
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
    _emit(text, output)


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
    with guard(verbose):
        when = parse_as_of(as_of)
        chosen = load_profile(profile, KNOWN_CHECKS)
        fmt = fmt or OutputFormat(chosen.default_format or "text")
        threshold = fail_on.value if fail_on else None
        if all_devices:
            from handsetguard.cli.live import check_all

            raise typer.Exit(check_all(chosen, when, fmt, threshold, source, timeout))
        if source is not None and is_adb_target(source):
            from handsetguard.cli.live import acquire_live, verdict_when_unreachable

            emit = (lambda text: _emit(text, output)) if fmt is OutputFormat.VERDICT else None
            with verdict_when_unreachable(source, emit):
                evidence, serial, incomplete = acquire_live(source, save, timeout)
        elif save is not None:
            raise UsageError("--save applies to live phones (adb or adb:SERIAL) only")
        else:
            evidence, serial = _acquire(source, example), None
        report = run_check(evidence, chosen, as_of=when, fail_on=threshold)
        gate = report.gate or gate_verdict(
            report.checks, threshold, chosen.not_assessed_fails, report.collection_errors
        )
        unit = (serial or report.device.serial, report.device.model)
        line = visible(verdict_line(brief(gate), *unit))  # device strings: shown, not obeyed
        render(report, fmt, output, verbose, line)
    # A gate was asked for: --fail-on, a [gate] profile, or the one-line verdict format (a
    # line controller reads the exit code as well as the line).
    gated = fail_on is not None or chosen.has_gate or fmt is OutputFormat.VERDICT
    if incomplete is not None or (gated and gate.verdict is Verdict.ERROR):
        # Not judged: the collection (live, or of the snapshot read) was cut short. Said on
        # stderr too, in the verdict's words when a gate was asked for.
        why = line if gated or incomplete is None else visible(incomplete)
        stderr().print(f"error: {why}", markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)
    if gated and gate.verdict is Verdict.FAIL:
        what = f"--fail-on {fail_on.value}" if fail_on is not None else "gate"
        stderr().print(f"{what}: " + ", ".join(gate.failing), markup=False, soft_wrap=True)
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
            "or 'all'. Text defaults to camera, microphone, location, contacts, sms; "
            "JSON to every app.",
        ),
    ] = None,
    package: Annotated[str | None, typer.Option("--app", help="Only this package.")] = None,
    sort: Annotated[
        AppSort, typer.Option(help="Most recent access first, most accesses first, or by name.")
    ] = AppSort.LAST,
    fmt: Annotated[AppsFormat, typer.Option("--format", "-f", help="Output format.")] = (
        AppsFormat.TEXT
    ),
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Which apps used the camera, microphone, location, contacts, SMS… and when."""
    from handsetguard.report.present import HEADLINE_CATEGORIES, select_apps

    with guard(verbose):
        chosen = _categories(category)
        report = run_check(_acquire(source, example))
        if report.apps_unavailable:
            stderr().print(f"note: {report.apps_unavailable}", markup=False, soft_wrap=True)
        mine = [a for a in report.apps if package is None or a.package == package]
        if package is not None and not mine and not report.apps_unavailable:
            stderr().print(f"note: no app {visible(package)} in the input", markup=False)
        if fmt is AppsFormat.JSON:
            import json

            from handsetguard.report.json_report import app_to_dict

            # Every app unless categories were asked for; always in the --sort order.
            rows = select_apps(
                mine, chosen or list(Category), sort=sort.value, only_with_access=bool(chosen)
            )
            text = json.dumps([app_to_dict(a) for a in rows], indent=2, ensure_ascii=False)
            _emit(text + "\n", output)
            return
        from handsetguard.report.apps_table import render_apps_table

        console, buffer = _text_console(output)
        # The text shows DTEK's five headline categories unless asked for others.
        shown = chosen if chosen is not None else list(HEADLINE_CATEGORIES)
        render_apps_table(mine, console, categories=shown, sort=sort.value)
        if buffer is not None:
            _emit(buffer.getvalue(), output)


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``apps`` to the HandsetGuard command line."""
    app.command()(check)
    app.command()(apps)
