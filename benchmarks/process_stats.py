"""How the command-line benchmarks measure one run of a command: wall clock, and the peak RSS
of the largest process of its tree as the kernel's rusage reports it (wait4), output dropped."""

from __future__ import annotations

import os
import subprocess
import time

__all__ = ["measure"]


def measure(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS MiB of the largest process, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode
