"""DEX class names, εxodus trackers and threat indicators on real APKs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handsetguard.apk import inspect_apk
from handsetguard.apk.dex import class_names
from handsetguard.apk.trackers import load_trackers
from handsetguard.errors import SourceError
from handsetguard.threats.indicators import Places, load_indicators
from tests.conftest import corpus_path
from tests.threats.stix import write_stix

GOOD = "apk/androguard/app-prod-debug.apk"
SIGNER = "5e29b0ae637411e251bd8deb235d4fa812e7ab79a6a69f3ea0b7324bdca6a390"


def _exodus(tmp_path: Path, trackers: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "trackers.json"
    path.write_text(json.dumps({"trackers": trackers}), encoding="utf-8")
    return path


def test_class_names_and_trackers(tmp_path: Path) -> None:
    listing = _exodus(
        tmp_path,
        {
            "1": {"name": "Support library", "code_signature": "android\\.support\\.v4\\."},
            "2": {"name": "Absent", "code_signature": "com\\.absent\\.sdk\\."},
            "3": {"name": "Network only", "code_signature": ""},
        },
    )
    report = inspect_apk(corpus_path(GOOD), trackers=load_trackers(listing))
    assert report.classes == 2454  # class_defs_size of its two DEX headers
    assert report.trackers is not None
    assert [(t.name, t.example) for t in report.trackers] == [
        ("Support library", "android.support.v4.")
    ]


def test_without_a_list_trackers_are_not_assessed() -> None:
    assert inspect_apk(corpus_path(GOOD)).trackers is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2]", "tracker #1 is not an object"),
        ('{"trackers": {"1": {"name": "x"}}}', "lacks a name or code_signature"),
        ('{"trackers": {"1": {"name": "x", "code_signature": "("}}}', "bad code_signature"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_tracker_file_is_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "t.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        load_trackers(path)


def test_dex_type_table_bounds() -> None:
    notes: list[str] = []
    assert class_names(b"dex\n035\x00" + bytes(0x70), notes, "classes.dex") == []
    header = bytearray(b"dex\n035\x00" + bytes(0x68))
    header[0x40:0x48] = (1000).to_bytes(4, "little") + (0x70).to_bytes(4, "little")
    assert class_names(bytes(header), notes, "classes2.dex") == []
    assert notes == ["classes2.dex: type table outside the file"]


def _stix(tmp_path: Path, *patterns: str) -> Path:
    return write_stix(tmp_path / "fam.stix2", *patterns)


def test_indicators_match_package_and_signer(tmp_path: Path) -> None:
    bundle = _stix(
        tmp_path,
        "[app:id = 'com.GreenAddress.abcore']",
        f"[app:cert.sha256 = '{SIGNER.upper()}']",
        "[app:id = 'com.example.absent']",
    )
    index = load_indicators([bundle], places=Places(tmp_path / "d", None), env={}, bundled=False)
    report = inspect_apk(corpus_path(GOOD), indicators=index)
    assert report.indicators is not None
    assert sorted((h.what, h.value, h.family) for h in report.indicators) == [
        ("certificate", SIGNER, "Fam"),
        ("package", "com.greenaddress.abcore", "Fam"),
    ]
