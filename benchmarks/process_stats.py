"""How the command-line benchmarks measure one run of a command: wall clock, and the peak RSS
of the largest process of its tree as the kernel's rusage reports it (wait4), output dropped;
and the package byte-compiled first, as an installed package runs."""

from __future__ import annotations

import compileall
import os
import subprocess
import time
from pathlib import Path

__all__ = ["byte_compile", "measure"]

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "handsetguard"


def byte_compile() -> None:
    """Write the package's bytecode, as ``pip install`` does for an installed package. An
    editable checkout under PYTHONDONTWRITEBYTECODE=1 (or a fresh clone before its first run)
    otherwise compiles every module on every run: ~0.7 s of a check, measured on the Meizu
    bugreport, which is the compiler and not the tool. Forced: a .pyc written in the same
    second as an edit of its source would be taken as current."""
    compileall.compile_dir(PACKAGE, quiet=2, force=True)


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS MiB of the largest process, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode
