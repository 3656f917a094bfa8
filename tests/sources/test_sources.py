"""Sources: kind detection from content, section indexing with provenance, hostile inputs."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from handsetguard.errors import SourceError
from handsetguard.evidence import Provenance, SourceKind
from handsetguard.sources import limits, open_source
from tests.conftest import ATV_BUGREPORT, LEGACY_BUGREPORT, PIXEL1_BUGREPORT, corpus_path

MINI_DUMP = (
    "========================================================\n"
    "== dumpstate: 2026-03-01 10:00:00\n"
    "========================================================\n"
    "\n"
    "Build: TEST1.0\n"
    "Command line: androidboot.verifiedbootstate=green androidboot.flash.locked=1\n"
    "\n"
    "------ SYSTEM PROPERTIES (getprop) ------\n"
    "[ro.build.type]: [user]\n"
    "[persist.sys.timezone]: [Asia/Kolkata]\n"
    "------ 0.01s was the duration of 'SYSTEM PROPERTIES' ------\n"
    "------ DUMPSYS (/system/bin/dumpsys) ------\n"
    "-------------------------------------------------------------------------------\n"
    "DUMP OF SERVICE adb:\n"
    "ADB MANAGER STATE (dumpsys adb):\n"
    "--------- 0.001s was the duration of dumpsys adb, ending at: 2026-03-01 10:00:01\n"
    "-------------------------------------------------------------------------------\n"
    "DUMP OF SERVICE appops:\n"
    "Current AppOps Service state:\n"
    "--------- 0.001s was the duration of dumpsys appops, ending at: 2026-03-01 10:00:01\n"
    "------ 0.1s was the duration of 'DUMPSYS' ------\n"
)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_plain_dumpstate_sections_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "anything.log"
    path.write_text(MINI_DUMP)
    evidence = open_source(path)
    assert evidence.kind is SourceKind.DUMPSTATE_TXT
    assert sorted(evidence.sections) == ["dumpsys:adb", "dumpsys:appops", "getprop", "header"]
    # Indexed, but no check reads it: its bytes are dropped, its name and line kept.
    assert evidence.unread == {"section:DUMPSYS": Provenance("anything.log", 13)}
    getprop = evidence.sections["getprop"]
    assert getprop.provenance.line == 9
    assert getprop.text == "[ro.build.type]: [user]\n[persist.sys.timezone]: [Asia/Kolkata]\n"
    assert evidence.sections["dumpsys:adb"].text == "ADB MANAGER STATE (dumpsys adb):\n"
    assert evidence.sections["dumpsys:appops"].provenance.line == 19
    assert evidence.acquired_at is not None
    assert evidence.acquired_at.when.isoformat() == "2026-03-01T10:00:00"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_bom_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(MINI_DUMP.encode(encoding))
    evidence = open_source(path)
    assert evidence.sections["getprop"].text.startswith("[ro.build.type]: [user]\n")


def test_crlf_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "dump.txt"
    path.write_bytes(MINI_DUMP.replace("\n", "\r\n").encode())
    evidence = open_source(path)
    assert {"dumpsys:adb", "dumpsys:appops", "getprop", "header"} <= set(evidence.sections)
    assert "\r" not in evidence.sections["getprop"].text
    assert evidence.sections["getprop"].provenance.line == 9


def test_latin1_fallback(tmp_path: Path) -> None:
    text = MINI_DUMP.replace("[user]", "[usér]")
    path = tmp_path / "dump.txt"
    path.write_bytes(text.encode("latin-1"))
    # A single non-UTF-8 byte among ASCII: replaced, not a Latin-1 decode of the whole slice.
    assert "us\ufffdr" in open_source(path).sections["getprop"].text
    dense = "\n".join(["[ro.x]: [caf\xe9 cr\xe8me br\xfbl\xe9e]"] * 50) + "\n"
    path.write_bytes(text.replace("[ro.build.type]: [usér]\n", dense).encode("latin-1"))
    assert "café crème" in open_source(path).sections["getprop"].text


def test_zip_without_main_entry_picks_bugreport_txt(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "r.zip",
        {"bugreport-x-2026.txt": MINI_DUMP.encode(), "dumpstate_log.txt": b"log"},
    )
    evidence = open_source(path)
    assert evidence.kind is SourceKind.BUGREPORT_ZIP
    assert evidence.sections["getprop"].provenance.file == "r.zip!bugreport-x-2026.txt"


def test_zip_with_main_entry(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "r.zip",
        {
            "main_entry.txt": b"custom.txt",
            "custom.txt": MINI_DUMP.encode(),
            "bugreport-other.txt": b"not this one",
        },
    )
    assert "getprop" in open_source(path).sections


def test_unzipped_bugreport_dir(tmp_path: Path) -> None:
    (tmp_path / "main_entry.txt").write_text("bugreport-a.txt")
    (tmp_path / "bugreport-a.txt").write_text(MINI_DUMP)
    evidence = open_source(tmp_path)
    assert evidence.kind is SourceKind.BUGREPORT_DIR
    assert "dumpsys:appops" in evidence.sections


def test_main_entry_cannot_escape_the_folder(tmp_path: Path) -> None:
    inner = tmp_path / "br"
    inner.mkdir()
    (tmp_path / "secret.txt").write_text(MINI_DUMP)
    (inner / "main_entry.txt").write_text("../secret.txt")
    with pytest.raises(SourceError, match="no bugreport text"):
        open_source(inner)


def test_androidqf_folder(tmp_path: Path) -> None:
    (tmp_path / "getprop.txt").write_text("[ro.build.type]: [user]\n")
    (tmp_path / "settings_secure.txt").write_text("adb_enabled=1\n")
    (tmp_path / "selinux.txt").write_text("Enforcing\n")
    (tmp_path / "acquisition.json").write_text(
        '{"started": "2025-01-01T18:36:37.443498116Z", "completed": "2025-01-01T18:50:04.9Z"}'
    )
    evidence = open_source(tmp_path)
    assert evidence.kind is SourceKind.ANDROIDQF_DIR
    assert {"getprop", "settings:secure", "selinux", "androidqf:acquisition"} <= set(
        evidence.sections
    )
    assert evidence.acquired_at is not None
    assert evidence.acquired_at.when.isoformat() == "2025-01-01T18:50:04.900000+00:00"
    assert "completed" in evidence.acquired_at.origin


def test_androidqf_zip_with_nested_bugreport(tmp_path: Path) -> None:
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("main_entry.txt", "bugreport-n.txt")
        archive.writestr("bugreport-n.txt", MINI_DUMP)
    path = _zip(
        tmp_path / "aqf.zip",
        {"uuid/getprop.txt": b"[ro.a]: [b]\n", "uuid/bugreport.zip": nested.getvalue()},
    )
    evidence = open_source(path)
    assert evidence.kind is SourceKind.ANDROIDQF_ZIP
    assert evidence.sections["dumpsys:appops"].provenance.file.endswith(
        "aqf.zip!uuid/bugreport.zip!bugreport-n.txt"
    )
    # The collection's own getprop.txt is larger than the nested one? No: keep the larger.
    assert "getprop" in evidence.sections


def test_corrupt_nested_bugreport_is_a_coverage_error(tmp_path: Path) -> None:
    (tmp_path / "getprop.txt").write_text("[ro.a]: [b]\n")
    (tmp_path / "bugreport.zip").write_bytes(b"PK\x03\x04 truncated")
    evidence = open_source(tmp_path)
    assert [p.section for p in evidence.problems] == ["bugreport.zip"]
    assert "not a readable zip" in evidence.problems[0].detail


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02garbage\xff\xfe" * 100, "binary data"),
        (b"PK\x03\x04\x14\x00\x00\x00 truncated zip", "not a readable zip archive"),
        (b"just some text\nnothing else\n", "not a bugreport"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.zip"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message) as info:
        open_source(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_missing_path() -> None:
    with pytest.raises(SourceError, match="no such file"):
        open_source("/nonexistent/bugreport.zip")


def test_zip_of_something_else(tmp_path: Path) -> None:
    path = _zip(tmp_path / "photos.zip", {"a.jpg": b"\xff\xd8"})
    with pytest.raises(SourceError, match="neither a bugreport"):
        open_source(path)


def test_truncated_real_zip(tmp_path: Path) -> None:
    whole = _zip(tmp_path / "whole.zip", {"bugreport-a.txt": MINI_DUMP.encode() * 200})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(SourceError, match="cut.zip"):
        open_source(cut)


def test_zip_bomb_is_refused_without_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 1024 * 1024)
    path = _zip(tmp_path / "bomb.zip", {"bugreport-bomb.txt": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(SourceError, match="zip bomb"):
        open_source(path)


def test_zip_with_lying_size_header_is_bounded(tmp_path: Path) -> None:
    """A member whose header claims a small size but inflates to more than the limit."""
    import zipfile as zf

    path = _zip(tmp_path / "liar.zip", {"bugreport-l.txt": b"A" * (3 * 1024 * 1024)})
    with zf.ZipFile(path) as archive:
        info = archive.infolist()[0]
        with pytest.raises(SourceError, match="zip bomb"):
            limits.read_member(archive, info, "liar.zip", limit=1024 * 1024)


def test_traversal_names_are_ignored(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "evil.zip", {"../../getprop.txt": b"[ro.a]: [b]\n", "/abs/dumpsys.txt": b"x"}
    )
    with pytest.raises(SourceError, match="neither a bugreport"):
        open_source(path)


def test_hostile_file_size_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_MEMBER_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_text(MINI_DUMP * 10)
    with pytest.raises(SourceError, match="larger than"):
        limits.read_file(path, limits.MAX_MEMBER_BYTES)


def test_real_android14_atv_bugreport_index() -> None:
    """Android 14 TV emulator, modern zip with main_entry.txt."""
    evidence = open_source(corpus_path(ATV_BUGREPORT))
    assert evidence.kind is SourceKind.BUGREPORT_ZIP
    for name in (
        "getprop",
        "dumpsys:package",
        "dumpsys:appops",
        "dumpsys:settings",
        "dumpsys:adb",
        "dumpsys:accessibility",
        "dumpsys:device_policy",
        "dumpsys:lock_settings",
        "processes",
        "header",
    ):
        assert name in evidence.sections, name
    assert evidence.sections["getprop"].provenance.line == 147744
    assert evidence.sections["dumpsys:appops"].provenance.line == 179906
    assert evidence.sections["getprop"].text.startswith("[apex.all.ready]: [true]\n")
    assert evidence.acquired_at is not None
    assert evidence.acquired_at.when.isoformat() == "2025-11-23T10:44:46"


def test_real_pixel1_zip_without_main_entry() -> None:
    """Pixel 1 AOSP 10: the zip holds only the .txt (MVT finds nothing in it)."""
    evidence = open_source(corpus_path(PIXEL1_BUGREPORT))
    assert evidence.sections["getprop"].provenance.line == 120135
    assert evidence.sections["dumpsys:appops"].text.startswith("Current AppOps Service state:")
    assert evidence.sections["dumpsys:appops"].text.rstrip().endswith("duration=+5ms")


def test_real_legacy_android23_text() -> None:
    """Nexus One, Android 2.3: SYSTEM PROPERTIES without a command, 1980 clock ignored."""
    evidence = open_source(corpus_path(LEGACY_BUGREPORT))
    assert "getprop" in evidence.sections
    assert evidence.acquired_at is None


def test_real_androidqf_folder_and_zip() -> None:
    folder = open_source(corpus_path("device/mvt-tests/androidqf"))
    assert {
        "getprop",
        "androidqf:packages",
        "androidqf:root_binaries",
        "processes",
        "dumpsys:appops",
        "dumpsys:package",
    } <= set(folder.sections)
    packed = open_source(corpus_path("device/mvt-tests/androidqf.zip"))
    assert packed.kind is SourceKind.ANDROIDQF_ZIP
    assert packed.sections["getprop"].provenance.file == "androidqf.zip!androidqfzip/getprop.txt"


def test_real_mvt_minimal_bugreport_folder() -> None:
    evidence = open_source(corpus_path("device/mvt-tests/android_data/bugreport"))
    assert evidence.kind is SourceKind.BUGREPORT_DIR
    assert "dumpsys:appops" in evidence.sections


def test_service_output_with_its_own_dash_lines_is_kept_whole(tmp_path: Path) -> None:
    """`dumpsys window` prints 79-dash separators inside its output (Android 10 and 14)."""
    dash = "-" * 79
    text = MINI_DUMP.replace(
        "DUMP OF SERVICE adb:\nADB MANAGER STATE (dumpsys adb):\n",
        f"DUMP OF SERVICE window:\nWINDOW MANAGER POLICY STATE\n{dash}\nKeyguardServiceDelegate\n"
        "    secure=true\n",
    )
    path = tmp_path / "dump.txt"
    path.write_text(text)
    body = open_source(path).sections["dumpsys:window"].text
    assert (
        body == f"WINDOW MANAGER POLICY STATE\n{dash}\nKeyguardServiceDelegate\n    secure=true\n"
    )


def test_legacy_dumps_without_duration_lines_end_services_at_dashes(tmp_path: Path) -> None:
    dash = "-" * 79
    text = (
        f"== dumpstate: 2012-01-01 00:00:00\n------ DUMPSYS (dumpsys) ------\n"
        f"DUMP OF SERVICE window:\nalpha\n{dash}\nDUMP OF SERVICE adb:\nbeta\n{dash}\n"
        "------ NEXT (x) ------\n"
    )
    path = tmp_path / "old.txt"
    path.write_text(text)
    evidence = open_source(path)
    assert evidence.sections["dumpsys:window"].text == "alpha\n"
    assert evidence.sections["dumpsys:adb"].text == "beta\n"


def test_first_line_marker_is_found(tmp_path: Path) -> None:
    path = tmp_path / "dumpsys.txt"
    path.write_text("DUMP OF SERVICE adb:\nADB MANAGER STATE\n")
    evidence = open_source(path)
    assert evidence.sections["dumpsys:adb"].text == "ADB MANAGER STATE\n"
    assert evidence.sections["dumpsys:adb"].provenance.line == 2


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "bugreport.txt"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="not a regular file"):
        open_source(fifo)


def test_huge_file_is_refused_from_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse 600 MiB file: refused by its size, before a byte of it is read."""
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(600 * 1024 * 1024)
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == path and "rb" in args:
            raise AssertionError("the huge file was opened for reading")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", guarded_open)
    with pytest.raises(SourceError, match="larger than 512 MiB"):
        limits.read_file(path)
