"""What every command group shares: the argument parser, exit codes, the one-line error,
missing extras, dates, safe output files. Only the command line prints and exits; this is
where it does so.

Exit codes: 0 done; 2 bad usage, unreadable input or a unit that could not be judged; 3 a
``--fail-on`` threshold or a gate was reached (``attest``: 0 valid, 1 invalid, 2 unusable).

Start-up cost matters here (``check --format json`` runs once per phone on a factory line):
this module imports only the standard library's light parts and ``handsetguard.errors``;
rich, the engine, adb and the service are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from handsetguard.errors import HandsetGuardError, UsageError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path
    from typing import NoReturn

    from rich.console import Console

    from handsetguard.gate import GateVerdict
    from handsetguard.report.model import Report

__all__ = [
    "ADB",
    "EXIT_INVALID",
    "EXIT_THRESHOLD",
    "EXIT_USAGE",
    "SERVER",
    "STDOUT",
    "Commands",
    "Extra",
    "HelpFormatter",
    "OutputFormat",
    "Parser",
    "add_format",
    "unit_gate",
    "at_least",
    "brief",
    "check_output_target",
    "choices_metavar",
    "describe",
    "fail",
    "guard",
    "needs_extra",
    "parse_as_of",
    "say",
    "stderr",
    "summary",
    "write_atomic",
]

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_THRESHOLD = 3

STDOUT = "-"  # ``-o -``: write to standard output, as every Unix tool reads it


class OutputFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"
    MD = "md"
    VERDICT = "verdict"  # one line: PASS serial model / FAIL serial model check,check


# --- the parser -----------------------------------------------------------------------------


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, by its rule ($COLUMNS if a positive number,
    else the terminal on ``sys.__stdout__``, else 80), without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions as written (their paragraphs kept), ``Usage:`` as before, and an option's
    default shown when there is one worth showing."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse asks shutil for the width, and makes a formatter for every option added: a
        # check would import shutil (and the bz2, lzma and fnmatch it imports, ~7 M
        # instructions) only to print no help. The same width, as argparse takes it.
        width = _terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        # "-f, --format <text|json>" rather than argparse's "-f <text|json>, --format <text|json>"
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        value = self._format_args(action, self._get_default_metavar_for_optional(action))
        return ", ".join(action.option_strings) + " " + value

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help
        if (
            text is not None
            and "%(default)" not in text
            and action.option_strings
            and action.default not in (None, False, argparse.SUPPRESS)
        ):
            text += " [default: %(default)s]"
        return text


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit 2 (argparse's
    own print the whole usage first); what the user typed is shown escaped."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        from handsetguard.textsafe import visible

        sys.stderr.write(f"error: {visible(message)} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[Parser]
else:
    Commands = argparse._SubParsersAction


def summary(function: Callable[..., object]) -> str:
    """The first paragraph of a command's docstring, on one line: its entry in ``--help``."""
    return (function.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


def describe(function: Callable[..., object]) -> str:
    """A command's docstring, its lines unindented: the description in its ``--help``."""
    return "\n".join(line.strip() for line in (function.__doc__ or "").strip().splitlines())


def choices_metavar(choices: Sequence[str]) -> str:
    """``<text|json>``: the help lists exactly the values that work."""
    return "<" + "|".join(choices) + ">"


def unit_gate(report: Report, fail_on: str | None, not_assessed_fails: bool) -> GateVerdict:
    """The report's gate verdict, or — when its profile has no gate and no ``--fail-on`` was
    given — the one the verdict line and exit code are computed from all the same."""
    from handsetguard.gate import gate_verdict

    return report.gate or gate_verdict(
        report.checks, fail_on, not_assessed_fails, report.collection_errors, report.threats
    )


def add_format(
    parser: argparse.ArgumentParser,
    formats: Sequence[str],
    help_text: str,
    *,
    default: str | None = None,
    short: bool = True,
) -> None:
    """The ``--format`` option (``-f`` too unless ``short`` is false) into ``args.fmt``,
    offering exactly ``formats``."""
    flags = ("-f", "--format") if short else ("--format",)
    parser.add_argument(
        *flags,
        dest="fmt",
        choices=formats,
        default=default,
        metavar=choices_metavar(formats),
        help=help_text,
    )


def at_least(minimum: float, kind: Callable[[str], float] = float) -> Callable[[str], float]:
    """An argparse ``type`` accepting numbers >= ``minimum`` (``--timeout``, ``--workers``)."""

    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is below the minimum {minimum:g}")
        return value

    convert.__name__ = kind.__name__  # argparse names the type in its error
    return convert


# --- printing and exiting -------------------------------------------------------------------


class Extra:
    """An optional dependency set: who needs it, the module imported first to see whether it
    is installed, and every top-level module it installs."""

    __slots__ = ("modules", "name", "needs", "probe")

    def __init__(self, name: str, needs: str, probe: str, modules: frozenset[str]) -> None:
        self.name = name
        self.needs = needs  # "live phones need", "the licensing service needs"
        self.probe = probe
        self.modules = modules

    @property
    def message(self) -> str:
        return f"{self.needs} the {self.name} extra: pip install 'handsetguard[{self.name}]'"


ADB = Extra("adb", "live phones need", "adbutils", frozenset({"adbutils"}))
SERVER = Extra(
    "server",
    "the licensing service needs",
    "sqlalchemy",
    frozenset(
        {
            "fastapi",
            "starlette",
            "pydantic_settings",
            "sqlalchemy",
            "alembic",
            "uvicorn",
            "psycopg",
            "prometheus_client",
        }
    ),
)


_REASONS_SHOWN = 3  # a verdict line names at most this many commands that were cut short


def brief(gate: GateVerdict) -> GateVerdict:
    """``gate`` with at most three reasons for an ERROR, then how many more: a dead adb server
    cuts every command short, and a line controller's log wants one readable line."""

    from handsetguard.gate import Verdict
    from handsetguard.records import replace

    if gate.verdict is not Verdict.ERROR or len(gate.reasons) <= _REASONS_SHOWN:
        return gate
    more = len(gate.reasons) - _REASONS_SHOWN
    shown = (*gate.reasons[:_REASONS_SHOWN], f"and {more} more command(s) cut short")
    return replace(gate, reasons=shown)


def say(line: str, *, err: bool = False) -> None:
    """Write ``line`` and a newline to stdout (or stderr). The caller has already passed any
    text from the input or the device through :func:`handsetguard.textsafe.visible`."""
    (sys.stderr if err else sys.stdout).write(line + "\n")


def stderr() -> Console:
    # rich is imported only when something is printed for people: JSON runs stay lean.
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(exc: HandsetGuardError, verbose: bool = False) -> NoReturn:
    """Print ``exc`` as one line (plus its hint; the traceback only with -v) and exit 2."""
    from handsetguard.textsafe import visible

    if verbose:
        stderr().print_exception()
    say(f"error: {visible(exc.message)}", err=True)  # messages quote the input: escaped
    if exc.remediation:
        say(f"  hint: {visible(exc.remediation)}", err=True)
    raise SystemExit(EXIT_USAGE) from None


@contextmanager
def guard(verbose: bool = False) -> Iterator[None]:
    """Turn a HandsetGuardError into one line on stderr and exit 2."""
    try:
        yield
    except HandsetGuardError as exc:
        fail(exc, verbose)


@contextmanager
def needs_extra(extra: Extra) -> Iterator[None]:
    """Run a command that needs ``extra``: its first module is imported now, and a module of
    the extra missing at any point becomes one line and exit 2 instead of a traceback."""
    try:
        importlib.import_module(extra.probe)
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in extra.modules:
            raise
        say(f"error: {extra.message}", err=True)
        raise SystemExit(EXIT_USAGE) from None


def parse_as_of(value: str | None) -> datetime | None:
    """``now``, a date (YYYY-MM-DD, taken as 00:00 UTC) or an ISO datetime (UTC if no offset)."""
    from datetime import UTC, date, datetime

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


# --- output files ---------------------------------------------------------------------------


def check_output_target(path: Path | str, what: str = "report") -> os.stat_result | None:
    """Refuse an ``-o`` target that is a symbolic link (never followed) or exists and is not
    a regular file (a device node, FIFO, socket or folder is never replaced); the target's
    ``lstat`` when it is an existing regular file, else ``None``."""
    from handsetguard.atomicfile import UnsafeTarget, target_status

    try:
        return target_status(path)
    except UnsafeTarget as exc:
        raise UsageError(f"{path}: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None


def write_atomic(target: Path | str, text: str, what: str = "report") -> None:
    """Write ``text`` to ``target`` whole or not at all (``-`` is standard output), as
    :func:`handsetguard.atomicfile.replace_file` writes a file: beside the target under a
    random name never followed through a link, synced, renamed over a target that is absent
    or a regular file; nothing left behind on failure. A new file is private (0600: reports
    name the phone's serial and apps); an existing one keeps its mode."""
    path = os.fspath(target)
    if path == STDOUT:
        sys.stdout.write(text)
        return
    from handsetguard.atomicfile import UnsafeTarget, replace_file

    try:
        replace_file(path, text.encode("utf-8"))
    except UnsafeTarget as exc:
        raise UsageError(f"{path}: {exc.reason}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write {what} ({exc.strerror or exc})") from None
