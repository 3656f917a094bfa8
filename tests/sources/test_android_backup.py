"""The SMS of an Android backup (AndroidQF's backup.ab): MVT's real backups, our own plain and
compressed ones, encrypted, corrupt and inflating ones — a section or a coverage entry, never an
exception."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zlib
from pathlib import Path

import pytest

from handsetguard.device import Unavailable
from handsetguard.evidence import CoverageStatus, Evidence, SourceKind
from handsetguard.sources import android_backup, open_source
from handsetguard.sources.android_backup import SMS_SECTION, add_backup_sms
from handsetguard.state import build_state
from tests.conftest import corpus_path

SMS_MEMBER = "apps/com.android.providers.telephony/d_f/000000_sms_backup"
MVT_SMS = {"address": "06543219", "body": "Hi this is a test message to https://google.com/"}


def _backup(members: dict[str, bytes], compressed: bool = True, encryption: str = "none") -> bytes:
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    payload = tar_bytes.getvalue()
    header = f"ANDROID BACKUP\n5\n{int(compressed)}\n{encryption}\n".encode()
    return header + (zlib.compress(payload) if compressed else payload)


def _sms_member(*messages: dict[str, str]) -> bytes:
    return zlib.compress(json.dumps(list(messages)).encode())


def _read(data: bytes) -> Evidence:
    evidence = Evidence(SourceKind.ANDROIDQF_DIR, "x")
    add_backup_sms(evidence, data, "q/backup.ab")
    return evidence


@pytest.mark.parametrize("name", ["backup.ab", "backup3.ab"])
def test_mvt_backups_give_their_sms(name: str) -> None:
    data = corpus_path(f"device/mvt-tests/android_backup/{name}").read_bytes()
    evidence = _read(data)
    section = evidence.sections[SMS_SECTION]
    assert str(section.provenance) == f"q/backup.ab!{SMS_MEMBER}:1"
    assert [json.loads(line) for line in section.text.split("\n")] == [
        {**MVT_SMS, "date": "1645543781956"}
    ]
    assert evidence.problems == []


def test_encrypted_backup_is_a_coverage_note() -> None:
    data = corpus_path("device/mvt-tests/android_backup/backup2.ab").read_bytes()
    evidence = _read(data)
    assert SMS_SECTION not in evidence.sections
    [entry] = evidence.problems
    assert entry.status is CoverageStatus.SKIPPED
    assert "encrypted (AES-256)" in entry.detail


@pytest.mark.parametrize("compressed", [True, False])
def test_own_backup_every_sms_member_one_message_per_line(compressed: bool) -> None:
    second = SMS_MEMBER.replace("000000", "000002")
    data = _backup(
        {
            "apps/com.android.providers.telephony/_manifest": b"manifest",
            SMS_MEMBER: _sms_member({"address": "1", "body": "a"}, {"address": "2", "body": "b"}),
            second: _sms_member({"address": "3", "body": "https://x.example.com/"}),
        },
        compressed,
    )
    evidence = _read(data)
    assert evidence.sections[SMS_SECTION].text.count("\n") == 1  # two messages
    assert "x.example.com" in evidence.sections[f"{SMS_SECTION}:1"].text
    assert evidence.problems == []


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"PK\x03\x04 not a backup", "not an Android backup"),
        (b"ANDROID BACKUP\n5\n", "header is cut short"),
        (b"ANDROID BACKUP\nfive\n1\nnone\n", "header is not valid"),
        (b"ANDROID BACKUP\n5\n1\nnone\n" + b"\x78\x9c garbage", "corrupt"),
        (_backup({SMS_MEMBER: b"not zlib"}), "not a zlib-compressed SMS backup"),
        (_backup({SMS_MEMBER: zlib.compress(b'{"a": 1}')}), "is not a JSON list"),
        (_backup({SMS_MEMBER: _sms_member()})[:-40], "corrupt"),
    ],
)
def test_bad_backups_are_one_coverage_error(data: bytes, why: str) -> None:
    evidence = _read(data)
    [entry] = evidence.problems
    assert entry.status is CoverageStatus.ERROR
    assert why in entry.detail and "\n" not in entry.detail


def test_inflation_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(android_backup, "MAX_BACKUP_BYTES", 1024 * 1024)
    bomb = _backup({"apps/x/f/padding": b"\0" * (8 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024
    [entry] = _read(bomb).problems
    assert "inflates past 1 MiB" in entry.detail


def test_androidqf_folder_with_a_corrupt_backup_still_checks(tmp_path: Path) -> None:
    folder = tmp_path / "androidqf"
    shutil.copytree(corpus_path("device/mvt-tests/androidqf"), folder)
    (folder / "backup.ab").write_bytes(b"ANDROID BACKUP\n5\n1\nnone\n\x78\x9cjunk")
    state = build_state(open_source(folder))
    assert state.links == ()
    assert any(
        e.section == SMS_SECTION and e.status is CoverageStatus.ERROR for e in state.coverage
    )
    assert not isinstance(state.packages, Unavailable)  # the rest of the collection is read


def test_androidqf_sms_become_links() -> None:
    state = build_state(open_source(corpus_path("device/mvt-tests/androidqf")))
    [(name, located)] = state.links
    assert name == SMS_SECTION
    [link] = located.value.links
    assert (link.url, link.host, link.context) == (
        "https://google.com/",
        "google.com",
        "SMS from 06543219",
    )
    assert str(located.origin.at(link.line)) == f"androidqf/backup.ab!{SMS_MEMBER}:1"
