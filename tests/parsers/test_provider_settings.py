"""Settings tables in the SettingsProvider record of ``dumpsys activity provider all``: the real
Meizu MX6 Android 7.1.1 (Flyme 6.3) bugreport, a hand-written Android 7 fixture, refusals."""

from __future__ import annotations

import pytest

from handsetguard.errors import ParseError
from handsetguard.parsers import provider_settings
from handsetguard.parsers.provider_settings import parse_provider_settings
from handsetguard.parsers.settings import Namespace, Setting
from tests.conftest import FIXTURES
from tests.parsers.legacy_bugreports import (
    EMULATOR_ANDROID9,
    MEIZU_MX6_ANDROID7,
    PIXEL1_ANDROID8,
    line_of,
    section,
)

G, S, Y = Namespace.GLOBAL, Namespace.SECURE, Namespace.SYSTEM


def test_exported_members() -> None:
    assert provider_settings.__all__ == ["parse_provider_settings"]


def test_android7_fixture_whole_record() -> None:
    text = (FIXTURES / "provider_settings" / "android7_two_users.txt").read_text("utf-8")
    settings = parse_provider_settings(text)
    assert sorted(settings, key=lambda s: s.line) == [
        Setting(G, 0, "development_settings_enabled", "1", 7),
        Setting(G, 0, "install_non_market_apps", "0", 8),
        Setting(G, 0, "auto_time", "1", 9),
        Setting(G, 0, "wifi_display_chosen_capability", "", 10),
        Setting(S, 0, "install_non_market_apps", "1", 13),
        Setting(
            S, 0, "enabled_notification_listeners", "com.example.battery/com.example.Listener", 14
        ),
        Setting(Y, 0, "blob", "AAAA\nBBBB\nCCCC", 17),
        Setting(Y, 0, "volume_alarm", "8", 20),
        Setting(S, 10, "install_non_market_apps", "0", 23),
        Setting(S, 10, "lock_screen_show_notifications", None, 24),
        Setting(Y, 10, "screen_brightness", "102", 27),
    ]
    assert settings.skipped == 0
    assert settings.users() == frozenset({0, 10})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("PROVIDER ContentProviderRecord{1 u0 a/.B}\n    Client:\n", "no SettingsProvider record"),
        (
            "PROVIDER ContentProviderRecord{de927a u0 com.android.providers.settings/"
            ".SettingsProvider} pid=887\n    Client:\n      nothing to dump\n",
            "has no settings tables",
        ),
        ("", "no SettingsProvider record"),
    ],
)
def test_refuses_text_without_tables(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_provider_settings(text)


def test_meizu_mx6_android7_1_settings_tables() -> None:
    """Meizu MX6, Android 7.1.1: 125 global, 1,137 secure and 294 system rows of user 0, each
    at its own line of the bugreport (``install_non_market_apps`` is in global and secure)."""
    providers = section(MEIZU_MX6_ANDROID7, "app_providers")
    settings = parse_provider_settings(providers.text)
    counts = {ns: sum(1 for s in settings if s.namespace is ns) for ns in (G, S, Y)}
    assert counts == {G: 125, S: 1137, Y: 294}
    assert settings.skipped == 0
    expected = {
        (S, "install_non_market_apps"): ("1", "_id:133 name:install_non_market_apps value:1"),
        (G, "install_non_market_apps"): ("0", "_id:49 name:install_non_market_apps value:0"),
        (G, "development_settings_enabled"): ("1", "_id:112 name:development_settings_enabled"),
        (G, "auto_time"): ("1", "_id:5 name:auto_time value:1"),
        (G, "package_verifier_enable"): ("1", "_id:10 name:package_verifier_enable value:1"),
        (S, "lock_screen_show_notifications"): ("1", "_id:27 name:lock_screen_show_notif"),
        # printed without the writer's indentation in the real dump
        (S, "com.tencent.android.qqdownloader_op_63"): ("2", "_id:2061 name:com.tencent"),
    }
    for (namespace, name), (value, row) in expected.items():
        setting = settings.get(namespace, name)
        assert setting is not None, name
        assert setting.value == value
        where = providers.provenance.at(setting.line)
        assert where.line is not None
        assert line_of(MEIZU_MX6_ANDROID7, where.line).strip().startswith(row)
    blob = settings.get(Y, "fe8c19d476503f508fd28ff578e73e8d")
    assert blob is not None and blob.value is not None
    assert blob.value.split("\n")[1].startswith("5NsX3FQTG/")  # continuation, indentation gone


@pytest.mark.parametrize(
    ("relative", "name"),
    [(PIXEL1_ANDROID8, "app_providers"), (EMULATOR_ANDROID9, "app_providers:platform")],
)
def test_android8_and_9_settings_provider_has_nothing_to_dump(relative: str, name: str) -> None:
    """Pixel 1 Android 8.1 and the Android 9 emulator: the record says ``nothing to dump`` (the
    tables are in ``dumpsys settings`` there), which is refused, not read as empty settings."""
    with pytest.raises(ParseError, match="has no settings tables"):
        parse_provider_settings(section(relative, name).text)
