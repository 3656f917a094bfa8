"""Tests for the ``dumpsys lock_settings`` and ``dumpsys window`` keyguard parsers: synthetic
fixtures per Android version (tests/fixtures/lock_settings/README.md), the real Pixel 1
(Android 10) and Android 14 TV emulator dumps, and fuzzing."""

from __future__ import annotations

import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import lock_settings
from handsetguard.parsers.lock_settings import (
    KeyguardState,
    LockSettingsState,
    LockUser,
    parse_lock_settings,
    parse_window_keyguard,
)
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path


def fixture_text(name: str) -> str:
    return (FIXTURES / "lock_settings" / name).read_bytes().decode("utf-8")


def test_exported_members() -> None:
    assert lock_settings.__all__ == [
        "KeyguardState",
        "LockSettingsState",
        "LockUser",
        "parse_lock_settings",
        "parse_window_keyguard",
    ]


CASES: list[tuple[str, LockSettingsState]] = [
    (
        "android10_crlf_line_endings.txt",
        LockSettingsState(
            (
                LockUser(0, None, None, None, None, "3d2c1b0a99887766", "0", 2),
                LockUser(11, None, None, None, None, "0", "0", 5),
            ),
            sp_enabled=False,
        ),
    ),
    (
        "android11_numeric_credential_types.txt",
        LockSettingsState(
            (
                LockUser(0, True, "PIN", 131072, False, "5f3e2d1c0b0a0908", "8a1b2c3d4e5f6071", 4),
                LockUser(10, False, "NONE", 0, True, "0", "1111222233334444", 11),
            ),
            sp_enabled=True,
        ),
    ),
    (
        "android14_pattern_and_unified_profile.txt",
        LockSettingsState(
            (
                LockUser(0, True, "PATTERN", 65536, False, "7a6b5c4d3e2f1a0b", "3c4d5e6f708192a3",
                         3),
                LockUser(10, False, "NONE", 0, False, "0000000000000000", "9f8e7d6c5b4a3921", 11),
            ),
        ),
    ),
    (
        "unknown_and_oem_credential_types.txt",
        LockSettingsState(
            (
                LockUser(0, None, "UNKNOWN_7", None, None, None, None, 2),
                LockUser(150, True, "SMARTCARDNUMERIC", None, None, None, None, 5),
            ),
            skipped=1,
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lock_settings_fixture(name: str, expected: LockSettingsState) -> None:
    assert parse_lock_settings(fixture_text(name)) == expected


def test_has_sid() -> None:
    users = parse_lock_settings(fixture_text("android10_crlf_line_endings.txt")).users
    assert [u.has_sid for u in users] == [True, False]
    assert LockUser(0, None, None, None, None, None, None, 0).has_sid is None


def test_user_lookup() -> None:
    state = parse_lock_settings(fixture_text("android14_pattern_and_unified_profile.txt"))
    assert state.user(10) is state.users[1]
    assert state.user(0) is state.users[0]
    assert state.user(11) is None


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_blank_text_is_empty(text: str) -> None:
    assert parse_lock_settings(text) == LockSettingsState()


@pytest.mark.parametrize("text", ["Can't find service: lock_settings\n", "User 0\n  SID: 1\n"])
def test_not_lock_settings_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"^dumpsys lock_settings: "):
        parse_lock_settings(text)


WINDOW_CASES: list[tuple[str, KeyguardState]] = [
    (
        "window_keyguard_locked.txt",
        KeyguardState(showing=True, secure=True, occluded=False, device_has_keyguard=True,
                      trusted=False, sim_secure=False, current_user=0, line=3),
    ),
    ("window_without_keyguard.txt", KeyguardState()),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES])
def test_window_keyguard_fixture(name: str, expected: KeyguardState) -> None:
    result = parse_window_keyguard(fixture_text(name))
    assert result == expected
    assert result.found is (expected.line is not None)


@pytest.mark.parametrize(
    "text",
    ["", "\n", "Service host process PID: 508\nThreads in use: 0/32\nClient PIDs: 150\n"],
)
def test_window_without_policy_text_is_unknown(text: str) -> None:
    # What a section cut at the first dashed separator of ``dumpsys window`` looks like.
    assert parse_window_keyguard(text) == KeyguardState()


def test_window_foreign_text_raises() -> None:
    with pytest.raises(ParseError, match=r"^dumpsys window: "):
        parse_window_keyguard("Current lock settings service state:\nSP Enabled = false\n")


@given(st.text())
def test_fuzz_text_only_parse_error(text: str) -> None:
    for parse in (parse_lock_settings, parse_window_keyguard):
        try:
            parse(text)
        except ParseError:
            pass


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary_only_parse_error(text: str) -> None:
    for parse in (parse_lock_settings, parse_window_keyguard):
        try:
            parse(text)
        except ParseError:
            pass


# --- real devices ----------------------------------------------------------------------------


def section(relative: str) -> str:
    found = open_source(corpus_path(relative)).get("dumpsys:lock_settings")
    assert found is not None
    return found.text


def window_dump(relative: str) -> str:
    """The whole ``dumpsys window`` output of a bugreport zip, cut test-side.

    ``dumpsys window`` separates its own parts (LAST ANR, POLICY STATE, …) with the same line of
    79 dashes that ends a service, so a section cut at the first such line holds none of them;
    this cuts from ``DUMP OF SERVICE [CRITICAL ]window:`` to its ``was the duration`` line.
    """
    with zipfile.ZipFile(corpus_path(relative)) as archive:
        name = next(n for n in archive.namelist() if re.fullmatch(r"bugreport-[^/]*\.txt", n))
        data = archive.read(name)
    start = re.search(rb"^DUMP OF SERVICE (?:CRITICAL )?window:\n", data, re.MULTILINE)
    assert start is not None
    end = data.index(b"was the duration of dumpsys window", start.end())
    return data[start.end() : end].decode("utf-8", errors="replace")


def test_lock_settings_pixel1_android10_no_synthetic_password() -> None:
    # Android 10 says nothing about the credential type; SID 0 hints there is none.
    assert parse_lock_settings(section(PIXEL1_BUGREPORT)) == LockSettingsState(
        (
            LockUser(0, None, None, None, None, "0", "0", 2),
            LockUser(11, None, None, None, None, "0", "0", 5),
        ),
        sp_enabled=False,
    )


def test_lock_settings_atv_android14_no_credential() -> None:
    # The Storage block's "User 0 [/data/system_de/0/spblob]:" is not a second user.
    assert parse_lock_settings(section(ATV_BUGREPORT)) == LockSettingsState(
        (LockUser(0, False, "NONE", 0, False, "0000000000000000", "8ed78ace945627a6", 6),)
    )


def test_window_keyguard_pixel1_android10_insecure_not_showing() -> None:
    assert parse_window_keyguard(window_dump(PIXEL1_BUGREPORT)) == KeyguardState(
        showing=False, secure=False, occluded=False, device_has_keyguard=True, trusted=False,
        sim_secure=False, current_user=0, line=32,
    )  # fmt: skip


def test_window_keyguard_atv_android14_tv_has_no_keyguard() -> None:
    # Android TV: no KeyguardStateMonitor, deviceHasKeyguard=false.
    assert parse_window_keyguard(window_dump(ATV_BUGREPORT)) == KeyguardState(
        showing=False, secure=False, occluded=False, device_has_keyguard=False, line=57
    )
