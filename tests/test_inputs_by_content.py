"""Every file and folder of the MVT test artifacts (Samsung/Redmi excerpts, AndroidQF, Android
backups) and of the Humane Ai Pin dumps (Android 12L, markdown-fenced): read, with exactly
these sections, or refused with a one-line reason saying what the input is."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageStatus
from handsetguard.sources import open_source
from tests.conftest import CORPUS, corpus_path

MVT = "device/mvt-tests"
HUMANE = "device/humane-aipin-android12-dumps"
_AB = "an Android backup ('adb backup' .ab v"
_ENCRYPTED = "a password-encrypted Android backup ('adb backup' .ab v5, AES-256)"
_BINARY = "binary data"
_SUBFOLDERS = "a subfolder: not read"
_TELEPHONY = f"{MVT}/android_backup/apps/com.android.providers.telephony"
_TOMBSTONES = f"{MVT}/android_data/bugreport/FS/data/tombstones"

# relative path -> (kind, sections, where a cut text stops) or the reason it is refused.
READ: dict[str, tuple[str, set[str], str | None]] = {
    f"{MVT}/android_data": (
        "loose-dir",
        {
            "dumpsys:accessibility",
            "dumpsys:adb",
            "dumpsys:appops",
            "dumpsys:dbinfo",
            "dumpsys:package",
            "dumpsys:platform_compat",
            "getprop",
            "processes",
        },
        None,
    ),
    f"{MVT}/android_data/bugreport": (
        "bugreport-dir",
        {
            "header",
            "bugreport:fs",  # its FS/ tree: two tombstones
            "bugreport:tombstone:0",
            "bugreport:tombstone:1",
            "dumpsys:AAS",
            "dumpsys:appops",
            "dumpsys:appwidget",
            "dumpsys:package",
            "dumpsys:platform_compat",
        },
        "dumpstate.txt:266",
    ),
    f"{MVT}/android_data/bugreport/dumpstate.txt": (
        "loose-file",
        {
            "dumpsys:AAS",
            "dumpsys:appops",
            "dumpsys:appwidget",
            "dumpsys:package",
            "dumpsys:platform_compat",
        },
        "dumpstate.txt:266",
    ),
    f"{MVT}/android_data/dumpsys_accessibility.txt": (
        "loose-file",
        {"dumpsys:accessibility"},
        None,
    ),
    f"{MVT}/android_data/dumpsys_accessibility_v14_or_later.txt": (
        "loose-file",
        {"dumpsys:accessibility"},
        None,
    ),
    f"{MVT}/android_data/dumpsys_adb.txt": ("loose-file", {"dumpsys:adb"}, None),
    f"{MVT}/android_data/dumpsys_adb_wifi.txt": ("loose-file", {"dumpsys:adb"}, None),
    f"{MVT}/android_data/dumpsys_adb_xml.txt": ("loose-file", {"dumpsys:adb"}, None),
    f"{MVT}/android_data/dumpsys_appops.txt": ("loose-file", {"dumpsys:appops"}, None),
    f"{MVT}/android_data/dumpsys_packages.txt": ("loose-file", {"dumpsys:package"}, None),
    f"{MVT}/android_data/getprop.txt": ("loose-file", {"getprop"}, None),
    f"{MVT}/android_data/ps.txt": ("loose-file", {"processes"}, None),
    f"{MVT}/androidqf": (
        "androidqf-dir",
        {
            "androidqf:files",
            "androidqf:packages",
            "androidqf:root_binaries",
            "androidqf:sms",  # the SMS of its backup.ab
            "dumpsys:accessibility",
            "dumpsys:adb",
            "dumpsys:appops",
            "dumpsys:batterystats",
            "dumpsys:dbinfo",
            "dumpsys:package",
            "dumpsys:platform_compat",
            "getprop",
            "processes",
            "settings:global",
        },
        "androidqf/dumpsys.txt:399",
    ),
    f"{MVT}/androidqf/dumpsys.txt": (
        "loose-file",
        {
            "dumpsys:accessibility",
            "dumpsys:adb",
            "dumpsys:appops",
            "dumpsys:batterystats",
            "dumpsys:dbinfo",
            "dumpsys:package",
            "dumpsys:platform_compat",
        },
        "dumpsys.txt:399",
    ),
    f"{MVT}/androidqf/getprop.txt": ("loose-file", {"getprop"}, None),
    f"{MVT}/androidqf/packages.json": ("loose-file", {"androidqf:packages"}, None),
    f"{MVT}/androidqf/ps.txt": ("loose-file", {"processes"}, None),
    f"{MVT}/androidqf/root_binaries.json": ("loose-file", {"androidqf:root_binaries"}, None),
    # Samsung keys; package_verifier_enable and _user_consent are Settings.Global.
    f"{MVT}/androidqf/settings_random.txt": ("loose-file", {"settings:global"}, None),
    f"{MVT}/androidqf.zip": ("androidqf-zip", {"getprop"}, None),
    HUMANE: (
        "loose-dir",
        {
            "dumpsys:package",
            "getprop",
            "mounts",
            "processes",
            "settings:global",
            "settings:secure",
            "settings:system",
        },
        None,
    ),
    f"{HUMANE}/packages.md": ("loose-file", {"dumpsys:package"}, None),
    f"{HUMANE}/props.md": ("loose-file", {"getprop"}, None),
    f"{HUMANE}/settings.md": ("loose-file", {"mounts", "processes"}, None),
    f"{HUMANE}/user_settings.md": (
        "loose-file",
        {"settings:global", "settings:secure", "settings:system"},
        None,
    ),
}

REFUSED: dict[str, list[str]] = {
    MVT: ["no file in this folder can be graded", "mvt-tests/android_data: " + _SUBFOLDERS],
    f"{MVT}/android_backup": [
        "no file in this folder can be graded",
        "android_backup/backup.ab: " + _AB + "1, compressed, not encrypted)",
        "android_backup/backup2.ab: " + _ENCRYPTED,
    ],
    f"{MVT}/android_backup/apps": ["apps/com.android.providers.telephony: " + _SUBFOLDERS],
    _TELEPHONY: ["com.android.providers.telephony/d_f: " + _SUBFOLDERS],
    f"{_TELEPHONY}/d_f": ["d_f/000000_sms_backup: " + _BINARY, "d_f/000001_mms_backup: " + _BINARY],
    f"{_TELEPHONY}/d_f/000000_sms_backup": [_BINARY],
    f"{_TELEPHONY}/d_f/000001_mms_backup": [_BINARY],
    f"{MVT}/android_backup/backup.ab": [_AB + "1, compressed, not encrypted)", "app data"],
    f"{MVT}/android_backup/backup2.ab": [_ENCRYPTED, "without its password"],
    f"{MVT}/android_backup/backup3.ab": [_AB + "5, compressed, not encrypted)"],
    f"{MVT}/android_data/bugreport/FS": ["FS/data: " + _SUBFOLDERS],
    f"{MVT}/android_data/bugreport/FS/data": ["data/tombstones: " + _SUBFOLDERS],
    _TOMBSTONES: ["tombstones/tombstone_00: native crash tombstone: no check reads it"],
    f"{_TOMBSTONES}/tombstone_00": ["native crash tombstone: no check reads it"],
    f"{_TOMBSTONES}/tombstone_01": ["native crash tombstone: no check reads it"],
    f"{MVT}/android_data/bugreport/main_entry.txt": ["a bugreport's main_entry.txt"],
    f"{MVT}/android_data/dumpsys_battery.txt": ["dumpsys batterystats output: no check reads it"],
    f"{MVT}/android_data/dumpsys_dbinfo.txt": ["holds only dumpsys:dbinfo: no check reads it"],
    f"{MVT}/android_data/dumpsys_platform_compat.txt": ["holds only dumpsys:platform_compat"],
    f"{MVT}/android_data/tombstone_process.pb": [_BINARY],
    f"{MVT}/android_data/tombstone_process.txt": ["native crash tombstone"],
    f"{MVT}/androidqf/backup.ab": [_AB + "1, compressed, not encrypted)"],
    f"{MVT}/androidqf/files.json": ["AndroidQF files.json (a file listing): no check reads it"],
    f"{MVT}/androidqf_encrypted": ["androidqf_encrypted/backup.ab: " + _ENCRYPTED],
    f"{MVT}/androidqf_encrypted/backup.ab": [_ENCRYPTED],
    f"{HUMANE}/README.md": ["unrecognised text starting '# Factory Reset Dump'"],
    f"{HUMANE}/enabled_packages.md": ["package name list (pm list packages): no check reads it"],
    f"{HUMANE}/proto_settings.json": ["unrecognised text starting '// Created via"],
    f"{HUMANE}/services.md": [
        "binder service list (service list): no check reads it (line 6)",
        "dumpsys activity output: no check reads it (line 252)",
    ],
}


def test_the_tables_cover_every_file_and_folder() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not available at {CORPUS} (set HANDSETGUARD_CORPUS)")
    found = set()
    for top in (MVT, HUMANE):
        root = corpus_path(top)
        found |= {top} | {f"{top}/{p.relative_to(root).as_posix()}" for p in root.rglob("*")}
    assert found == set(READ) | set(REFUSED)
    assert not set(READ) & set(REFUSED)


@pytest.mark.parametrize("relative", sorted(READ))
def test_read_with_these_sections(relative: str) -> None:
    kind, sections, cut = READ[relative]
    evidence = open_source(corpus_path(relative))
    assert (evidence.kind.value, {*evidence.sections, *evidence.unread}) == (kind, sections)
    assert (str(evidence.truncated) if evidence.truncated else None) == cut
    truncated = [e for e in evidence.problems if e.status is CoverageStatus.TRUNCATED]
    assert len(truncated) == (cut is not None)


@pytest.mark.parametrize("relative", sorted(REFUSED))
def test_refused_with_a_precise_reason(relative: str) -> None:
    path = corpus_path(relative)
    with pytest.raises(SourceError) as info:
        open_source(path)
    message = info.value.message
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    for fragment in REFUSED[relative]:
        assert fragment in message


def test_humane_fenced_sections_point_at_the_original_lines() -> None:
    """user_settings.md: '# Global', a fence, the echoed 'settings list global' (line 44)."""
    evidence = open_source(corpus_path(HUMANE))
    where = {name: str(s.provenance) for name, s in evidence.sections.items()}
    assert where == {
        "dumpsys:package": "humane-aipin-android12-dumps/packages.md:4",
        "getprop": "humane-aipin-android12-dumps/props.md:1",
        "mounts": "humane-aipin-android12-dumps/settings.md:26",
        "processes": "humane-aipin-android12-dumps/settings.md:116",
        "settings:global": "humane-aipin-android12-dumps/user_settings.md:45",
        "settings:secure": "humane-aipin-android12-dumps/user_settings.md:136",
        "settings:system": "humane-aipin-android12-dumps/user_settings.md:5",
    }
    assert evidence.sections["settings:global"].text.startswith("adb_enabled=1\n")
    assert not evidence.sections["dumpsys:package"].text.rstrip().endswith("```")
    lines = Path(corpus_path(f"{HUMANE}/user_settings.md")).read_text().split("\n")
    assert lines[45 - 1] == "adb_enabled=1"


def test_humane_folder_notes_what_it_did_not_read() -> None:
    evidence = open_source(corpus_path(HUMANE))
    notes = {e.section for e in evidence.problems if e.status is CoverageStatus.SKIPPED}
    assert notes == {
        "humane-aipin-android12-dumps/README.md",
        "humane-aipin-android12-dumps/enabled_packages.md",
        "humane-aipin-android12-dumps/proto_settings.json",
        "humane-aipin-android12-dumps/services.md",
        "humane-aipin-android12-dumps/settings.md:4",
        "humane-aipin-android12-dumps/settings.md:10",
        "humane-aipin-android12-dumps/settings.md:798",
    }
