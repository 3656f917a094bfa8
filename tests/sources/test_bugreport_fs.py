"""A bugreport's FS/ tree: device paths for file-path indicators and the processes its
tombstones name for process indicators (MVT's check-bugreport reads both), from a zip and from
an unzipped folder; bounded, and a folder's symbolic links are never followed."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from handsetguard.device import Unavailable
from handsetguard.evidence import CoverageStatus, Provenance
from handsetguard.sources import bugreport_fs, open_source
from handsetguard.state import build_state
from handsetguard.threats.indicators import Places, load_indicators
from tests.conftest import corpus_path
from tests.threats.stix import write_stix

MVT_BUGREPORT = "device/mvt-tests/android_data/bugreport"
PIXEL_81 = "device/google-pixel1-sailfish-android8.1-bugreport"


def _pixel_zip() -> Path:
    return sorted(corpus_path(PIXEL_81).glob("*.zip"))[0]


def test_folder_tombstones_name_their_processes() -> None:
    state = build_state(open_source(corpus_path(MVT_BUGREPORT)))
    assert state.crashed_processes == (
        ("/system/bin/adbd", Provenance("bugreport/FS/data/tombstones/tombstone_00", 6)),
        ("/vendor/bin/tzts_daemon", Provenance("bugreport/FS/data/tombstones/tombstone_01", 6)),
    )
    assert not isinstance(state.files, Unavailable)
    paths = [f.path for f in state.files.value.files]
    assert paths == ["/data/tombstones/tombstone_00", "/data/tombstones/tombstone_01"]


def test_process_indicator_on_a_tombstone(tmp_path: Path) -> None:
    stix = write_stix(tmp_path / "t.stix2", "[process:name = 'tzts_daemon']", family="TestSpy")
    index = load_indicators([stix], places=Places(tmp_path / "d", None), env={}, bundled=False)
    [threat] = index.match(build_state(open_source(corpus_path(MVT_BUGREPORT))))
    [match] = threat.matches
    assert (match.type, match.value) == ("process:name", "tzts_daemon")
    assert match.evidence[0].fact == "crashed process /vendor/bin/tzts_daemon"
    assert str(match.evidence[0].location) == "bugreport/FS/data/tombstones/tombstone_01:6"


def test_app_indicator_on_a_crashed_app_of_a_zip(tmp_path: Path) -> None:
    stix = write_stix(tmp_path / "t.stix2", "[app:id = 'com.groupon']", family="TestSpy")
    index = load_indicators([stix], places=Places(tmp_path / "d", None), env={}, bundled=False)
    threats = index.match(build_state(open_source(_pixel_zip())))
    [threat] = [t for t in threats if t.package == "com.groupon"]
    facts = {e.fact for m in threat.matches for e in m.evidence}
    assert "crashed process com.groupon" in facts


def test_folder_symlinks_are_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "bugreport"
    shutil.copytree(corpus_path(MVT_BUGREPORT), folder)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "tombstone_09").write_text("pid: 1, tid: 1, name: x  >>> /leaked <<<\n")
    (folder / "FS" / "data" / "linked").symlink_to(secret)
    (folder / "FS" / "data" / "tombstones" / "tombstone_05").symlink_to(secret / "tombstone_09")
    state = build_state(open_source(folder))
    assert [p for p, _ in state.crashed_processes] == [
        "/system/bin/adbd",
        "/vendor/bin/tzts_daemon",
    ]
    assert any(  # the symlinked tombstone is listed, refused when read, never followed
        e.status is CoverageStatus.ERROR and "tombstone_05" in str(e.provenance)
        for e in state.coverage
    )
    paths = [f.path for f in state.files.value.files]  # type: ignore[union-attr]
    assert not any("linked" in p for p in paths)


def test_a_tombstone_over_the_limit_is_a_coverage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bugreport_fs, "MAX_TOMBSTONE_BYTES", 64)
    copy = tmp_path / "b.zip"
    with zipfile.ZipFile(_pixel_zip()) as src, zipfile.ZipFile(copy, "w") as out:
        for info in src.infolist():
            if info.filename.endswith(".txt") or "tombstones/tombstone_01" in info.filename:
                out.writestr(info, src.read(info))
    state = build_state(open_source(copy))
    assert state.crashed_processes == ()
    [entry] = [e for e in state.coverage if e.section == bugreport_fs.TOMBSTONE_SECTION]
    assert "tombstone_01" in str(entry.provenance) and "\n" not in entry.detail
