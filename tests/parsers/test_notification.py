"""Notification listeners from ``dumpsys notification``: real Android 7.1 (Meizu MX6), 8.1
(Pixel 1 retail) and 9 (emulator) dumps, an Android 8 fixture with unreadable entries."""

from __future__ import annotations

import pytest

from handsetguard.errors import ParseError
from handsetguard.parsers import notification
from handsetguard.parsers.notification import (
    ListenerEntry,
    ListenerList,
    UnreadableEntry,
    is_component,
    parse_notification_listeners,
)
from tests.conftest import FIXTURES
from tests.parsers.legacy_bugreports import (
    EMULATOR_ANDROID9,
    MEIZU_MX6_ANDROID7,
    PIXEL1_ANDROID8,
    line_of,
    section,
)

ALLOWED, ENABLED, LIVE, SNOOZED = (
    ListenerList.ALLOWED,
    ListenerList.ENABLED,
    ListenerList.LIVE,
    ListenerList.SNOOZED,
)


def test_exported_members() -> None:
    assert notification.__all__ == [
        "ListenerEntry",
        "ListenerList",
        "NotificationListeners",
        "UnreadableEntry",
        "is_component",
        "parse_notification_listeners",
    ]


def _entry(kind: ListenerList, component: str, line: int, user: int | None = None) -> ListenerEntry:
    return ListenerEntry(kind, component, component.split("/")[0], user, False, line)


def test_android8_fixture_unreadable_entries_are_kept() -> None:
    text = (FIXTURES / "notification" / "android8_unreadable_entries.txt").read_text("utf-8")
    result = parse_notification_listeners(text)
    assert result.allowed == (
        _entry(ALLOWED, "com.example.reader/com.example.reader.Listener", 5, 0),
    )
    assert result.enabled == (_entry(ENABLED, "com.example.reader/com.example.reader.Listener", 9),)
    assert result.live == (
        ListenerEntry(
            LIVE,
            "com.android.systemui/com.android.systemui.statusbar.NotificationListener",
            "com.android.systemui",
            -1,
            True,
            12,
        ),
    )
    assert result.snoozed == ()
    assert result.unreadable == (
        UnreadableEntry(ALLOWED, "com.example.bad/semi;colon", 5),
        UnreadableEntry(ALLOWED, "com.example.work/.WorkListener (user: 11 isPrimary: false", 7),
        UnreadableEntry(
            ENABLED, "ComponentInfo{com.example.reader/com.example.reader.Listener}trailing", 10
        ),
        UnreadableEntry(ENABLED, "the header counts 3 listener(s), 2 line(s) follow", 8),
    )
    assert result.header_line == 3
    assert dict(result.list_lines) == {ALLOWED: 4, ENABLED: 8, LIVE: 11, SNOOZED: 13}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b/a.b.C", True),
        ("a.b/.C$Inner", True),
        ("a.b", True),
        ("a.b/", False),
        ("a b/c", False),
        ("a.b/c d", True),  # dex 040 (Android 11) allows spaces in class names
        ("a.b/c;d", False),  # ';' is in no dex SimpleName
        ("a.b/.Sync-Service", True),
        ("a.b/.ServiceÄ", True),
        ("a\u200b.b/c", False),
        ("a.b/c\u202e", False),
        ("", False),
    ],
)
def test_is_component(text: str, expected: bool) -> None:
    assert is_component(text) is expected


@pytest.mark.parametrize(
    "text", ["", "Current Notification Manager state:\n  Notification List:\n"]
)
def test_no_listener_block_raises(text: str) -> None:
    with pytest.raises(ParseError, match="no 'Notification listeners:' block"):
        parse_notification_listeners(text)


def test_meizu_mx6_android7_1_enabled_and_live_lists() -> None:
    """Android 7.1.1: no Allowed list; one enabled listener (Meizu's battery app), four live."""
    found = section(MEIZU_MX6_ANDROID7, "dumpsys:notification")
    result = parse_notification_listeners(found.text)
    battery = "com.meizu.battery/com.meizu.power.apps.appnotification.PermanentNotificationService"
    assert result.allowed is None
    assert result.enabled is not None
    assert [e.component for e in result.enabled] == [battery]
    where = found.provenance.at(result.enabled[0].line).line
    assert where is not None
    assert line_of(MEIZU_MX6_ANDROID7, where).strip() == f"ComponentInfo{{{battery}}}"
    assert [(e.package, e.user, e.system) for e in result.live] == [
        ("com.android.systemui", -1, True),
        ("com.meizu.battery", 0, False),
        ("com.flyme.systemuitools", 0, True),
        ("android.ext.services", 0, True),
    ]
    assert result.snoozed == () and result.unreadable == ()


def test_pixel1_android8_1_allowed_line_with_colons() -> None:
    """Android 8.1: three approved components joined by ':' on one line ending in
    ``(user: 0 isPrimary: true)``; all three enabled, two live, VR core snoozed."""
    found = section(PIXEL1_ANDROID8, "dumpsys:notification")
    result = parse_notification_listeners(found.text)
    gearhead = (
        "com.google.android.projection.gearhead/"
        "com.google.android.gearhead.notifications.SharedNotificationListenerManager$ListenerService"
    )
    launcher = (
        "com.google.android.apps.nexuslauncher/"
        "com.android.launcher3.notification.NotificationListener"
    )
    vr = "com.google.vr.vrcore/com.google.vr.vrcore.notification.VrNotificationService"
    assert result.allowed is not None and result.enabled is not None
    assert [(e.component, e.user) for e in result.allowed] == [
        (gearhead, 0),
        (launcher, 0),
        (vr, 0),
    ]
    where = found.provenance.at(result.allowed[0].line).line
    assert where is not None
    assert line_of(PIXEL1_ANDROID8, where).endswith(f"{vr} (user: 0 isPrimary: true)")
    assert sorted(e.component for e in result.enabled) == sorted([gearhead, launcher, vr])
    assert [e.package for e in result.live] == [
        "com.android.systemui",
        "com.google.android.projection.gearhead",
        "com.google.android.apps.nexuslauncher",
    ]
    assert [e.component for e in result.snoozed] == [
        "com.google.vr.vrcore/.notification.VrNotificationService"
    ]
    assert result.unreadable == ()


def test_emulator_android9_allowed_and_enabled() -> None:
    """Android 9 (Google-Play emulator image): one approved and enabled listener; the
    assistant block that follows is not read as listeners."""
    result = parse_notification_listeners(section(EMULATOR_ANDROID9, "dumpsys:notification").text)
    restore = (
        "com.google.android.apps.restore/"
        "com.google.android.apps.pixelmigrate.component.NotificationConsolidatorService"
    )
    assert result.allowed is not None and result.enabled is not None
    assert [e.component for e in result.allowed] == [restore]
    assert [e.component for e in result.enabled] == [restore]
    assert len(result.live) == 2
    assert result.unreadable == ()


def test_pixel1_aosp10_and_atv_android14_listener_lists() -> None:
    """Pixel 1 AOSP 10 userdebug (launcher approved in two lines) and the Android 14 TV
    emulator, whose ``Has user set:`` sub-list ends the Allowed list without being read."""
    from tests.conftest import ATV_BUGREPORT, PIXEL1_BUGREPORT

    launcher = "com.android.launcher3/com.android.launcher3.notification.NotificationListener"
    aosp10 = parse_notification_listeners(section(PIXEL1_BUGREPORT, "dumpsys:notification").text)
    assert aosp10.allowed is not None
    assert [e.component for e in aosp10.allowed] == [launcher, launcher]
    assert aosp10.unreadable == ()
    tv = parse_notification_listeners(section(ATV_BUGREPORT, "dumpsys:notification").text)
    recommendations = (
        "com.google.android.tvrecommendations/"
        "com.google.android.tvrecommendations.NotificationsService"
    )
    assert tv.allowed is not None and tv.enabled is not None
    assert [e.component for e in tv.allowed] == [recommendations]
    assert [e.component for e in tv.enabled] == [recommendations]
    assert [(e.package, e.user, e.system) for e in tv.live] == [
        ("android", -1, True),
        ("com.android.systemui", -1, True),
        ("com.google.android.tvrecommendations", 0, False),
        ("android", 0, True),
    ]
    assert tv.unreadable == ()
