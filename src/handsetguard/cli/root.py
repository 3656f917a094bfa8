"""The ``handsetguard`` command line: one argparse parser with every command group on it.

Groups, one module each: check (:mod:`.check`); apps (:mod:`.apps`); diff of two acquisitions
(:mod:`.diff`); live phones — devices, collect and the adb side of check (:mod:`.live`), watch
(:mod:`.watch`); attestation (:mod:`.attest`); indicator sets (:mod:`.iocs`); APK inspection
(:mod:`.apk`); the licensing service — server, activation, royalty (:mod:`.server`); the
territory registers (:mod:`.registry`). The
library never imports this package.

Why argparse and not typer or click: start-up. On the 2-core build machine typer 0.29 cost
40-60 ms to import and 110-125 ms more inside argument parsing (its adapters import pydantic);
click alone imports in ~35 ms, argparse in ~10 ms and is already loaded by the standard library
for less than that. A command line builds only its own group's parser; every command imports the
engine, rich, adb, the verifier or the service only when it runs.
"""

from __future__ import annotations

import sys
from importlib import import_module

from handsetguard import __version__
from handsetguard.cli.common import EXIT_USAGE, Parser, say

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from types import ModuleType
    from typing import NoReturn

__all__ = ["build_parser", "main"]

DESCRIPTION = """\
HandsetGuard: grade an Android phone's security posture and show which apps used
its camera, microphone, location, contacts and SMS. 'handsetguard COMMAND --help'
describes each command."""
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


def version() -> int:
    """Print the HandsetGuard version."""
    say(f"handsetguard {__version__}")
    return 0


# The group module (in handsetguard.cli) of each command, so that a command line imports and
# builds only its own group's parser (argparse looks up a translation for every help string:
# all groups cost ~15 ms; importing the other eight modules ~2% of ``check --example``).
_GROUP_OF = {
    "check": "check",
    "apps": "apps",
    "diff": "diff",
    "devices": "live",
    "collect": "live",
    "watch": "watch",
    "attest": "attest",
    "attest-status-refresh": "attest",
    "iocs": "iocs",
    "server": "server",
    "activation": "server",
    "royalty": "server",
    "apk": "apk",
    "registry": "registry",
}


def _group(name: str) -> ModuleType:
    return import_module(f"handsetguard.cli.{name}")


def build_parser(command: str | None = None) -> Parser:
    """The command line: every command, its options, their help; with ``command`` (a known
    command name), only the group that defines it."""
    parser = Parser(prog="handsetguard", description=DESCRIPTION)
    parser.set_defaults(run=lambda _args: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    if command in _GROUP_OF:
        _group(_GROUP_OF[command]).register(commands)
        return parser
    _group("check").register(commands)
    _group("apps").register(commands)
    _group("diff").register(commands)
    commands.add_parser("version", help=version.__doc__, description=version.__doc__).set_defaults(
        run=lambda _args: version()
    )
    for name in ("live", "watch", "attest", "iocs", "server", "apk", "registry"):
        _group(name).register(commands)
    return parser


def _usage(parser: Parser) -> int:
    """No command given: the help, and exit 2 as for any incomplete command line."""
    parser.print_help()
    return EXIT_USAGE


def _one_run_gc() -> None:
    """The process runs one command, then ends. The cyclic collector's young generation is
    collected after 100,000 net allocations instead of 700, each older one after 50 of the
    younger one's passes instead of 10 (its passes over the objects imports leave behind:
    ~2-5% of a check; a run leaves ~1,000 objects in cycles, and peak RSS is unchanged on the
    corpus), and it is not run over
    everything once more at exit (another 5% of ``check --example``): the objects still live
    then are frozen, and freed by the interpreter's teardown or the process's end."""
    import atexit
    import gc

    gc.set_threshold(100_000, 50, 50)
    atexit.register(gc.freeze)


_HEAP_STEP = 1 << 20


def _one_run_heap() -> None:
    """Let the C heap keep what a run frees for its next allocation of that size. glibc's
    malloc serves an allocation of 128 KiB or more with its own mmap, unmapped again when
    freed, and gives the top of its heap back to the system once more than 256 KiB there is
    free; a check allocates and frees a 256 KiB chunk per read of its input, so every chunk's
    pages were mapped anew and faulted in again (~4 µs a page on this machine's VM: 10,000
    faults, about a fifth of a check of the 14 MB Meizu MX6 bugreport). Freeing one block
    of ``_HEAP_STEP`` bytes that malloc had mapped raises both limits, as glibc does by itself
    after the first large free (mallopt(3), M_MMAP_THRESHOLD: the dynamic threshold), to
    1 MiB and 2 MiB from the start. Measured: Meizu MX6 10,000 -> 8,060 page faults, peak
    RSS 29.9 -> 31.9 MB; the Android 9 emulator 5,920 -> 5,460, 24.8 -> 25.1 MB. ``bytes(n)``
    is calloc'd: fresh mapped pages are zero already and are never touched, so this costs two
    system calls. Another allocator ignores it."""
    block = bytes(_HEAP_STEP)
    del block


def _keep_compiled_patterns() -> None:
    """Store the regular expressions this command compiled for the next run (only if it used
    any: a command that never loaded the pattern cache does not import it now)."""
    cache = sys.modules.get("handsetguard.patterncache")
    if cache is not None:
        cache.save_programs()


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``, the process's own
    command line) and exit with its code."""
    whole_process = argv is None
    if whole_process:
        _one_run_gc()
    argv = list(sys.argv[1:] if argv is None else argv)
    one_shot = whole_process and bool(argv) and argv[0] in _QUICK_EXIT
    if one_shot:
        _one_run_heap()  # not for a long-running command (the service, watch)
    args: argparse.Namespace = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        code = args.run(args)
        _keep_compiled_patterns()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more to say, and no traceback about it.
        _silence_stdout()
        raise SystemExit(EXIT_USAGE) from None
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    if one_shot:
        _quick_exit(code)
    raise SystemExit(code)


_QUICK_EXIT = frozenset({"check", "apps", "diff"})
"""The one-shot commands: they start with the heap's limits raised (:func:`_one_run_heap`) and
end without the interpreter's teardown (:func:`_quick_exit`); they read their input, write
their report and have nothing left to finish."""


def _quick_exit(code: int) -> NoReturn:
    """End the process as Python's own exit would, minus the teardown that frees every object
    and module one by one (4-6 ms of a ``check`` on a 12-14 MB bugreport, ~4% of its wall
    time): the exit handlers still run (atexit, ``weakref.finalize``, logging's flush), stdout
    and stderr are flushed, and the files a command writes are closed before it returns. Not
    taken while another thread runs (a normal exit waits for it)."""
    import atexit
    import os

    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or vanished stream: nothing more to write
            pass
    os._exit(code)


def _silence_stdout() -> None:
    import os

    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (a test's buffer): nothing to flush
        pass
