"""Snapshots: the manifest format, offline re-reading, refusals as coverage, hostile manifests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageStatus, SourceKind
from handsetguard.sources import open_source
from handsetguard.sources.snapshot import (
    CommandRecord,
    Manifest,
    read_manifest,
    write_manifest,
)

GETPROP = b"[ro.build.type]: [user]\n[ro.product.model]: [KS-60 Secure]\n"


def make_snapshot(tmp_path: Path, records: list[CommandRecord], files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    manifest = Manifest(
        tool_version="0.1.0",
        serial="KS60IN0042",
        model="KS-60 Secure",
        manufacturer="Kestrel Mobile",
        acquired_utc=datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        device_time="2026-03-01T14:00:00+0530",
        device_timezone="Asia/Kolkata",
        commands=tuple(records),
        host_key_fingerprint="AA:BB",
    )
    write_manifest(tmp_path, manifest)
    return tmp_path


def record(
    name: str,
    section: str,
    *,
    exit_status: int | None = 0,
    error: str | None = None,
    stderr: str = "",
    file: str | None = "",
) -> CommandRecord:
    return CommandRecord(
        name,
        name.replace("_", " "),
        section,
        f"{name}.txt" if file == "" else file,
        exit_status,
        0.1,
        error,
        stderr,
    )


def test_round_trip_manifest(tmp_path: Path) -> None:
    make_snapshot(tmp_path, [record("getprop", "getprop")], {"getprop.txt": GETPROP})
    manifest = read_manifest(tmp_path)
    assert manifest.serial == "KS60IN0042"
    assert manifest.acquired_utc == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert manifest.commands[0].section == "getprop"
    data = json.loads((tmp_path / "snapshot.json").read_text())
    assert data["format"] == "handsetguard.snapshot/1"
    assert data["complete"] is True
    assert not list(tmp_path.glob(".*.tmp"))


def test_snapshot_evidence_and_coverage(tmp_path: Path) -> None:
    make_snapshot(
        tmp_path,
        [
            record("getprop", "getprop"),
            record(
                "dumpsys_lock_settings",
                "dumpsys:lock_settings",
                exit_status=255,
                stderr="cmd: Can't find service: lock_settings\n",
            ),
            record("dumpsys_adb", "dumpsys:adb"),
            record(
                "dumpsys_package",
                "dumpsys:package",
                exit_status=None,
                error="timed out after 120 s",
            ),
        ],
        {
            "getprop.txt": GETPROP,
            "dumpsys_lock_settings.txt": b"",
            "dumpsys_adb.txt": b"Can't find service: adb\n",
            "dumpsys_package.txt": b"Packages:\n",
        },
    )
    evidence = open_source(tmp_path)
    assert evidence.kind is SourceKind.SNAPSHOT
    assert set(evidence.sections) == {"getprop"}
    assert evidence.sections["getprop"].provenance.file == f"{tmp_path.name}/getprop.txt"
    assert evidence.acquired_at is not None and evidence.acquired_at.when.year == 2026
    assert evidence.collector_key == "AA:BB"
    problems = {p.section: p.detail for p in evidence.problems}
    assert problems["dumpsys:lock_settings"] == (
        "'dumpsys lock settings' exited 255: cmd: Can't find service: lock_settings"
    )
    assert "Can't find service: adb" in problems["dumpsys:adb"]
    # Output cut short is kept on disk but never used as evidence.
    assert problems["dumpsys:package"] == "'dumpsys package' timed out after 120 s"
    assert all(p.status is CoverageStatus.ERROR for p in evidence.problems)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"format": "other/9"}', "unsupported snapshot format"),
        (
            '{"format": "handsetguard.snapshot/1", "device": {"serial": "S"}, '
            '"acquired_at": {"utc": "2026-01-01T00:00:00"}, "commands": []}',
            "no UTC offset",
        ),
        (
            '{"format": "handsetguard.snapshot/1", "device": {"serial": "S"}, '
            '"acquired_at": {"utc": "2026-01-01T00:00:00+00:00"}, "commands": [{"name": "a", '
            '"command": "a", "section": "getprop", "file": "../../etc/passwd"}]}',
            "not a plain name",
        ),
        (
            '{"format": "handsetguard.snapshot/1", "device": {"serial": "S"}, '
            '"acquired_at": {"utc": "2026-01-01T00:00:00+00:00"}, "commands": {}}',
            "'commands' must be a list",
        ),
    ],
)
def test_hostile_manifests_are_one_line_errors(tmp_path: Path, manifest: str, message: str) -> None:
    (tmp_path / "snapshot.json").write_text(manifest)
    with pytest.raises(SourceError, match=message) as info:
        open_source(tmp_path)
    assert "\n" not in str(info.value)


def test_missing_output_file_is_a_coverage_error(tmp_path: Path) -> None:
    make_snapshot(tmp_path, [record("getprop", "getprop")], {})
    evidence = open_source(tmp_path)
    assert evidence.sections == {}
    assert "getprop.txt named in snapshot.json is missing" in evidence.problems[0].detail


def test_settings_lists_per_user_feed_the_checks(tmp_path: Path) -> None:
    from handsetguard.engine import run_check

    make_snapshot(
        tmp_path,
        [
            record("getprop", "getprop"),
            record("settings_global_0", "settings:global"),
            record("settings_secure_10", "settings:secure:10"),
        ],
        {
            "getprop.txt": GETPROP,
            "settings_global_0.txt": b"adb_enabled=1\nauto_time=0\n",
            "settings_secure_10.txt": b"lock_screen_show_notifications=0\n",
        },
    )
    report = run_check(tmp_path)
    got = {r.id: r for r in report.checks}
    assert got["usb_debugging"].status.value == "fail"
    assert str(got["usb_debugging"].evidence[0].location) == (
        f"{tmp_path.name}/settings_global_0.txt:1"
    )
    assert str(got["auto_time"].evidence[0].location) == f"{tmp_path.name}/settings_global_0.txt:2"
    assert report.time_basis.value == "acquisition"
