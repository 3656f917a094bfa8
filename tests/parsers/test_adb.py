"""Tests for the ``dumpsys adb`` parser: synthetic fixtures (tests/fixtures/adb, written by its
``build_fixtures.py``), real dumps from a Pixel 1 (Android 10, XML keystore), an Android 14 TV
emulator (ABX keystore) and MVT's excerpts, and fuzzing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import adb
from handsetguard.parsers.adb import AdbKey, AdbState, parse_dumpsys_adb
from handsetguard.parsers.component import Unreadable
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

MVT = "device/mvt-tests"
# The synthetic keys, abbreviated (first 16 … last 8 characters of 704), and their fingerprints.
K1, F1 = "QAAAAAMKERgfJi00…LTQBAAEA", "90:34:9F:D2:AE:01:4A:87:73:E6:AF:34:A7:57:DA:E3"
K2, F2 = "QAAAAAMQHSo3RFFe…UV4BAAEA", "AD:42:BC:D6:FF:5A:6F:42:F7:D5:61:A4:C5:BA:6E:76"
K3, F3 = "QAAAAAMgPVp3lLHO…sc4BAAEA", "89:40:21:5C:DC:0A:91:A3:53:D8:B0:82:1D:E0:9C:B2"


def short(state: AdbState) -> AdbState:
    """``state`` with each key abbreviated, so whole records fit in a test."""
    keys = tuple(
        replace(k, key_b64=f"{k.key_b64[:16]}…{k.key_b64[-8:]}") for k in state.trusted_keys
    )
    return replace(state, trusted_keys=keys)


def fixture_text(name: str) -> str:
    return (FIXTURES / "adb" / name).read_bytes().decode("utf-8")


def test_exported_members() -> None:
    assert adb.__all__ == ["AdbKey", "AdbState", "key_fingerprint", "parse_dumpsys_adb"]


XML_STATE = AdbState(
    connected=False,
    trusted_keys=(
        AdbKey(K1, "alice@workstation", datetime(2020, 1, 8, 14, 58, 57, 856000, tzinfo=UTC),
               ("user_keys", "keystore"), 4),
        AdbKey(K2, "dev&ops@build-host", None, ("user_keys", "keystore"), 5),
        AdbKey(K3, "old@laptop", datetime(2015, 1, 1, tzinfo=UTC), ("keystore",), 11),
    ),
)  # fmt: skip
CASES: list[tuple[str, AdbState]] = [
    ("android10_xml_keystore.txt", XML_STATE),
    ("crlf_line_endings.txt", XML_STATE),
    (
        "android12_abx_keystore.txt",
        AdbState(
            connected=True,
            last_key_fingerprint=F1,
            trusted_keys=(
                AdbKey(K1, "alice@workstation", None, ("user_keys", "keystore"), 5),
                AdbKey(K3, "factory@line-7", None, ("system_keys",), 7),
                AdbKey(K2, "bob@MacBook-Pro.local", None, ("keystore",), 9),
            ),
        ),
    ),
    (
        "adb_wifi_enabled.txt",
        AdbState(
            connected=True,
            trusted_keys=(AdbKey(K2, "bob@MacBook-Pro.local", None, ("user_keys",), 4),),
            wifi_enabled=True,
            wifi_tls_port=41235,
        ),
    ),
    (
        "truncated_key_line.txt",
        AdbState(
            connected=True,
            trusted_keys=(
                AdbKey(K1, "alice@workstation", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
                       ("user_keys", "keystore"), 4),
            ),
            unreadable=(Unreadable("user_keys", "!!! not a key !!!", 5),),
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_adb_fixture(name: str, expected: AdbState) -> None:
    assert short(parse_dumpsys_adb(fixture_text(name))) == expected


def test_fingerprints() -> None:
    keys = parse_dumpsys_adb(fixture_text("android10_xml_keystore.txt")).trusted_keys
    assert [k.fingerprint for k in keys] == [F1, F2, F3]


@pytest.mark.parametrize("key_b64", ["QAAAA!!!", "QAAAAAM", "", "QUFB\u00e9"])
def test_fingerprint_of_bad_base64_is_none(key_b64: str) -> None:
    assert AdbKey(key_b64, None, None, ("user_keys",), 0).fingerprint is None


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_blank_text_is_empty(text: str) -> None:
    assert parse_dumpsys_adb(text) == AdbState()


@pytest.mark.parametrize(
    "text", ["Can't find service: adb\n", "Current lock settings service state:\nSP Enabled\n"]
)
def test_not_adb_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"^dumpsys adb: "):
        parse_dumpsys_adb(text)


@given(st.text())
def test_fuzz_text_only_parse_error(text: str) -> None:
    try:
        state = parse_dumpsys_adb(text)
    except ParseError:
        return
    for key in state.trusted_keys:
        assert key.fingerprint is None or len(key.fingerprint) == 47


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary_only_parse_error(text: str) -> None:
    try:
        state = parse_dumpsys_adb(text)
    except ParseError:
        return
    for key in state.trusted_keys:
        assert key.fingerprint is None or len(key.fingerprint) == 47


# --- real devices ----------------------------------------------------------------------------


def section(relative: str) -> str:
    found = open_source(corpus_path(relative)).get("dumpsys:adb")
    assert found is not None
    return found.text


def test_adb_pixel1_android10_two_xml_keystore_keys() -> None:
    state = parse_dumpsys_adb(section(PIXEL1_BUGREPORT))
    assert short(state) == AdbState(
        connected=True,
        trusted_keys=(
            AdbKey("QAAAAFs6sFItmrFB…bwEAAQA=", "23047317@seldlx26533.corpusers.net",
                   datetime(2020, 1, 8, 14, 58, 57, 856000, tzinfo=UTC),
                   ("user_keys", "keystore"), 4),
            AdbKey("QAAAABkiYe/X5czW…VAEAAQA=", "86010501@seldlx26630.corpusers.net",
                   datetime(2020, 1, 8, 14, 30, 53, 801000, tzinfo=UTC),
                   ("user_keys", "keystore"), 5),
        ),
    )  # fmt: skip
    assert [k.fingerprint for k in state.trusted_keys] == [
        "E3:46:04:A6:58:B0:04:82:85:10:1C:AD:65:84:F8:01",
        "82:B9:56:5C:DD:6B:71:91:8B:2D:58:29:48:B9:FE:A5",
    ]


def test_adb_atv_android14_abx_keystore_key() -> None:
    state = parse_dumpsys_adb(section(ATV_BUGREPORT))
    assert short(state) == AdbState(
        connected=True,
        trusted_keys=(
            AdbKey("QAAAAGdNLo2pgWK6…OQEAAQA=", "artem@MacBook-Pro-Ulia.local", None,
                   ("user_keys", "keystore"), 7),
        ),
    )  # fmt: skip
    assert state.trusted_keys[0].fingerprint == "F2:EE:60:59:3B:70:01:9B:8C:86:05:0D:47:8C:C7:21"


MVT_KEY = AdbKey("QAAAAPUBsVijHece…GgEAAQA=", "user@linux", None, ("user_keys", "keystore"), 7)
MVT_FINGERPRINT = "F0:A1:3D:8C:B3:F4:7B:09:9F:EE:8B:D8:38:2E:BD:C6"


def mvt_text(name: str) -> str:
    return corpus_path(f"{MVT}/android_data/{name}").read_bytes().decode("utf-8", "replace")


def test_adb_mvt_abx_fingerprint_matches_last_key_received() -> None:
    # The device's own last_key_received is the MD5 we compute from the key.
    state = parse_dumpsys_adb(mvt_text("dumpsys_adb.txt"))
    assert short(state) == AdbState(
        connected=True, last_key_fingerprint=MVT_FINGERPRINT, trusted_keys=(MVT_KEY,)
    )
    assert state.trusted_keys[0].fingerprint == MVT_FINGERPRINT


def test_adb_mvt_wifi_debugging_disabled() -> None:
    assert short(parse_dumpsys_adb(mvt_text("dumpsys_adb_wifi.txt"))) == AdbState(
        connected=True,
        last_key_fingerprint=MVT_FINGERPRINT,
        trusted_keys=(MVT_KEY,),
        wifi_enabled=False,
        wifi_tls_port=0,
    )


def test_adb_mvt_xml_keystore_last_connection() -> None:
    assert short(parse_dumpsys_adb(mvt_text("dumpsys_adb_xml.txt"))) == AdbState(
        connected=True,
        trusted_keys=(
            AdbKey("QAAAAAcgbytJst31…ssFVSNIP", "user@laptop",
                   datetime(2021, 8, 9, 9, 37, 9, 898000, tzinfo=UTC),
                   ("user_keys", "keystore"), 6),
        ),
    )  # fmt: skip


def test_adb_mvt_androidqf_dumpsys() -> None:
    state = parse_dumpsys_adb(section(f"{MVT}/androidqf"))
    assert short(state) == AdbState(
        connected=True,
        last_key_fingerprint=MVT_FINGERPRINT,
        trusted_keys=(replace(MVT_KEY, line=5),),
    )
