"""``diff``: what changed between two acquisitions of one phone. Arguments, printing, exit
codes — nothing else; the diff itself is :mod:`handsetguard.diff`.

Exit codes: 0 no change of concern; 1 a change of concern (critical or high severity); 2 an
input that cannot be used (unreadable, not a report, or two different devices without
``--force``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from handsetguard.cli.common import STDOUT, Commands, add_format, describe, guard, summary
from handsetguard.cli.iocs import add_iocs_option, indicators_for_check

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["EXIT_CONCERN", "diff", "register"]

DIFF_FORMATS = ("text", "json", "html", "md")
EXIT_CONCERN = 1
_FILE_WIDTH = 110  # text written to a file: a fixed width, no colour


def _text(result: object, output: str | None) -> str | None:
    """The terminal rendering; printed now for the terminal, returned for a file."""
    import io

    from rich.console import Console

    from handsetguard.diff.model import Diff
    from handsetguard.diff.render_text import render_text

    assert isinstance(result, Diff)
    if output is None:
        render_text(result, Console(highlight=False))
        return None
    buffer = io.StringIO()
    render_text(result, Console(file=buffer, width=_FILE_WIDTH, color_system=None, highlight=False))
    return buffer.getvalue()


def diff(
    old: str,
    new: str,
    fmt: str = "text",
    output: str | None = None,
    force: bool = False,
    profile: str = "consumer",
    verbose: bool = False,
    iocs: Sequence[str] = (),
) -> int:
    """Compare two acquisitions of one phone: what was installed, enabled, granted or changed.

    OLD and NEW are JSON reports (check --format json) or any input check reads (bugreport,
    AndroidQF collection, snapshot folder). Exit 0: no change of concern; 1: a critical or
    high-severity change; 2: an unusable input or two different devices (--force compares them
    anyway)."""
    from pathlib import Path

    from handsetguard.cli.common import write_atomic
    from handsetguard.diff import diff_documents
    from handsetguard.diff.inputs import is_json_report, load_document

    with guard(verbose):
        # A raw input is checked as `check` checks it: the same indicator sets.
        raw = not (is_json_report(Path(old)) and is_json_report(Path(new)))
        indicators = indicators_for_check(iocs) if raw else None
        result = diff_documents(
            load_document(old, profile=profile, indicators=indicators),
            load_document(new, profile=profile, indicators=indicators),
            force=force,
        )
        if fmt == "json":
            from handsetguard.diff.render_json import render_json

            text: str | None = render_json(result)
        elif fmt == "html":
            from handsetguard.diff.render_html import render_html

            text = render_html(result)
        elif fmt == "md":
            from handsetguard.diff.render_markdown import render_markdown

            text = render_markdown(result)
        else:
            text = _text(result, output)
        if text is not None:
            if output is None:
                sys.stdout.write(text)
            else:
                write_atomic(output, text, "diff")
    return EXIT_CONCERN if result.of_concern else 0


def _run(args: argparse.Namespace) -> int:
    return diff(
        args.old,
        args.new,
        args.fmt,
        None if args.output == STDOUT else args.output,
        args.force,
        args.profile,
        args.verbose,
        args.iocs,
    )


def register(commands: Commands) -> None:
    """Add ``diff`` to the HandsetGuard command line."""
    parser = commands.add_parser("diff", help=summary(diff), description=describe(diff))
    parser.add_argument("old", metavar="OLD", help="The earlier acquisition or JSON report.")
    parser.add_argument("new", metavar="NEW", help="The later acquisition or JSON report.")
    add_format(parser, DIFF_FORMATS, "Output format.", default="text")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="Write to FILE ('-': standard output); never through a link or over a non-file.",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="Compare even when serial, IMEI or hardware say these are two different devices.",
    )
    parser.add_argument(
        "--profile",
        default="consumer",
        help="Profile to check raw inputs under (JSON reports keep theirs).",
    )
    add_iocs_option(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="Tracebacks on errors.")
    parser.set_defaults(run=_run)
