"""Peak memory of a check: the dumpstate streams past, so a bugreport costs the sections the
checks read, not its whole text. Each check runs end to end (run_check and the JSON report, as
``handsetguard check --format json``) in a child whose own peak (VmHWM) is compared with the
same child's on a tiny dumpstate: the interpreter and imports (about 20 MB) cancel out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from handsetguard.sources.dumpstate import MAX_MARKER_LINES
from tests.conftest import CORPUS
from tests.sources.test_sources import MINI_DUMP

MIB = 1024 * 1024

_CHILD = """
import re, sys
from handsetguard.engine import run_check
from handsetguard.report.json_report import render_json
render_json(run_check(sys.argv[1]))
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
sys.stdout.write(f"VMHWM_KIB {hwm.group(1)}\\n")
"""


def _peak_mib(path: Path) -> float:
    """Peak RSS of a child checking ``path``, in MiB (its own VmHWM, not pytest's)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    match = re.search(r"VMHWM_KIB (\d+)", done.stdout)
    assert match is not None, done.stderr
    return int(match.group(1)) / 1024


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> float:
    path = tmp_path_factory.mktemp("baseline") / "bugreport-mini.txt"
    path.write_text(MINI_DUMP)
    return _peak_mib(path)


CORPUS_ZIPS = sorted(
    p.relative_to(CORPUS).as_posix() for p in (CORPUS / "device").glob("*bugreport*/*.zip")
)


@pytest.mark.parametrize("relative", CORPUS_ZIPS)
def test_corpus_bugreport_costs_what_is_read_not_its_text(relative: str, baseline: float) -> None:
    """The five corpus zips (main texts 11–25 MB): holding the text whole cost 28–44 MiB over
    the baseline; streamed, 5–13 MiB (the kept sections, 1–3 MB, and their parsing)."""
    peak = _peak_mib(CORPUS / relative)
    assert peak - baseline < 20, f"{relative}: {peak:.1f} MiB vs baseline {baseline:.1f} MiB"


def _big_dumpstate(path: Path, filler_mib: int) -> None:
    """A dumpstate whose graded sections are tiny and whose ``LOGCAT`` is ``filler_mib`` MiB of
    hex lines (compressible only about 2x, so a zip of it passes the inflate-ratio bound)."""
    with path.open("wb") as handle:
        handle.write(MINI_DUMP.encode())
        handle.write(b"------ SYSTEM LOG (logcat -d) ------\n")
        for _ in range(filler_mib):
            handle.write(b"".join(os.urandom(32).hex().encode() + b"\n" for _ in range(16_000)))
        handle.write(b"------ 0.1s was the duration of 'SYSTEM LOG' ------\n")


def test_64_mib_text_is_not_held(tmp_path: Path, baseline: float) -> None:
    """A 63 MiB plain dumpstate text: the whole-text index needed more than the text."""
    path = tmp_path / "bugreport-big.txt"
    _big_dumpstate(path, 64)
    assert path.stat().st_size > 63 * MIB
    assert _peak_mib(path) - baseline < 16


def test_64_mib_zip_member_is_not_inflated_whole(tmp_path: Path, baseline: float) -> None:
    text = tmp_path / "bugreport-big.txt"
    _big_dumpstate(text, 64)
    path = tmp_path / "bugreport-big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.write(text, text.name)
    text.unlink()
    assert _peak_mib(path) - baseline < 16


def test_section_open_at_the_marker_cap_is_not_filled(tmp_path: Path, baseline: float) -> None:
    """SYSTEM PROPERTIES opens as the last marker indexed; 64 MiB follow the cap. Its body is
    never yielded (the index stopped), so it must not be collected either. (The 50,000
    indexed sections' names and lines cost about 20 MiB, as they did before streaming.)"""
    path = tmp_path / "bugreport-capped.txt"
    with path.open("wb") as handle:
        handle.write(b"".join(b"------ S%d ------\n" % i for i in range(MAX_MARKER_LINES - 1)))
        handle.write(b"------ SYSTEM PROPERTIES (getprop) ------\n" + b"-" * 79 + b"\n")
        line = b"[ro.x]: [" + b"y" * 100 + b"]\n"
        for _ in range(64):
            handle.write(line * (MIB // len(line)))
    assert _peak_mib(path) - baseline < 40
