"""Evidence real phones carry, read into DeviceState: Android 7.1 settings under APP PROVIDERS
(Meizu MX6), notification listeners from ``dumpsys notification`` (Android 7.1 / 8.1 / 9),
relative app-op times, unset dumpstate clocks, SELinux mode from the kernel log."""

from __future__ import annotations

from handsetguard.device import Located
from handsetguard.parsers.settings import Namespace
from tests.parsers.legacy_bugreports import (
    MEIZU_MX6_ANDROID7,
    MEIZU_TEXT,
    line_of,
    state,
)

G, S = Namespace.GLOBAL, Namespace.SECURE


def test_meizu_mx6_android7_1_settings_from_app_providers() -> None:
    """Meizu MX6, Android 7.1.1: no ``dumpsys settings``; the settings facet is read from the
    SettingsProvider record and each value points at its own row of the bugreport."""
    device = state(MEIZU_MX6_ANDROID7)
    assert isinstance(device.settings, Located)
    assert str(device.settings.origin) == f"{MEIZU_TEXT}:199260"
    expected = [
        (S, "install_non_market_apps", "1", 200433),  # secure: the one Android 7 uses
        (G, "install_non_market_apps", "0", 199380),
        (G, "development_settings_enabled", "1", 199273),
        (G, "auto_time", "1", 199377),
        (G, "package_verifier_enable", "1", 199348),
        (S, "lock_screen_show_notifications", "1", 199394),
    ]
    for namespace, name, value, line in expected:
        setting = device.setting(namespace, name)
        assert setting is not None, name
        assert setting.value == value, name
        origin = device.setting_origin(setting)
        assert origin is not None
        assert str(origin) == f"{MEIZU_TEXT}:{line}"
        assert f"name:{name} value:{value}" in line_of(MEIZU_MX6_ANDROID7, line)
    parsed = [c.section for c in device.coverage if c.status.value == "parsed"]
    assert "app_providers" in parsed
