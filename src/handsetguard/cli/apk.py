"""``apk``: inspect APK files (container, manifest, signatures) and print one report per APK.

The library (cryptography, pyasn1) loads only when the command runs. Exit codes as ``attest``:
0 every APK verifies, 1 at least one does not, 2 an input is unusable (not a ZIP, unreadable,
no APK in a folder) or the options are wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from handsetguard.cli.common import (
    EXIT_INVALID,
    EXIT_USAGE,
    Commands,
    add_format,
    at_least,
    check_output_target,
    describe,
    summary,
    write_atomic,
)
from handsetguard.cli.iocs import add_iocs_option
from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from handsetguard.apk import ApkReport

__all__ = ["apk_command", "register"]

FORMATS = ("text", "json", "html", "md")
MAX_FILES = 10_000


def _apk_files(target: Path) -> list[Path]:
    if target.is_dir():
        found = sorted(p for p in target.rglob("*.apk") if p.is_file() and not p.is_symlink())
        if not found:
            raise UsageError(f"{target}: no .apk file in this folder")
        if len(found) > MAX_FILES:
            raise UsageError(f"{target}: more than {MAX_FILES} APKs; name a smaller folder")
        return found
    return [target]


def apk_command(
    paths: list[str],
    fmt: str = "text",
    output: str | None = None,
    min_sdk: int | None = None,
    *,
    trackers: str | None = None,
    iocs: Sequence[str] | None = (),
    details: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Inspect every APK named (folders: every ``*.apk`` inside); return the exit code.
    ``trackers``: an εxodus tracker JSON file; ``iocs``: extra indicator sets (``None``: no
    indicator matching at all)."""
    from handsetguard.apk import ApkFormatError, inspect_apk
    from handsetguard.textsafe import visible

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    reports: list[ApkReport] = []
    unreadable: list[tuple[str, str]] = []
    try:
        if output is not None and output != "-":
            check_output_target(output, "APK report")
        files = [f for p in paths for f in _apk_files(Path(p))]
        tracker_list = None
        if trackers is not None:
            from handsetguard.apk.trackers import load_trackers

            tracker_list = load_trackers(Path(trackers))
        index = None
        if iocs is not None:
            from handsetguard.cli.iocs import indicators_for_check

            index = indicators_for_check(iocs)
    except HandsetGuardError as exc:
        err.write(f"error: {visible(exc.message)}\n")
        return EXIT_USAGE
    for path in files:
        try:
            reports.append(inspect_apk(path, min_sdk, trackers=tracker_list, indicators=index))
        except ApkFormatError as exc:
            unreadable.append((str(path), exc.message))
            err.write(f"error: {visible(exc.message)}\n")
    # Several APKs in text: one row each, unless the details were asked for.
    rows = fmt == "text" and len(files) > 1 and not details
    text = _render("rows" if rows else fmt, reports, unreadable)
    try:
        if output is None:
            out.write(text)
        else:
            write_atomic(output, text, "APK report")
    except HandsetGuardError as exc:
        err.write(f"error: {visible(exc.message)}\n")
        return EXIT_USAGE
    if unreadable:
        return EXIT_USAGE
    return 0 if all(r.signature.verified for r in reports) else EXIT_INVALID


def _render(fmt: str, reports: list[ApkReport], unreadable: list[tuple[str, str]]) -> str:
    # Only the renderer asked for is imported (the Markdown one loads the report package).
    if fmt == "json":
        from handsetguard.apk.serialize import render_json

        return render_json(reports, unreadable)
    from handsetguard.apk import render

    pick = {"html": render.render_html, "md": render.render_markdown, "rows": render.render_rows}
    return pick.get(fmt, render.render_text)(reports, unreadable)


def _apk(args: argparse.Namespace) -> int:
    """Inspect APKs: container tampering, manifest, and every signature scheme verified as
    Android does. Exit 0 when every APK verifies, 1 when one does not, 2 unusable input.

    FILE or DIR (every *.apk inside, recursively); several APKs print one row each in text
    (--details for the full reports). Signatures are checked for every API level from the
    manifest's minSdkVersion up, unless --min-sdk-version says otherwise."""
    return apk_command(
        args.paths,
        args.fmt,
        args.output,
        args.min_sdk,
        trackers=args.trackers,
        iocs=None if args.no_iocs else args.iocs,
        details=args.details,
    )


def register(commands: Commands) -> None:
    """Add ``apk`` to the HandsetGuard command line."""
    parser = commands.add_parser("apk", help=summary(_apk), description=describe(_apk))
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="APK files or folders.")
    add_format(parser, FORMATS, "Output format.", default="text")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="Write the report here ('-': standard output)."
    )
    parser.add_argument(
        "--min-sdk-version",
        dest="min_sdk",
        type=at_least(1, int),
        metavar="N",
        help="Verify for API levels from N up (default: the manifest's minSdkVersion).",
    )
    parser.add_argument(
        "--trackers",
        metavar="FILE",
        help="εxodus tracker list (JSON from reports.exodus-privacy.eu.org/api/trackers).",
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="With several APKs in text: every APK's full report, not one row each.",
    )
    add_iocs_option(parser)
    parser.add_argument(
        "--no-iocs", action="store_true", help="Do not match the threat indicator sets."
    )
    parser.set_defaults(run=_apk)
