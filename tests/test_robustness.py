"""Hostile and random inputs through the whole pipeline: only the project's errors escape."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handsetguard.engine import run_check
from handsetguard.errors import HandsetGuardError

_MARKERS = [
    b"== dumpstate: 2025-01-01 00:00:00\n",
    b"------ SYSTEM PROPERTIES (getprop) ------\n",
    b"DUMP OF SERVICE appops:\n",
    b"DUMP OF SERVICE package:\n",
    b"DUMP OF SERVICE settings:\n",
    b"DUMP OF SERVICE adb:\n",
    b"DUMP OF SERVICE lock_settings:\n",
    b"-" * 79 + b"\n",
    b"[ro.build.type]: [user]\n",
    b"  Package [a.b] (1):\n",
    b"    Access: [top-s] 2025-01-01 ",
    b"_id:1 name:adb_enabled pkg:android value:1\n",
    b"Uid u0a1:\n",
    b"\xff\xfe",
    b"\x00",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_MARKERS), st.binary(max_size=64)), max_size=40))
def test_random_dumps_never_raise_foreign_errors(chunks: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump.txt"
        path.write_bytes(b"".join(chunks))
        try:
            report = run_check(path)
        except HandsetGuardError as exc:
            assert "\n" not in exc.message
            return
        assert report.checks
