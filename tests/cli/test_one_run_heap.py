"""cli/root.py's _one_run_heap: a whole-process run starts with glibc's mmap and trim limits
raised, so the C heap keeps what a run frees (a check's 256 KiB read chunks were mapped and
faulted in anew each time), at the cost of two system calls and no touched page."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the dynamic mmap threshold is glibc's",
)

_PROBE = """\
import resource, sys
from handsetguard.cli.root import _one_run_heap
before = resource.getrusage(resource.RUSAGE_SELF)
if sys.argv[1] == "raised":
    _one_run_heap()
after_step = resource.getrusage(resource.RUSAGE_SELF)
for n in range(40):  # ever larger blocks, each filled and freed, as a run's buffers are
    block = b"x" * (150_000 + 20_000 * n)
    del block
done = resource.getrusage(resource.RUSAGE_SELF)
print(done.ru_minflt - after_step.ru_minflt, after_step.ru_maxrss - before.ru_maxrss)
"""


def _faults(mode: str) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1])


def test_freed_blocks_are_reused_not_faulted_in_again() -> None:
    default, _ = _faults("default")
    raised, grown_kib = _faults("raised")
    # Without the step each larger block is a new mapping: ~5,000 pages faulted in; with
    # it they come from the heap and reuse its pages (about the largest block's 230).
    assert raised * 4 < default, (raised, default)
    assert grown_kib < 256  # the step's own megabyte was never touched
