"""Settings parsers: ``settings list`` and ``dumpsys settings``, on hand-written edge cases, real
devices (Android 10, 12, 14; Pixel, Android TV emulator, Humane Ai Pin, Samsung) and fuzzing."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import settings as settings_module
from handsetguard.parsers.settings import (
    Namespace,
    Setting,
    Settings,
    parse_dumpsys_settings,
    parse_settings_list,
)
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

G, SEC, SYS, CFG = Namespace.GLOBAL, Namespace.SECURE, Namespace.SYSTEM, Namespace.CONFIG
S = Setting


def _fixture(name: str) -> str:
    return (FIXTURES / "settings" / name).read_bytes().decode("utf-8")


@cache
def _bugreport_settings(relative: str) -> Settings:
    from handsetguard.sources import open_source

    section = open_source(corpus_path(relative)).get("dumpsys:settings")
    assert section is not None, f"{relative}: no dumpsys:settings section"
    return parse_dumpsys_settings(section.text)


def test_exported_names() -> None:
    assert settings_module.__all__ == [
        "Namespace",
        "Setting",
        "Settings",
        "parse_dumpsys_settings",
        "parse_settings_list",
    ]


# ---------------------------------------------------------------------------- settings list

LIST_CASES: dict[str, tuple[Namespace, list[Setting], int]] = {
    "list_basic.txt": (
        G,
        [
            S(G, 0, "adb_enabled", "1", 0),
            S(G, 0, "airplane_mode_radios", "cell,bluetooth,wifi,nfc,wimax", 1),
            S(G, 0, "wifi_country_code", "", 2),
            S(G, 0, "debug_app", None, 3),
            S(G, 0, "job_constants", "max_jobs=10,rate_window=60000", 4),
            S(G, 0, "device_name", "Ai Pin", 5),
        ],
        0,
    ),
    "list_multiline_value.txt": (
        CFG,
        [
            S(
                CFG,
                0,
                "enter_to_send_app_packages",
                "com.whatsapp,\ncom.google.android.apps.messaging,\norg.telegram.messenger",
                0,
            ),
            S(CFG, 0, "next_setting", "1", 3),
        ],
        0,
    ),
    "list_markdown_fence.txt": (
        G,
        [S(G, 0, "adb_enabled", "1", 4), S(G, 0, "install_non_market_apps", "1", 5)],
        2,  # the "# Global" heading and the echoed command line
    ),
    "list_crlf.txt": (
        SEC,
        [S(SEC, 0, "adb_enabled", "0", 0), S(SEC, 0, "lock_screen_show_notifications", "1", 1)],
        0,
    ),
    "list_junk.txt": (
        G,
        # The NUL line directly follows a setting, so it reads as a continuation of its value.
        [
            S(G, 0, "adb_enabled", "1\n\x00\x00junk line", 0),
            S(G, 0, "package_verifier_enable", "1", 5),
        ],
        2,
    ),
}


@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_settings_list_fixture(name: str) -> None:
    namespace, expected, skipped = LIST_CASES[name]
    result = parse_settings_list(_fixture(name), namespace)
    assert list(result) == expected
    assert result.skipped == skipped


def test_settings_list_for_another_user() -> None:
    result = parse_settings_list("lock_screen_show_notifications=0\n", SEC, user=10)
    assert list(result) == [S(SEC, 10, "lock_screen_show_notifications", "0", 0)]
    assert result.get(SEC, "lock_screen_show_notifications") is None
    assert result.users() == frozenset({10})


def test_settings_list_not_the_format_raises() -> None:
    with pytest.raises(ParseError, match=r"^settings list secure: no name=value lines"):
        parse_settings_list("Error: no such namespace\n", SEC)


def test_settings_list_blank_is_empty() -> None:
    assert len(parse_settings_list("\n \n", SEC)) == 0


def _fenced_blocks(markdown: str) -> dict[str, str]:
    """Test-side splitter: the code fence under each ``# Heading`` of a markdown file."""
    blocks: dict[str, str] = {}
    for match in re.finditer(r"^# (\w+)\s*\n+```\n(.*?)^```", markdown, re.M | re.S):
        blocks[match.group(1)] = match.group(2)
    return blocks


def test_humane_ai_pin_android12_settings_list() -> None:
    """Humane Ai Pin, Android 12: ``settings list system/global/secure`` in markdown fences."""
    text = corpus_path("device/humane-aipin-android12-dumps/user_settings.md").read_text("utf-8")
    blocks = _fenced_blocks(text)
    assert sorted(blocks) == ["Global", "Secure", "System"]
    system = parse_settings_list(blocks["System"], SYS)
    glob = parse_settings_list(blocks["Global"], G)
    secure = parse_settings_list(blocks["Secure"], SEC)
    # Each block starts with the echoed command ("adb shell settings list …"): one skipped line.
    assert [(len(s), s.skipped) for s in (system, glob, secure)] == [(34, 1), (85, 1), (95, 1)]
    merged = system.merge(glob).merge(secure)
    assert (len(merged), merged.skipped) == (214, 3)
    assert merged.get(G, "adb_enabled") == S(G, 0, "adb_enabled", "1", 1)
    assert merged.get(G, "auto_time") == S(G, 0, "auto_time", "1", 10)
    assert merged.get(G, "device_name") == S(G, 0, "device_name", "Ai Pin", 29)
    assert merged.get(SEC, "install_non_market_apps") == S(
        SEC, 0, "install_non_market_apps", "1", 30
    )
    assert merged.get(SEC, "lock_screen_show_notifications") == S(
        SEC, 0, "lock_screen_show_notifications", "1", 35
    )
    assert merged.get(SEC, "adaptive_sleep") == S(SEC, 0, "adaptive_sleep", None, 7)
    alarm = merged.get(SYS, "alarm_alert")
    assert alarm is not None
    assert alarm.value == "content://media/internal/audio/media/9?title=Cesium&canonical=1"
    assert merged.get(G, "package_verifier_enable") is None


def test_mvt_androidqf_settings_random() -> None:
    """MVT's AndroidQF sample (Samsung, Android version unknown): 9 rows, one empty value."""
    text = corpus_path("device/mvt-tests/androidqf/settings_random.txt").read_text("utf-8")
    result = parse_settings_list(text, G)
    assert (len(result), result.skipped) == (9, 0)
    assert result.get(G, "package_verifier_enable") == S(G, 0, "package_verifier_enable", "1", 1)
    assert result.get(G, "navigationbar_recently_used_color") == S(
        G, 0, "navigationbar_recently_used_color", "", 6
    )
    assert result.get(G, "samsung_errorlog_agree") == S(G, 0, "samsung_errorlog_agree", "0", 0)


# ------------------------------------------------------------------------- dumpsys settings

DUMPSYS_CASES: dict[str, tuple[list[Setting], int]] = {
    "dumpsys_android10.txt": (
        [
            S(G, 0, "adb_enabled", "1", 8, "android", "1"),
            S(G, 0, "zen_duration", None, 9, "android"),
            S(G, 0, "device_name", "Pixel 3 XL", 10, "android", "Pixel"),
            S(SEC, 0, "lock_screen_show_notifications", "1", 18, "android", "1"),
            S(SEC, 11, "lock_screen_show_notifications", "0", 24, "android", "1"),
        ],
        0,
    ),
    "dumpsys_android14.txt": (
        [
            S(
                CFG,
                0,
                "runtime_native/use_app_image_startup_cache",
                "true",
                6,
                "com.google.android.gms",
            ),
            S(
                CFG,
                0,
                "exo/enter_to_send_app_packages",
                "com.whatsapp,\ncom.google.android.apps.messaging,\norg.telegram.messenger",
                7,
                "com.google.android.gms",
            ),
            S(CFG, 0, "tethering/mdns_type_allowlist_flags", "", 10, "com.google.android.gms"),
            S(G, 0, "adb_enabled", "1", 14, "com.android.tv.provision", "1"),
            S(G, 0, "blocking_helper_streak_limit", None, 15, "com.google.android.gms"),
            S(SYS, 0, "alarm_alert_set", "1", 19, "com.google.android.gsf"),
        ],
        0,
    ),
    "dumpsys_android7_no_default.txt": (
        [
            S(G, 0, "package_verifier_enable", "1", 1, "android"),
            S(G, 0, "adb_enabled", "0", 2),
            S(SEC, 0, "install_non_market_apps", "0", 5, "android"),
        ],
        0,
    ),
    "dumpsys_value_ambiguity.txt": (
        [
            S(G, 0, "spaces", "a b  c", 1, "android", "a b  c"),
            S(G, 0, "default_inside", "x default:y", 2, "android", "x default:y"),
            S(G, 0, "tagged", "5", 3, "com.example", "4"),
            S(G, 0, "tag_only", "on", 4, "com.example"),
            S(G, 0, "empty", "", 5, "android", ""),
            S(G, 0, "null_default", None, 6, "android", None),
        ],
        0,
    ),
    "dumpsys_truncated.txt": ([S(G, 0, "adb_enabled", "1", 1, "android", "1")], 3),
    "dumpsys_crlf.txt": (
        [
            S(SEC, 0, "adb_notify", "1", 1, "android", "1"),
            S(SEC, 0, "bugreport_in_power_menu", "0", 2, "android"),
        ],
        0,
    ),
}


def test_every_fixture_has_a_case() -> None:
    names = sorted(p.name for p in (FIXTURES / "settings").iterdir())
    assert names == sorted([*LIST_CASES, *DUMPSYS_CASES])


@pytest.mark.parametrize("name", sorted(DUMPSYS_CASES))
def test_dumpsys_settings_fixture(name: str) -> None:
    expected, skipped = DUMPSYS_CASES[name]
    result = parse_dumpsys_settings(_fixture(name))
    assert list(result) == expected
    assert result.skipped == skipped


def test_dumpsys_historical_operations_are_not_values() -> None:
    result = parse_dumpsys_settings(_fixture("dumpsys_android10.txt"))
    assert result.get(G, "not_a_current_value") is None


def test_dumpsys_not_the_format_raises() -> None:
    with pytest.raises(ParseError, match=r"^dumpsys settings: no "):
        parse_dumpsys_settings("Can't find service: settings\n")


def test_container_get_users_merge() -> None:
    result = parse_dumpsys_settings(_fixture("dumpsys_android10.txt"))
    assert result.users() == frozenset({0, 11})
    assert result.get(SEC, "lock_screen_show_notifications", user=11) == S(
        SEC, 11, "lock_screen_show_notifications", "0", 24, "android", "1"
    )
    # Global settings are device-wide: another user's lookup answers with user 0's row.
    assert result.get(G, "adb_enabled", user=11) == S(G, 0, "adb_enabled", "1", 8, "android", "1")
    assert result.get(SEC, "lock_screen_show_notifications", user=5) is None
    override = parse_settings_list("adb_enabled=0\n", G)
    merged = result.merge(override)
    assert merged.get(G, "adb_enabled") == S(G, 0, "adb_enabled", "0", 0)
    assert len(merged) == len(result)
    assert Settings() == Settings({}, 0)


def test_pixel1_android10_bugreport() -> None:
    """Google Pixel (sailfish), AOSP Android 10 userdebug: users 0 and 11, historical ops."""
    result = _bugreport_settings(PIXEL1_BUGREPORT)
    assert (len(result), result.skipped) == (299, 0)
    assert result.users() == frozenset({0, 11})
    counts = {
        (ns, user): sum(1 for s in result if (s.namespace, s.user) == (ns, user))
        for ns in Namespace
        for user in (0, 11)
    }
    assert {k: v for k, v in counts.items() if v} == {
        (G, 0): 79,
        (SEC, 0): 90,
        (SEC, 11): 64,
        (SYS, 0): 36,
        (SYS, 11): 30,
    }

    def value(ns: Namespace, name: str, user: int = 0) -> str | None:
        found = result.get(ns, name, user)
        assert found is not None, name
        return found.value

    assert value(G, "adb_enabled") == "1"
    assert value(G, "development_settings_enabled") == "1"
    assert value(G, "package_verifier_enable") == "1"
    assert value(G, "auto_time") == "1"
    assert value(SEC, "install_non_market_apps") == "1"
    assert value(SEC, "install_non_market_apps", 11) == "1"
    assert value(SEC, "lock_screen_show_notifications") == "1"
    assert value(SEC, "lock_screen_show_notifications", 11) == "1"
    assert value(G, "debug_app") is None
    adb = result.get(G, "adb_enabled")
    assert adb is not None and (adb.package, adb.default) == ("android", "1")


def test_atv_emulator_android14_bugreport() -> None:
    """Android TV emulator, Android 14: CONFIG block first, ``version:`` lines, a generation
    registry that names settings (development_settings_enabled) without being a value."""
    result = _bugreport_settings(ATV_BUGREPORT)
    assert (len(result), result.skipped) == (1413, 0)
    assert result.users() == frozenset({0})
    counts = {ns: sum(1 for s in result if s.namespace is ns) for ns in Namespace}
    assert counts == {G: 174, SEC: 104, SYS: 30, CFG: 1105}
    adb = result.get(G, "adb_enabled")
    assert adb is not None
    assert (adb.value, adb.package, adb.default) == ("1", "com.android.tv.provision", "1")
    assert result.get(G, "development_settings_enabled") is None
    assert result.get(G, "package_verifier_enable") is None
    for ns, name, expected in [
        (G, "adb_wifi_enabled", "0"),
        (G, "auto_time", "1"),
        (SEC, "install_non_market_apps", "1"),
        (SEC, "lock_screen_show_notifications", "1"),
        (G, "zen_duration", None),
    ]:
        found = result.get(ns, name)
        assert found is not None and found.value == expected, name
    packages = result.get(CFG, "exo/enter_to_send_app_packages")
    assert packages is not None and packages.value is not None
    assert packages.value.count("\n") == 36
    assert packages.value.endswith("\nkik.android,\ncom.verizon.messaging.vzmsgs")


# ---------------------------------------------------------------------------------- fuzzing


def _parse_secure_list(text: str) -> Settings:
    return parse_settings_list(text, SEC)


_PARSERS = [parse_dumpsys_settings, _parse_secure_list]


def _returns_or_parse_error(text: str) -> None:
    for parse in _PARSERS:
        try:
            result = parse(text)
        except ParseError:
            continue
        assert isinstance(result, Settings)


@given(st.text())
def test_fuzz_text(text: str) -> None:
    _returns_or_parse_error(text)


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary(text: str) -> None:
    _returns_or_parse_error(text)


@given(
    st.lists(
        st.sampled_from(
            [
                "GLOBAL SETTINGS (user 0)\n",
                "_id:1 name:a",
                " pkg:p",
                " value:",
                " default:",
                " defaultSystemSet:true",
                " tag:t",
                "{null}",
                "Historical operations\n",
                "\n",
                "a=b",
                "x",
                "\r",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_fuzz_settings_like(text: str) -> None:
    _returns_or_parse_error(text)
