"""``apps``: which apps used the camera, microphone, location, contacts, SMS… and when, from the
inputs ``check`` reads. Arguments and printing only; the engine is imported when it runs."""

from __future__ import annotations

import sys

from handsetguard.cli.check import (
    OUTPUT_HELP,
    acquire,
    add_source,
    add_verbose,
    emit,
    output_path,
    text_console,
)
from handsetguard.cli.common import Commands, add_format, choices_metavar, describe, guard, summary
from handsetguard.errors import UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    import argparse

    from handsetguard.privacy import Category

__all__ = ["apps", "register"]

APP_SORTS = ("last", "count", "package")
APPS_FORMATS = ("text", "json")
CATEGORIES = (
    "camera, microphone, location, contacts, sms, call_log, calendar, media, body_sensors, "
    "clipboard"
)  # pinned against handsetguard.privacy.Category by a test (help text without the import)


def _categories(value: str | None) -> list[Category] | None:
    from handsetguard.privacy import Category

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
    source: str | None = None,
    example: bool = False,
    category: str | None = None,
    package: str | None = None,
    sort: str = "last",
    fmt: str = "text",
    output: str | None = None,
    verbose: bool = False,
) -> int:
    """Which apps used the camera, microphone, location, contacts, SMS… and when."""
    from handsetguard.engine import run_check
    from handsetguard.privacy import Category
    from handsetguard.report.present import HEADLINE_CATEGORIES, select_apps
    from handsetguard.textsafe import json_text, visible

    with guard(verbose):
        chosen = _categories(category)
        report = run_check(acquire(source, example))
        if report.apps_unavailable:
            sys.stderr.write(f"note: {visible(report.apps_unavailable)}\n")
        mine = [a for a in report.apps if package is None or a.package == package]
        if package is not None and not mine and not report.apps_unavailable:
            sys.stderr.write(f"note: no app {visible(package)} in the input\n")
        if fmt == "json":
            import json

            from handsetguard.report.json_report import app_to_dict

            # Every app unless categories were asked for; always in the --sort order.
            rows = select_apps(
                mine, chosen or list(Category), sort=sort, only_with_access=bool(chosen)
            )
            text = json.dumps([app_to_dict(a) for a in rows], indent=2, ensure_ascii=False)
            emit(json_text(text) + "\n", output)
            return 0
        from handsetguard.report.apps_table import render_apps_table

        console, buffer = text_console(output)
        # The text shows DTEK's five headline categories unless asked for others.
        shown = chosen if chosen is not None else list(HEADLINE_CATEGORIES)
        render_apps_table(mine, console, categories=shown, sort=sort)
        if buffer is not None:
            emit(buffer.getvalue(), output)
    return 0


def _run_apps(args: argparse.Namespace) -> int:
    return apps(
        args.source,
        args.example,
        args.category,
        args.package,
        args.sort,
        args.fmt,
        output_path(args.output),
        args.verbose,
    )


def register(commands: Commands) -> None:
    """Add ``apps`` to the HandsetGuard command line."""
    parser = commands.add_parser("apps", help=summary(apps), description=describe(apps))
    add_source(parser)
    parser.add_argument(
        "-c",
        "--category",
        help=f"Only these categories, comma-separated ({CATEGORIES}), or 'all'. Text defaults "
        "to camera, microphone, location, contacts, sms; JSON to every app.",
    )
    parser.add_argument("--app", dest="package", metavar="PACKAGE", help="Only this package.")
    parser.add_argument(
        "--sort",
        choices=APP_SORTS,
        default="last",
        metavar=choices_metavar(APP_SORTS),
        help="Most recent access first, most accesses first, or by name.",
    )
    add_format(parser, APPS_FORMATS, "Output format.", default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    add_verbose(parser)
    parser.set_defaults(run=_run_apps)
