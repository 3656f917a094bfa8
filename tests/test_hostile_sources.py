"""Hostile inputs found by running the engine (issue "The engine under hostile input", items 3
and 4): a marker bomb, snapshot and collection files symlinked to /proc/self/environ or to a
FIFO, JSON nested 100,000 deep. Whatever measures memory or could hang runs in a subprocess
with a timeout; memory is the child's own peak (VmHWM)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handsetguard.boundedio import MAX_JSON_DEPTH, MAX_JSON_VALUES, check_json
from handsetguard.errors import HandsetGuardError, ParseError, SourceError
from handsetguard.evidence import CoverageStatus
from handsetguard.sources import open_source
from handsetguard.sources.dumpstate import MAX_MARKER_LINES
from handsetguard.sources.snapshot import CommandRecord, Manifest, write_manifest
from handsetguard.state import build_state

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "device"
# Android 14 emulator (Android TV, sdk_google_atv64) getprop lines: a real, valid section.
GETPROP = b"[ro.build.type]: [userdebug]\n[ro.product.model]: [sdk_google_atv64_arm64]\n"
SECRET = "hg-test-db-password-5f1c9e"
MIB = 1024 * 1024

# The library end to end (run_check, as ``handsetguard check`` calls it) in a child: the
# coverage as JSON and the whole report's repr (whatever any renderer could show) to ``out``.
_CHILD = """
import json, re, resource, sys
from handsetguard.engine import run_check
from handsetguard.errors import HandsetGuardError
try:
    report = run_check(sys.argv[1])
    coverage = [[e.section, e.status.value, e.detail] for e in report.coverage]
    out, code = json.dumps({"coverage": coverage, "repr": repr(report)}), 0
except HandsetGuardError as exc:
    sys.stderr.write(exc.message)
    out, code = "", 2
with open(sys.argv[2], "w") as handle:
    handle.write(out)
# VmHWM, the peak of this process image: ru_maxrss would carry the (pytest) parent's peak
# across fork and exec.
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read())
sys.stderr.write(f"\\nMAXRSS_KIB {hwm.group(1) if hwm else resource.getrusage(0).ru_maxrss}\\n")
sys.exit(code)
"""


def run_check(path: Path, out: Path, timeout: float = 120) -> tuple[int, str, float]:
    """Check ``path`` in a child, ``out`` receiving what :data:`_CHILD` writes: (exit code,
    stderr without the RSS line, peak RSS of the child in MiB). A hang fails at ``timeout``."""
    env = {**os.environ, "HG_TEST_SECRET": SECRET}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    match = re.search(r"\nMAXRSS_KIB (\d+)\n", done.stderr)
    assert match is not None, done.stderr
    return done.returncode, done.stderr[: match.start()].strip(), int(match.group(1)) / 1024


# ------------------------------------------------------------------ memory amplification


def test_marker_bomb_zip_is_refused_in_bounded_memory_and_time(tmp_path: Path) -> None:
    """A ~1 MB zip whose bugreport text is 512 MiB of ``------  ------`` lines: before, 7.5 GiB
    and 4 min 42 s; now one line naming the member, never inflated past the ratio bound."""
    bomb = tmp_path / "bomb.zip"
    line = b"------  ------\n"
    chunk = line * 70_000
    with zipfile.ZipFile(bomb, "w") as archive:
        archive.writestr("main_entry.txt", "bugreport-bomb.txt")
        info = zipfile.ZipInfo("bugreport-bomb.txt")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            left = 512 * MIB  # exactly the per-text limit: only the ratio bound refuses it
            while left:
                handle.write(chunk[:left])
                left -= min(left, len(chunk))
    assert bomb.stat().st_size < 1.2 * MIB
    code, err, rss = run_check(bomb, tmp_path / "out.json", timeout=60)
    assert code == 2
    assert "\n" not in err and "Traceback" not in err
    assert "bomb.zip!bugreport-bomb.txt" in err and "zip bomb" in err
    assert rss < 300


def test_marker_lines_in_a_text_cost_one_copy_and_stop_at_the_cap(tmp_path: Path) -> None:
    """A 64 MiB dumpstate text of nothing but marker lines (each one a section): the index is
    lazy and stops at MAX_MARKER_LINES with a ``truncated`` coverage entry; peak RSS stays under
    twice the text plus the interpreter."""
    text = tmp_path / "bugreport-markers.txt"
    chunk = b"".join(b"------ S%d ------\n" % i for i in range(60_000))
    with text.open("wb") as handle:
        written = 0
        while written < 64 * MIB:
            handle.write(chunk)
            written += len(chunk)
    out = tmp_path / "out.json"
    code, err, rss = run_check(text, out, timeout=60)
    assert code == 0, err
    assert rss < 2 * written / MIB + 120
    coverage = json.loads(out.read_text())["coverage"]
    stops = [e for e in coverage if e[1] == "truncated" and "not indexed" in e[2]]
    assert len(stops) == 1
    assert f"past line {MAX_MARKER_LINES + 1}:" in stops[0][2]


def test_quadratic_title_is_not_a_marker(tmp_path: Path) -> None:
    """A title line of a megabyte of `` (`` once made the title split backtrack
    quadratically; now it is content, and the real sections around it are indexed."""
    hostile = b"------ " + b" (" * 500_000 + b") ------\n"
    data = b"------ SYSTEM PROPERTIES (getprop) ------\n" + GETPROP + hostile
    path = tmp_path / "bugreport-x.txt"
    path.write_bytes(data + b"------ KERNEL LOG (dmesg) ------\n<6>[0.0] x\n")
    code, err, _ = run_check(path, tmp_path / "out.json", timeout=60)
    assert code == 0, err
    evidence = open_source(path)
    assert evidence.sections["getprop"].text.endswith(hostile.decode())
    assert "kernel_log" in evidence.sections


# ------------------------------------------------------------------- snapshot symlinks


def make_snapshot(folder: Path) -> Path:
    folder.mkdir()
    record = CommandRecord("getprop", "getprop", "getprop", "getprop.txt", 0, 0.1)
    manifest = Manifest(
        tool_version="0.1.0",
        serial="EMULATOR34X1X1X0",
        model="sdk_google_atv64_arm64",
        manufacturer="Google",
        acquired_utc=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        device_time=None,
        device_timezone=None,
        commands=(record,),
    )
    write_manifest(folder, manifest)
    return folder


def test_snapshot_getprop_symlinked_to_environ_is_not_followed(tmp_path: Path) -> None:
    snapshot = make_snapshot(tmp_path / "snap")
    (snapshot / "getprop.txt").symlink_to("/proc/self/environ")
    out = tmp_path / "out.json"
    code, err, _ = run_check(snapshot, out, timeout=60)
    assert "Traceback" not in err
    report = out.read_text() if out.exists() else ""
    assert SECRET not in report and SECRET not in err
    assert code == 0
    evidence = open_source(snapshot)
    assert "getprop" not in evidence.sections
    (entry,) = evidence.problems
    assert entry.status is CoverageStatus.ERROR
    assert "symbolic link: not followed" in entry.detail


@pytest.mark.parametrize("how", ["symlink", "fifo"])
def test_snapshot_getprop_fifo_is_refused_without_blocking(tmp_path: Path, how: str) -> None:
    snapshot = make_snapshot(tmp_path / "snap")
    if how == "symlink":
        os.mkfifo(tmp_path / "pipe")
        (snapshot / "getprop.txt").symlink_to(tmp_path / "pipe")
    else:
        os.mkfifo(snapshot / "getprop.txt")
    code, err, _ = run_check(snapshot, tmp_path / "out.json", timeout=30)
    assert "Traceback" not in err and code == 0
    (entry,) = open_source(snapshot).problems
    assert "not followed" in entry.detail or "not a regular file" in entry.detail


def test_snapshot_manifest_symlink_and_deep_manifest_are_one_line_errors(tmp_path: Path) -> None:
    real = make_snapshot(tmp_path / "real")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "snapshot.json").symlink_to(real / "snapshot.json")
    with pytest.raises(SourceError, match="symbolic link; not followed"):
        open_source(linked)
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "snapshot.json").write_text('{"format": ' + "[" * 100_000)
    with pytest.raises(SourceError) as caught:
        open_source(deep)
    assert f"nested deeper than {MAX_JSON_DEPTH}" in caught.value.message
    assert "\n" not in caught.value.message


def test_androidqf_and_bugreport_folders_do_not_follow_symlinks(tmp_path: Path) -> None:
    qf = tmp_path / "qf"
    qf.mkdir()
    (qf / "getprop.txt").symlink_to("/proc/self/environ")
    (qf / "packages.json").write_text("[]")
    code, err, _ = run_check(qf, tmp_path / "qf.json", timeout=60)
    assert "Traceback" not in err and SECRET not in err
    assert SECRET not in (tmp_path / "qf.json").read_text()
    evidence = open_source(qf)
    assert "getprop" not in evidence.sections
    assert any("symbolic link" in e.detail for e in evidence.problems)

    unzipped = tmp_path / "bugreport-folder"
    unzipped.mkdir()
    (unzipped / "bugreport-x.txt").symlink_to("/proc/self/environ")
    with pytest.raises(SourceError, match="holds no bugreport text"):
        open_source(unzipped)


# ---------------------------------------------------------------------------- deep JSON


def test_deep_root_binaries_and_acquisition_are_coverage_entries(tmp_path: Path) -> None:
    qf = tmp_path / "qf"
    qf.mkdir()
    (qf / "getprop.txt").write_bytes(GETPROP)
    (qf / "root_binaries.json").write_text("[" * 100_000)
    (qf / "acquisition.json").write_text('{"started": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (qf / "packages.json").write_text("[" + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "]")
    code, err, _ = run_check(qf, tmp_path / "out.json", timeout=60)
    assert "Traceback" not in err and "RecursionError" not in err, err
    assert code == 0
    state = build_state(open_source(qf))
    errors = {e.section: e.detail for e in state.coverage if e.status is CoverageStatus.ERROR}
    deeper = f"nested deeper than {MAX_JSON_DEPTH} levels"
    assert set(errors) == {"androidqf:root_binaries", "androidqf:acquisition", "androidqf:packages"}
    for section, detail in errors.items():
        assert "\n" not in detail
        # packages.json: the parser's own depth check (or, before it, its RecursionError catch)
        assert deeper in detail or section == "androidqf:packages"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ('["' + "[" * 10_000 + '"]', True),  # brackets inside a string do not nest
        ('["\\"' + "[" * 10_000 + '"]', True),  # nor after an escaped quote
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), False),
        ("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH, True),
        ("[" + "[]," * 200 + "[]]", True),  # many openings, shallow
        ("[" + "{}," * MAX_JSON_VALUES + "{}]", False),  # too many values
    ],
)
def test_check_json_bounds(text: str, ok: bool) -> None:
    for form in (text, text.encode()):
        if ok:
            check_json(form, "x.json", ParseError)
        else:
            with pytest.raises(ParseError):
                check_json(form, "x.json", ParseError)


def test_errors_stay_the_projects_own(tmp_path: Path) -> None:
    """Every refusal above is a HandsetGuardError, never RecursionError or OSError."""
    path = tmp_path / "snapshot.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text("[" * 1_000_000)
    with pytest.raises(HandsetGuardError):
        open_source(tmp_path)


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus not present")
def test_real_androidqf_packages_json_passes_the_bounds() -> None:
    """MVT's AndroidQF test collection (a real packages.json) is within every JSON bound."""
    text = (CORPUS / "mvt-tests" / "androidqf" / "packages.json").read_text()
    check_json(text, "packages.json", ParseError)


def test_markdown_of_many_fence_lines_is_bounded(tmp_path: Path) -> None:
    """A loose markdown file of 3 million ```` ``` ```` lines (6 MiB): once a Python step per
    line, now the fence scan stops at MAX_MARKER_LINES with a ``truncated`` coverage entry."""
    path = tmp_path / "notes.md"
    path.write_bytes(b"```\n" + GETPROP + b"```\n" + b"```\n" * 3_000_000)
    out = tmp_path / "out.json"
    code, err, _ = run_check(path, out, timeout=60)
    assert code == 0, err
    coverage = json.loads(out.read_text())["coverage"]
    (stop,) = (e for e in coverage if e[1] == "truncated")
    assert f"more than {MAX_MARKER_LINES:,} fence and heading lines" in stop[2]
