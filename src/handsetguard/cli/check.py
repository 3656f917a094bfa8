"""``check``: one report from a dump, a snapshot or a live phone (``apps``, in :mod:`.apps`,
reads the same inputs). Arguments, printing, exit codes — nothing else.

The engine, the renderers and rich are imported when a command runs, not when the command
line is built: ``--help`` and the parser stay a few milliseconds."""

from __future__ import annotations

import sys

from handsetguard.cli.common import (
    EXIT_THRESHOLD,
    EXIT_USAGE,
    STDOUT,
    Commands,
    OutputFormat,
    add_format,
    at_least,
    brief,
    choices_metavar,
    describe,
    guard,
    parse_as_of,
    summary,
    unit_gate,
    write_atomic,
)
from handsetguard.cli.iocs import add_iocs_option, indicators_for_check
from handsetguard.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    import argparse
    import io
    from collections.abc import Sequence
    from pathlib import Path

    from rich.console import Console

    from handsetguard.evidence import Evidence
    from handsetguard.report.model import Report

__all__ = [
    "acquire",
    "add_source",
    "add_verbose",
    "check",
    "emit",
    "output_path",
    "register",
    "text_console",
]

EXAMPLE_NAME = "example-bugreport.txt"

CHECK_FORMATS = tuple(f.value for f in OutputFormat)
FAIL_ON = ("warn", "fail")


def acquire(source: str | None, example: bool) -> Evidence:
    from handsetguard.evidence import SourceKind
    from handsetguard.sources import open_source

    if example:
        if source is not None:
            raise UsageError("give either SOURCE or --example, not both")
        from pathlib import Path

        # Beside the code, as the bundled indicator set and the profiles are read: importlib's
        # resources (and the tempfile it imports) cost ~10 ms of a 0.15 s run.
        evidence = open_source(Path(__file__).resolve().parents[1] / "examples" / EXAMPLE_NAME)
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


def text_console(output: str | None) -> tuple[Console, io.StringIO | None]:
    """A console printing to the terminal, or to a buffer that becomes ``output``."""
    from rich.console import Console

    if output is None:
        return Console(highlight=False), None
    import io

    buffer = io.StringIO()
    return Console(file=buffer, width=_FILE_WIDTH, color_system=None, highlight=False), buffer


def emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


def render(
    report: Report, fmt: OutputFormat, output: str | None, verbose: bool, verdict: str
) -> None:
    """Print or write the report in ``fmt`` (``verdict`` is the precomputed one-liner)."""
    if fmt is OutputFormat.TEXT:
        from handsetguard.report.terminal import render_terminal

        console, buffer = text_console(output)
        render_terminal(report, console, verbose=verbose)
        if buffer is not None:
            emit(buffer.getvalue(), output)
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
    emit(text, output)


def _is_adb(source: str | None) -> bool:
    # The adb package (and what it imports) loads only for a source that may be a phone.
    if source is None or not source.startswith("adb"):
        return False
    from handsetguard.adb.live import is_adb_target

    return is_adb_target(source)


def _upload_token(upload: str | None, all_devices: bool) -> str | None:
    """The credential for --upload, checked before any work is done."""
    if upload is None:
        return None
    from handsetguard.report.upload import reports_url, token_from_env

    if all_devices:
        raise UsageError("--upload sends one report: not with --all")
    reports_url(upload)
    return token_from_env()


def _upload(report: Report, url: str, token: str) -> None:
    from handsetguard.report.json_report import render_json
    from handsetguard.report.upload import upload

    done = upload(url, render_json(report), token)
    what = "the unit's baseline" if done.baseline else "a report"
    sys.stderr.write(
        f"uploaded: report {done.report_id} for unit {done.device_id} ({what}; "
        f"{done.alerts} alert(s) raised)\n"
    )


def check(  # noqa: C901 - one flow: acquire, check, render, then the exit code's three cases
    source: str | None = None,
    example: bool = False,
    fmt: OutputFormat | None = None,
    output: str | None = None,
    profile: str = "consumer",
    as_of: str | None = None,
    fail_on: str | None = None,
    save: Path | None = None,
    all_devices: bool = False,
    timeout: float | None = None,
    verbose: bool = False,
    safe_output: bool = False,
    iocs: Sequence[str] = (),
    upload: str | None = None,
) -> int:
    """Grade a phone's security posture: rating, every check with evidence and a fix.

    SOURCE is a bugreport, an AndroidQF collection, a snapshot folder, or adb / adb:SERIAL for
    a live phone."""
    from handsetguard.engine import KNOWN_CHECKS, evaluate
    from handsetguard.gate import Verdict, verdict_line
    from handsetguard.profiles.profile import load_profile
    from handsetguard.state import build_state
    from handsetguard.textsafe import visible

    incomplete: str | None = None
    with guard(verbose):
        when = parse_as_of(as_of)
        token = _upload_token(upload, all_devices)
        chosen = load_profile(profile, KNOWN_CHECKS)
        fmt = fmt or OutputFormat(chosen.default_format or "text")
        if all_devices:
            from handsetguard.cli.live import check_all

            return check_all(
                chosen, when, fmt, fail_on, source, timeout, safe_output, indicators_for_check(iocs)
            )
        if source is not None and _is_adb(source):
            from handsetguard.cli.live import acquire_live, verdict_when_unreachable

            say_line = (lambda text: emit(text, output)) if fmt is OutputFormat.VERDICT else None
            with verdict_when_unreachable(source, say_line):
                evidence, serial, incomplete = acquire_live(source, save, timeout)
        elif save is not None:
            raise UsageError("--save applies to live phones (adb or adb:SERIAL) only")
        else:
            evidence, serial = acquire(source, example), None
        # The sections' text is parsed, then let go before the indicator index is loaded: the
        # two are never in memory at once (the peak RSS of a large bugreport).
        state = build_state(evidence)
        del evidence
        indicators = indicators_for_check(iocs)
        report = evaluate(
            state,
            chosen,
            as_of=when,
            fail_on=fail_on,
            safe_output=safe_output,
            indicators=indicators,
        )
        gate = unit_gate(report, fail_on, chosen.not_assessed_fails)
        unit = (serial or report.device.serial, report.device.model)
        line = visible(verdict_line(brief(gate), *unit))  # device strings: shown, not obeyed
        render(report, fmt, output, verbose, line)
        if upload is not None and token is not None:
            _upload(report, upload, token)
    # A gate was asked for: --fail-on, a [gate] profile, or the one-line verdict format (a
    # line controller reads the exit code as well as the line).
    gated = fail_on is not None or chosen.has_gate or fmt is OutputFormat.VERDICT
    if incomplete is not None or (gated and gate.verdict is Verdict.ERROR):
        # Not judged: the collection (live, or of the snapshot read) was cut short. Said on
        # stderr too, in the verdict's words when a gate was asked for.
        why = line if gated or incomplete is None else visible(incomplete)
        sys.stderr.write(f"error: {why}\n")
        return EXIT_USAGE
    if gated and gate.verdict is Verdict.FAIL:
        what = f"--fail-on {fail_on}" if fail_on is not None else "gate"
        sys.stderr.write(f"{what}: " + ", ".join(gate.failing) + "\n")
        return EXIT_THRESHOLD
    return 0


# --- arguments ------------------------------------------------------------------------------

SOURCE_HELP = "Bugreport (.zip, folder or dumpstate .txt) or AndroidQF collection (folder or .zip)."
OUTPUT_HELP = "Write to FILE ('-': standard output); never through a link or over a non-file."


def output_path(value: str | None) -> str | None:
    return None if value == STDOUT else value


def _run_check(args: argparse.Namespace) -> int:
    from pathlib import Path

    return check(
        args.source,
        args.example,
        OutputFormat(args.fmt) if args.fmt is not None else None,
        output_path(args.output),
        args.profile,
        args.as_of,
        args.fail_on,
        Path(args.save) if args.save is not None else None,
        args.all_devices,
        args.timeout,
        args.verbose,
        args.safe_output,
        args.iocs,
        args.upload,
    )


def add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="SOURCE", help=SOURCE_HELP)
    parser.add_argument("--example", action="store_true", help="Use the bundled example device.")


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="Show all evidence; tracebacks on errors."
    )


def register(commands: Commands) -> None:
    """Add ``check`` to the HandsetGuard command line."""
    parser = commands.add_parser("check", help=summary(check), description=describe(check))
    add_source(parser)
    add_format(parser, CHECK_FORMATS, "Output format (default: the profile's, else text).")
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    parser.add_argument(
        "--profile",
        default="consumer",
        help="Policy profile: consumer, enterprise, factory or a TOML file.",
    )
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="Evaluate time-dependent checks as of DATE or 'now' (default: acquisition time).",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        metavar=choices_metavar(FAIL_ON),
        help="Exit 3 when a check reaches this status.",
    )
    parser.add_argument(
        "--save", metavar="DIR", help="With adb[:SERIAL]: keep the snapshot in DIR."
    )
    parser.add_argument(
        "--all",
        dest="all_devices",
        action="store_true",
        help="Check every connected device concurrently.",
    )
    parser.add_argument(
        "--timeout",
        type=at_least(0.1),
        metavar="SECONDS",
        help="With adb: cap every device command at SECONDS (at least 0.1).",
    )
    parser.add_argument(
        "--safe-output",
        action="store_true",
        help="Leave out advice and fix lines that would alert whoever installed a found app "
        "(for a report read on the phone itself).",
    )
    add_iocs_option(parser)
    parser.add_argument(
        "--upload",
        metavar="URL",
        help="Also send the JSON report to a HandsetGuard service (its base URL); the "
        "credential token is read from $HANDSETGUARD_TOKEN.",
    )
    add_verbose(parser)
    parser.set_defaults(run=_run_check)
