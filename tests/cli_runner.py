"""Run the command line in this process: ``main(argv)`` with stdout and stderr captured and the
exit code taken from its ``SystemExit``, as the console script runs it. Any other exception
propagates, so a crash fails the test with its own traceback."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from typing import NamedTuple

from handsetguard.cli import main

__all__ = ["Result", "invoke", "run"]


class _Tee(io.StringIO):
    """A captured stream that also appends to ``both``, in the order things were written."""

    def __init__(self, both: io.StringIO) -> None:
        super().__init__()
        self._both = both

    def write(self, text: str) -> int:
        self._both.write(text)
        return super().write(text)


class Result(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr interleaved, as a terminal shows them


def run(*args: str) -> Result:
    """``handsetguard ARGS…`` in-process."""
    both = io.StringIO()
    out, err = _Tee(both), _Tee(both)
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - main always exits
            raise AssertionError("main() returned instead of exiting")
    if code is None:
        code = 0
    assert isinstance(code, int), f"exit code {code!r} is not a number"
    return Result(code, out.getvalue(), err.getvalue(), both.getvalue())


def invoke(*args: str) -> tuple[int, str, str]:
    """``(exit code, stdout, stderr)`` of ``handsetguard ARGS…``."""
    result = run(*args)
    return result.exit_code, result.stdout, result.stderr
