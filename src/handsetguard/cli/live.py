"""The live-phone commands: ``devices``, ``collect``, and the adb side of ``check`` (one
device, or ``--all`` concurrently): parse, call the library, print, exit (``watch`` is
:mod:`.watch`). Each needs the ``adb`` extra; without it the command says so in one line."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from handsetguard.cli.common import (
    ADB,
    EXIT_THRESHOLD,
    EXIT_USAGE,
    STDOUT,
    Commands,
    OutputFormat,
    at_least,
    brief,
    describe,
    guard,
    needs_extra,
    say,
    summary,
    unit_gate,
)
from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from datetime import datetime
    from pathlib import Path

    from handsetguard.adb.live import LiveResult
    from handsetguard.adb.transport import AdbServer, DeviceInfo
    from handsetguard.evidence import Evidence
    from handsetguard.profiles.profile import Profile
    from handsetguard.threats import IndicatorMatcher

__all__ = [
    "acquire_live",
    "check_all",
    "collect_command",
    "device_target",
    "devices",
    "register",
    "verdict_when_unreachable",
]


def device_target(source: str) -> str | None:
    """The serial of an ``adb``/``adb:SERIAL`` target (None: the only device)."""
    from handsetguard.adb.live import adb_target, is_adb_target

    if not is_adb_target(source):
        raise UsageError(f"{source!r}: expected adb or adb:SERIAL")
    return adb_target(source)


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (hidden when stderr is not a terminal); yields ``step(text)``.
    ``label`` and the steps name the device: shown as text, never read as rich markup."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from handsetguard.textsafe import visible

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}", markup=False),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(visible(label), total=total, last="")
        yield lambda text: bar.update(task, advance=1, last=visible(text))


def _incomplete(result: LiveResult) -> str | None:
    failed = [f"'{r.command}' ({r.error})" for r in result.manifest.commands if r.error]
    if not failed:
        return None
    return (
        f"device {result.manifest.serial}: collection incomplete, the report covers what "
        f"arrived; failed: {'; '.join(failed)}"
    )


@contextmanager
def verdict_when_unreachable(source: str, emit: Callable[[str], None] | None) -> Iterator[None]:
    """With the one-line format (``emit`` writes it), a unit that cannot be collected at all
    (unauthorized, gone, no adb server) still gets its line, ``ERROR serial -: why``, as under
    ``--all``; the error then goes on to stderr and exit 2 as usual."""
    try:
        yield
    except HandsetGuardError as exc:
        if emit is not None:
            from handsetguard.adb.live import adb_target
            from handsetguard.gate import GateVerdict, Verdict, verdict_line
            from handsetguard.textsafe import visible

            gate = GateVerdict(Verdict.ERROR, (), (exc.message,), "fail")
            emit(visible(verdict_line(gate, adb_target(source), None)) + "\n")
        raise


def acquire_live(
    source: str, save: Path | None, timeout_cap: float | None = None
) -> tuple[Evidence, str, str | None]:
    """Collect from the selected device: (evidence, serial, why it is incomplete or None)."""
    with needs_extra(ADB):
        from handsetguard.adb.collect import BASE_PLAN, Command
        from handsetguard.adb.live import acquire
        from handsetguard.adb.transport import AdbServer, ShellResult

        server = AdbServer()
        device = server.select(device_target(source))
        total = len(BASE_PLAN) + 3
        with _progress(f"collecting from {device.serial}", total) as step:

            def advance(command: Command, result: ShellResult) -> None:
                step(command.name if result.complete else f"{command.name}: {result.error}")

            result = acquire(device, server, save=save, progress=advance, timeout_cap=timeout_cap)
    return result.evidence, device.serial, _incomplete(result)


def _check_one(
    device: DeviceInfo,
    server: AdbServer,
    profile: Profile,
    when: datetime | None,
    threshold: str | None,
    timeout_cap: float | None,
    safe_output: bool = False,
    indicators: IndicatorMatcher | None = None,
) -> dict[str, object]:
    from handsetguard.adb.live import acquire
    from handsetguard.adb.transport import DeviceError
    from handsetguard.engine import run_check
    from handsetguard.gate import GateVerdict, Verdict, verdict_line
    from handsetguard.report.json_report import to_dict
    from handsetguard.textsafe import visible

    row: dict[str, object] = {"serial": device.serial, "model": device.model}
    try:
        if device.state != "device":
            raise DeviceError(f"device {device.serial}: {device.state}")
        result = acquire(device, server, timeout_cap=timeout_cap)
        report = run_check(
            result.evidence,
            profile,
            as_of=when,
            fail_on=threshold,
            safe_output=safe_output,
            indicators=indicators,
        )
    except HandsetGuardError as exc:
        gate = GateVerdict(Verdict.ERROR, (), (exc.message,), threshold or "fail")
        row |= {
            "verdict": "ERROR",
            "failing": [],
            "error": exc.message,
            "line": visible(verdict_line(gate, device.serial, device.model)),
        }
        return row
    gate = unit_gate(report, threshold, profile.not_assessed_fails)
    model = report.device.model or device.model
    row |= {
        "model": model,
        "verdict": gate.verdict.value,
        "failing": list(gate.failing),
        "error": _incomplete(result),
        "line": visible(verdict_line(brief(gate), device.serial, model)),
        "report": to_dict(report),
    }
    return row


def check_all(
    profile: Profile,
    when: datetime | None,
    fmt: OutputFormat,
    threshold: str | None,
    source: str | None,
    timeout_cap: float | None = None,
    safe_output: bool = False,
    indicators: IndicatorMatcher | None = None,
) -> int:
    """Check every connected device concurrently; print a table (or verdict lines, or JSON)."""
    if source is not None and source != "adb":
        raise UsageError("--all checks every connected device: give no SOURCE, or 'adb'")
    if fmt.value not in ("text", "verdict", "json"):
        raise UsageError("--all prints text, verdict or json")
    with needs_extra(ADB):
        from concurrent.futures import ThreadPoolExecutor

        from handsetguard.adb.transport import AdbServer, DeviceError

        server = AdbServer()
        devices = server.devices()
        if not devices:
            raise DeviceError("no device connected")
        with ThreadPoolExecutor(max_workers=min(16, len(devices))) as pool:
            rows = sorted(
                pool.map(
                    lambda d: _check_one(
                        d, server, profile, when, threshold, timeout_cap, safe_output, indicators
                    ),
                    devices,
                ),
                key=lambda row: str(row["serial"]),
            )
    _print_rows(rows, fmt.value)
    from handsetguard.textsafe import visible

    errors = [row for row in rows if row["verdict"] == "ERROR" or row["error"]]
    for row in errors:
        # A unit that could not be judged is said on stderr too, naming device and command.
        why = row["line"] if row["verdict"] == "ERROR" else visible(str(row["error"]))
        sys.stderr.write(f"error: {why}\n")
    if errors:
        return EXIT_USAGE
    # As for one device: a gate was asked for by --fail-on, a [gate] profile or --format verdict.
    gated = threshold is not None or profile.has_gate or fmt is OutputFormat.VERDICT
    if gated and any(row["verdict"] == "FAIL" for row in rows):
        return EXIT_THRESHOLD
    return 0


def _print_rows(rows: list[dict[str, object]], fmt: str) -> None:
    if fmt == "json":
        import json

        from handsetguard.textsafe import json_text

        text = json.dumps(
            [{k: v for k, v in row.items() if k != "line"} for row in rows],
            indent=2,
            ensure_ascii=False,
        )
        sys.stdout.write(json_text(text) + "\n")
        return
    if fmt == "verdict":
        sys.stdout.write("".join(f"{row['line']}\n" for row in rows))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from handsetguard.textsafe import visible

    table = Table(title=f"{len(rows)} device(s)", title_justify="left")
    for column in ("Serial", "Model", "Verdict", "Failed checks / error"):
        table.add_column(column)
    for row in rows:
        failing = row["failing"]
        detail = ", ".join(failing) if isinstance(failing, list) and failing else ""
        if row["verdict"] == "ERROR":
            # The verdict line's reasons (at most three commands, then a count): the serial
            # and model before them are tokens without spaces, so ": " cannot occur in them.
            detail = str(row["line"]).partition(": ")[2]
        table.add_row(  # what the device says is shown, never obeyed: escaped, and Text, not markup
            Text(visible(str(row["serial"]))),
            Text(visible(str(row["model"] or "-"))),
            Text(str(row["verdict"])),
            Text(visible(detail or str(row["error"] or ""))),
        )
    Console(highlight=False).print(table)


# --- commands -------------------------------------------------------------------------------

TARGET_HELP = "adb (the only device) or adb:SERIAL."
TIMEOUT_HELP = (
    "Cap every device command at SECONDS (default: 10-120 s depending on the command; "
    "at least 0.1)."
)


def devices() -> int:
    """List connected devices with their state and model."""
    with needs_extra(ADB), guard():
        from handsetguard.adb.transport import AdbServer

        found = AdbServer().devices()
    if not found:
        say("no devices connected")
        return 0
    from handsetguard.textsafe import visible

    for device in found:  # serial, state and model are the device's own words
        say("\t".join(visible(part) for part in (device.serial, device.state, device.model or "-")))
    return 0


def collect_command(target: str, output: str, timeout: float | None = None) -> int:
    """Save every raw output plus snapshot.json; re-check it later with `check DIR`."""
    from pathlib import Path

    from handsetguard.textsafe import visible

    with needs_extra(ADB), guard():
        if output == STDOUT:
            raise UsageError("-o -: a snapshot is a folder; give the folder to create")
        folder = Path(output)
        if folder.is_symlink():
            raise UsageError(f"{output}: is a symbolic link; refusing to write through it")
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UsageError(f"{output}: exists and is not an empty folder; choose a new one")
        _, serial, incomplete = acquire_live(target, folder, timeout)
    say(f"snapshot of {visible(serial)} saved to {visible(output)}")
    if incomplete is not None:
        say(f"error: {visible(incomplete)}", err=True)
        return EXIT_USAGE
    return 0


def register(commands: Commands) -> None:
    """Add ``devices`` and ``collect`` to the HandsetGuard command line."""
    parser = commands.add_parser("devices", help=summary(devices), description=describe(devices))
    parser.set_defaults(run=lambda _args: devices())

    parser = commands.add_parser(
        "collect", help=summary(collect_command), description=describe(collect_command)
    )
    parser.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="Snapshot folder to write."
    )
    parser.add_argument("--timeout", type=at_least(0.1), metavar="SECONDS", help=TIMEOUT_HELP)
    parser.set_defaults(run=_run_collect)


def _run_collect(args: argparse.Namespace) -> int:
    return collect_command(args.target, args.output, args.timeout)
