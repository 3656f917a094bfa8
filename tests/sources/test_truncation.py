"""Cut dumpstate and dumpsys texts are marked truncated, with where they stop; complete ones
(and outputs whose layout cannot tell) are not."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from handsetguard.evidence import CoverageStatus
from handsetguard.sources import open_source
from handsetguard.sources.completeness import find_truncation
from tests.conftest import ATV_BUGREPORT, LEGACY_BUGREPORT, PIXEL1_BUGREPORT, corpus_path
from tests.sources.test_sources import MINI_DUMP

_FIVE_MB = 5 * 1024 * 1024


def _pixel1_text() -> bytes:
    with zipfile.ZipFile(corpus_path(PIXEL1_BUGREPORT)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".txt")]
        return archive.read(name)


def test_first_5_mb_of_pixel1_android10_bugreport_is_truncated(tmp_path: Path) -> None:
    """Pixel 1 (sailfish) AOSP 10 userdebug: the 18 MB text cut at 5 MiB, mid-line."""
    text = _pixel1_text()
    path = tmp_path / "bugreport-cut.txt"
    path.write_bytes(text[:_FIVE_MB])
    evidence = open_source(path)
    line = text[:_FIVE_MB].count(b"\n") + 1
    assert str(evidence.truncated) == f"bugreport-cut.txt:{line}"
    (entry,) = [e for e in evidence.problems if e.status is CoverageStatus.TRUNCATED]
    assert entry.provenance == evidence.truncated
    assert entry.detail.startswith(f"bugreport-cut.txt stops at line {line} without its closing")
    assert entry.section == "section:LIST OF OPEN FILES"
    # What came before the cut is still there to grade; getprop (line 120135) is lost.
    assert "header" in evidence.sections
    assert "section:LIST OF OPEN FILES" in evidence.unread  # indexed; no check reads it
    assert "getprop" not in evidence.sections


def test_whole_pixel1_android10_bugreport_is_not_truncated(tmp_path: Path) -> None:
    path = tmp_path / "bugreport.txt"
    path.write_bytes(_pixel1_text())
    evidence = open_source(path)
    assert evidence.truncated is None
    assert not [e for e in evidence.problems if e.status is CoverageStatus.TRUNCATED]


@pytest.mark.parametrize("relative", [ATV_BUGREPORT, PIXEL1_BUGREPORT, LEGACY_BUGREPORT])
def test_complete_corpus_bugreports_are_not_truncated(relative: str) -> None:
    """Android 14 ATV ends with SYSTEM LOG's duration line, Android 10 with DUMPSTATE's;
    Android 2.3 has no duration lines at all and is not judged."""
    assert open_source(corpus_path(relative)).truncated is None


def test_single_dumpsys_output_is_not_flagged(tmp_path: Path) -> None:
    for name, text in {
        "appops.txt": "Current AppOps Service state:\n  Uid u0a1:\n    state=top\n",
        "adb.txt": "DUMP OF SERVICE adb:\nADB MANAGER STATE (dumpsys adb):\n"
        "--------- 0.001s was the duration of dumpsys adb, ending at: 2024-03-21 11:07:22",
    }.items():
        path = tmp_path / name
        path.write_text(text)
        assert open_source(path).truncated is None, name


def test_cut_inside_a_dumpsys_service(tmp_path: Path) -> None:
    cut = MINI_DUMP[: MINI_DUMP.index("--------- 0.001s was the duration of dumpsys appops")]
    path = tmp_path / "d.txt"
    path.write_text(cut)
    evidence = open_source(path)
    (entry,) = [e for e in evidence.problems if e.status is CoverageStatus.TRUNCATED]
    assert (entry.section, str(entry.provenance)) == ("dumpsys:appops", "d.txt:19")
    assert "was the duration of" in entry.detail


def test_mini_dump_is_complete_and_one_cut_in_its_dumpsys_section_is_not() -> None:
    assert find_truncation(MINI_DUMP.encode(), "m.txt") is None
    cut = MINI_DUMP[: MINI_DUMP.index("------ DUMPSYS")]
    found = find_truncation(cut.encode() + b"------ DUMPSYS (dumpsys) ------\nhalf", "m.txt")
    assert found is not None
    assert (found.section, found.where.line) == ("section:DUMPSYS", 13)


@pytest.mark.parametrize("cut", [None, 700, 1500])
@pytest.mark.parametrize("region", [64, 300, 100_000])
def test_scan_with_or_without_service_starts(cut: int | None, region: int) -> None:
    """TruncationScan.feed given the region's service line starts (as the streamed index
    passes them) or searching them itself: the same verdict."""
    from handsetguard.sources.completeness import TruncationScan

    data = (MINI_DUMP * 3).encode()[:cut]
    verdicts = []
    for given in (False, True):
        scan = TruncationScan()
        base = 0
        while base < len(data):
            end = data.rfind(b"\n", base, base + region) + 1 or min(len(data), base + region)
            end = max(end, base + 1)
            buf = data[max(0, base - 1) : end]  # from the newline ending the previous region
            shift = 1 if base > 0 else 0
            starts = [i + 1 for i in range(len(buf)) if buf.startswith(b"\nDUMP OF SERVICE ", i)]
            scan.feed(
                buf,
                len(buf),
                base - shift,
                None,
                lambda o: data.count(b"\n", 0, o) + 1,
                starts if given else None,
            )
            base = end
        verdicts.append(scan.result("m.txt"))
    assert verdicts[0] == verdicts[1]
    assert (verdicts[0] is None) == (cut is None)  # titles aside (none given), as for the whole
