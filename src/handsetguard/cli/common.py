"""What every command group shares: exit codes, the one-line error, missing extras, dates,
atomic output files. Only the command line prints and exits; this is where it does so.

Exit codes: 0 done; 2 bad usage, unreadable input or a unit that could not be judged; 3 a
``--fail-on`` threshold or a gate was reached (``attest``: 0 valid, 1 invalid, 2 unusable).
"""

from __future__ import annotations

import enum
import importlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from handsetguard.gate import GateVerdict

__all__ = [
    "ADB",
    "SERVER",
    "EXIT_INVALID",
    "EXIT_THRESHOLD",
    "EXIT_USAGE",
    "Extra",
    "OutputFormat",
    "brief",
    "fail",
    "guard",
    "needs_extra",
    "parse_as_of",
    "stderr",
    "write_atomic",
]

EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_THRESHOLD = 3


class OutputFormat(enum.Enum):
    TEXT = "text"
    JSON = "json"
    HTML = "html"
    MD = "md"
    VERDICT = "verdict"  # one line: PASS serial model / FAIL serial model check,check


@dataclass(frozen=True, slots=True)
class Extra:
    """An optional dependency set: who needs it, the module imported first to see whether it
    is installed, and every top-level module it installs."""

    name: str
    needs: str  # "live phones need", "the licensing service needs"
    probe: str
    modules: frozenset[str]

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
    from dataclasses import replace

    from handsetguard.gate import Verdict

    if gate.verdict is not Verdict.ERROR or len(gate.reasons) <= _REASONS_SHOWN:
        return gate
    more = len(gate.reasons) - _REASONS_SHOWN
    shown = (*gate.reasons[:_REASONS_SHOWN], f"and {more} more command(s) cut short")
    return replace(gate, reasons=shown)


def stderr() -> Console:
    # rich is imported only when something is printed for people: JSON runs stay lean.
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail(exc: HandsetGuardError, verbose: bool = False) -> NoReturn:
    """Print ``exc`` as one line (plus its hint; the traceback only with -v) and exit 2."""
    console = stderr()
    if verbose:
        console.print_exception()
    console.print(f"error: {exc.message}", markup=False, soft_wrap=True)
    if exc.remediation:
        console.print(f"  hint: {exc.remediation}", markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE) from None


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
        typer.echo(f"error: {extra.message}", err=True)
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


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file beside ``path`` and rename it over ``path``: a failure
    (or a reader at the wrong moment) never sees half a report."""
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=path.parent,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as exc:
        raise UsageError(f"{path}: cannot write report ({exc.strerror or exc})") from exc
    tmp = Path(handle.name)
    try:
        with handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write report ({exc.strerror or exc})") from exc
