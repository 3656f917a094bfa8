"""Loose command outputs and folders of them: recognised by content, hostile entries noted."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageStatus, Evidence, Provenance, Section, SourceKind
from handsetguard.sources import loose, open_source
from handsetguard.sources.signatures import GRADED_SECTIONS, recognise
from handsetguard.state import build_state

GETPROP = "[ro.build.type]: [user]\n[ro.boot.verifiedbootstate]: [green]\n[ro.x]: []\n"


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return path


def test_bare_getprop_file_whatever_its_name(tmp_path: Path) -> None:
    evidence = open_source(_write(tmp_path / "notes.log", GETPROP))
    assert evidence.kind is SourceKind.LOOSE_FILE
    assert list(evidence.sections) == ["getprop"]
    assert evidence.sections["getprop"].text == GETPROP
    assert str(evidence.sections["getprop"].provenance) == "notes.log:1"


def test_utf16_getprop(tmp_path: Path) -> None:
    evidence = open_source(_write(tmp_path / "p.txt", GETPROP.encode("utf-16")))
    assert evidence.sections["getprop"].text == GETPROP


@pytest.mark.parametrize(
    ("text", "name", "section"),
    [
        # Content decides: adb_enabled is Settings.Global, whatever the file is called.
        ("adb_enabled=1\nwifi_on=1\nfoo=bar\n", "settings_secure.txt", "settings:global"),
        ("android_id=abc\nenabled_accessibility_services=\n", "x.txt", "settings:secure"),
        ("screen_brightness=102\nringtone=null\n", "x.txt", "settings:system"),
        # No distinctive key: the file name breaks the tie.
        ("vendor_a=1\nvendor_b=2\n", "settings_secure.txt", "settings:secure"),
        # The echoed command is content, and names the namespace.
        ("adb shell settings list system\nvendor_a=1\n", "x.txt", "settings:system"),
    ],
)
def test_settings_list_namespace(tmp_path: Path, text: str, name: str, section: str) -> None:
    evidence = open_source(_write(tmp_path / name, text))
    assert list(evidence.sections) == [section]


def test_settings_list_of_unknown_namespace_is_refused_saying_so(tmp_path: Path) -> None:
    path = _write(tmp_path / "dump.txt", "vendor_a=1\nvendor_b=2\n")
    with pytest.raises(SourceError, match="namespace cannot be told") as info:
        open_source(path)
    assert str(path) in info.value.message


def test_echoed_command_line_is_not_part_of_the_section(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.txt", "\nsettings list global\nadb_enabled=1\n")
    section = open_source(path).sections["settings:global"]
    assert section.text == "adb_enabled=1\n"
    assert section.provenance.line == 3


@pytest.mark.parametrize(
    ("first", "section"),
    [
        ("Current AppOps Service state:\n  Uid u0a1:\n", "dumpsys:appops"),
        ("Current Device Policy Manager state:\n", "dumpsys:device_policy"),
        ("Current lock settings service state:\nSP Enabled = true\n", "dumpsys:lock_settings"),
        ("WINDOW MANAGER POLICY STATE (dumpsys window policy)\n", "dumpsys:window"),
        ("ADB MANAGER STATE (dumpsys adb):\n{\n", "dumpsys:adb"),
        ("Current Notification Manager state:\n", "dumpsys:notification"),
        (
            "GLOBAL SETTINGS (user 0)\n_id:1 name:adb_enabled pkg:android value:1\n",
            "dumpsys:settings",
        ),
        ("Database versions:\n  Internal:\n", "dumpsys:package"),
        ("ACCESSIBILITY MANAGER (dumpsys accessibility)\n", "dumpsys:accessibility"),
        # Android 14 prints the binder preamble first (ATV emulator).
        (
            "Service host process PID: 508\nThreads in use: 0/32\nClient PIDs: 150\n"
            "ADB MANAGER STATE (dumpsys adb):\n",
            "dumpsys:adb",
        ),
        ("USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 1 1 0 0 S init\n", "processes"),
        ("/dev/block/dm-0 / ext4 ro,seclabel 0 0\ntmpfs /dev tmpfs rw 0 0\n", "mounts"),
        ("Enforcing\n", "selinux"),
    ],
)
def test_headerless_outputs_by_first_lines(tmp_path: Path, first: str, section: str) -> None:
    evidence = open_source(_write(tmp_path / "out.txt", first))
    assert list(evidence.sections) == [section]


def test_dumpsys_with_its_header_keeps_only_the_service(tmp_path: Path) -> None:
    dash = "-" * 79
    path = _write(tmp_path / "a.txt", f"{dash}\nDUMP OF SERVICE appops:\nCurrent AppOps\n")
    evidence = open_source(path)
    assert evidence.kind is SourceKind.LOOSE_FILE
    assert list(evidence.sections) == ["dumpsys:appops"]
    assert evidence.truncated is None


def test_markdown_fences_keep_original_line_numbers(tmp_path: Path) -> None:
    text = (
        "# Props\n\nSome prose.\n\n```\n[ro.a]: [1]\n[ro.b]: [2]\n```\n\n"
        "# Secure\n\n```\nvendor_x=1\n```\n\n# Other\n```\nhello world\n```\n"
    )
    evidence = open_source(_write(tmp_path / "dump.md", text))
    assert {n: str(s.provenance) for n, s in evidence.sections.items()} == {
        "getprop": "dump.md:6",
        "settings:secure": "dump.md:13",  # namespace from the heading above the fence
    }
    assert evidence.sections["getprop"].text == "[ro.a]: [1]\n[ro.b]: [2]\n"
    assert [(e.status, str(e.provenance)) for e in evidence.problems] == [
        (CoverageStatus.SKIPPED, "dump.md:18")
    ]


def test_markdown_fence_with_dumpsys_headers(tmp_path: Path) -> None:
    text = "# Dump\n```\nDUMP OF SERVICE adb:\nADB MANAGER STATE (dumpsys adb):\n```\ntail\n"
    section = open_source(_write(tmp_path / "d.md", text)).sections["dumpsys:adb"]
    assert section.provenance.line == 4
    assert section.text.strip() == "ADB MANAGER STATE (dumpsys adb):"


def test_folder_of_loose_dumps_with_hostile_entries(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    _write(folder / "a.txt", GETPROP)
    _write(folder / "b.txt", "Current AppOps Service state:\n")
    _write(folder / "c.bin", b"\x00\x01\x02\x03" * 100)
    (folder / "sub").mkdir()
    os.mkfifo(folder / "fifo")
    secret = _write(tmp_path / "secret.txt", "Current Device Policy Manager state:\n")
    (folder / "link.txt").symlink_to(secret)
    evidence = open_source(folder)
    assert evidence.kind is SourceKind.LOOSE_DIR
    assert set(evidence.sections) == {"getprop", "dumpsys:appops"}
    notes = {e.section: e.detail for e in evidence.problems}
    assert all(e.status is CoverageStatus.SKIPPED for e in evidence.problems)
    assert set(notes) == {"dumps/c.bin", "dumps/sub", "dumps/fifo", "dumps/link.txt"}
    assert "symbolic link: not followed" in notes["dumps/link.txt"]
    assert "not a regular file" in notes["dumps/fifo"]
    assert "binary data" in notes["dumps/c.bin"]


def test_folder_file_count_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loose, "MAX_LOOSE_FILES", 3)
    for i in range(5):
        _write(tmp_path / f"p{i}.txt", f"[ro.p{i}]: [{i}]\n")
    evidence = open_source(tmp_path)
    assert str(evidence.sections["getprop"].provenance).endswith(".txt:1")
    read = [e for e in evidence.problems if "also in" in e.detail]
    assert len(read) == 2  # three files read, all getprop: two are noted as duplicates
    assert evidence.problems[-1].detail == "2 more files not read (more than 3)"


def test_duplicate_sections_keep_the_larger_and_say_so(tmp_path: Path) -> None:
    _write(tmp_path / "small.txt", "[ro.a]: [1]\n")
    _write(tmp_path / "large.txt", GETPROP)
    evidence = open_source(tmp_path)
    assert evidence.sections["getprop"].provenance.file.endswith("large.txt")
    assert [e.provenance.file for e in evidence.problems if e.provenance] == [
        f"{tmp_path.name}/small.txt"
    ]


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no file in this folder can be graded"):
        open_source(tmp_path)


def test_unrecognised_text_names_its_first_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.txt", "hello\x1b[31m world\n")
    with pytest.raises(SourceError) as info:
        open_source(path)
    assert "unrecognised text starting 'hello\\x1b[31m world'" in info.value.message


def test_head_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unrecognised 4 MiB file is refused from its first SNIFF_BYTES, never read whole."""
    path = _write(tmp_path / "big.txt", "x" * (4 * 1024 * 1024))
    monkeypatch.setattr(loose, "read_file", lambda *_a, **_k: pytest.fail("read whole"))
    with pytest.raises(SourceError, match="unrecognised"):
        open_source(path)


def test_recognise_unknown_is_none() -> None:
    assert recognise(["nothing we know"]) is None


@pytest.mark.parametrize(
    "name",
    sorted(GRADED_SECTIONS),
)
def test_every_graded_section_is_read_by_state(name: str) -> None:
    """The table of graded sections matches what state.py parses."""
    evidence = Evidence(SourceKind.LOOSE_FILE, "x")
    evidence.add(Section(name, Provenance("x", 1), b"garbage that no parser accepts\n"))
    coverage = build_state(evidence).coverage
    assert any(e.section == name and e.status is not CoverageStatus.MISSING for e in coverage)
