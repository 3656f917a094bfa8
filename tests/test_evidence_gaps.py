"""Evidence real phones carry, read into DeviceState: Android 7.1 settings under APP PROVIDERS
(Meizu MX6), notification listeners from ``dumpsys notification`` (Android 7.1 / 8.1 / 9),
relative app-op times, unset dumpstate clocks, SELinux mode from the kernel log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handsetguard.checks.model import CheckContext, Status
from handsetguard.checks.powers import notification_listeners
from handsetguard.device import Located, SelinuxMode, SelinuxStatus, TimeBasis, Unavailable
from handsetguard.evidence import AcquiredAt, Evidence, SourceKind
from handsetguard.parsers.notification import ListenerList
from handsetguard.parsers.settings import Namespace
from handsetguard.sources import open_source
from handsetguard.state import build_state
from tests.conftest import FIXTURES
from tests.parsers.legacy_bugreports import (
    EMULATOR_ANDROID9,
    EMULATOR_TEXT,
    MEIZU_MX6_ANDROID7,
    MEIZU_TEXT,
    PIXEL1_ANDROID8,
    PIXEL_TEXT,
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


# --- notification listeners ------------------------------------------------------------------


def _context() -> CheckContext:
    return CheckContext(datetime(2026, 1, 1, tzinfo=UTC), TimeBasis.OVERRIDE)


@pytest.mark.parametrize(
    ("relative", "text", "line", "kind", "count"),
    [
        (MEIZU_MX6_ANDROID7, MEIZU_TEXT, 124097, ListenerList.ENABLED, 1),
        (PIXEL1_ANDROID8, PIXEL_TEXT, 145048, ListenerList.ALLOWED, 3),
        (EMULATOR_ANDROID9, EMULATOR_TEXT, 89494, ListenerList.ALLOWED, 1),
    ],
)
def test_notification_listeners_facet_from_dumpsys_notification(
    relative: str, text: str, line: int, kind: ListenerList, count: int
) -> None:
    """Meizu MX6 Android 7.1, Pixel 1 Android 8.1, Android 9 emulator: ``DUMP OF SERVICE
    notification`` is indexed as ``dumpsys:notification`` (the Android 9 CRITICAL copy, which
    lacks the listener block, loses to the full one)."""
    device = state(relative)
    facet = device.notification_listeners
    assert isinstance(facet, Located)
    assert str(facet.origin) == f"{text}:{line}"
    assert facet.value.approved is not None
    assert facet.value.approved[0] is kind
    assert len(facet.value.approved[1]) == count


def test_meizu_mx6_android7_1_listener_check_uses_the_secure_setting() -> None:
    device = state(MEIZU_MX6_ANDROID7)
    finding = notification_listeners(device, _context())
    assert finding.status is Status.PASS  # com.meizu.battery is a system app
    assert [str(e.location) for e in finding.evidence] == [f"{MEIZU_TEXT}:200193"]
    assert finding.evidence[0].fact.startswith(
        "secure enabled_notification_listeners=com.meizu.battery/"
    )


def test_meizu_mx6_android7_1_listener_check_falls_back_to_the_enabled_list() -> None:
    """Without settings, Android 7's ``All notification listeners (1) enabled`` list decides."""
    device = replace(state(MEIZU_MX6_ANDROID7), settings=Unavailable("no settings (test)"))
    finding = notification_listeners(device, _context())
    assert finding.status is Status.PASS
    assert "dumpsys notification (enabled)" in finding.detail
    assert [str(e.location) for e in finding.evidence] == [f"{MEIZU_TEXT}:127318"]
    assert "All notification listeners (1)" in line_of(MEIZU_MX6_ANDROID7, 127318)


def test_pixel1_android8_1_listener_check_falls_back_to_the_allowed_line() -> None:
    device = replace(state(PIXEL1_ANDROID8), settings=Unavailable("no settings (test)"))
    finding = notification_listeners(device, _context())
    assert finding.status is Status.FAIL
    assert finding.detail == (
        "1 third-party app(s) read every notification: com.google.android.projection.gearhead"
    )
    assert [str(e.location) for e in finding.evidence] == [
        f"{PIXEL_TEXT}:145747",
        f"{PIXEL_TEXT}:145748",
    ]


def test_listener_check_not_assessed_only_without_setting_and_dump() -> None:
    device = replace(
        state(EMULATOR_ANDROID9),
        settings=Unavailable("no settings (test)"),
        notification_listeners=Unavailable("no notification dump (test)"),
    )
    finding = notification_listeners(device, _context())
    assert finding.status is Status.NOT_ASSESSED
    assert "no settings (test)" in finding.detail
    assert "no notification dump (test)" in finding.detail


def test_android9_fixture_unreadable_listener_cannot_pass() -> None:
    """An approved entry with a zero-width space is not a component: it is named, not skipped,
    and on its own (no third-party listener) still keeps the check from passing."""
    device = build_state(open_source(FIXTURES / "dumpstate" / "android9_unreadable_listener.txt"))
    facet = device.notification_listeners
    assert isinstance(facet, Located)
    hidden = "com.example.hidden/com.example.hidden.L\u200b"
    assert [u.text for u in facet.value.unreadable] == [hidden]
    finding = notification_listeners(device, _context())
    assert finding.status is Status.FAIL
    assert "1 listener entry in dumpsys notification (allowed) could not be read" in finding.detail
    alone = replace(
        device,
        notification_listeners=Located(replace(facet.value, allowed=()), facet.origin),
    )
    finding = notification_listeners(alone, _context())
    assert finding.status is Status.WARN
    assert finding.detail.startswith("1 listener entry in dumpsys notification (allowed)")
    assert any(e.fact == f"unreadable allowed entry: {hidden}" for e in finding.evidence)


# --- app-op ages, unset clocks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "package", "op", "kind", "age"),
    [
        # Pixel 1 Android 8.1: "VIBRATE: mode=0; time=+37s49ms ago; duration=+154ms"
        (PIXEL1_ANDROID8, "root", "VIBRATE", "access", timedelta(seconds=37, milliseconds=49)),
        # Meizu MX6 Android 7.1.1: "POST_NOTIFICATION: mode=0; time=+136d7h54m19s168ms ago"
        (
            MEIZU_MX6_ANDROID7,
            "com.meizu.flyme.update",
            "SYSTEM_ALERT_WINDOW",
            "reject",
            timedelta(days=241, hours=4, minutes=19, seconds=58, milliseconds=183),
        ),
        (
            MEIZU_MX6_ANDROID7,
            "com.meizu.safe",
            "WRITE_SMS",
            "reject",
            timedelta(days=28, hours=4, minutes=24, seconds=7, milliseconds=399),
        ),
    ],
)
def test_android7_and_8_relative_op_times_are_header_time_minus_age(
    relative: str, package: str, op: str, kind: str, age: timedelta
) -> None:
    device = state(relative)
    assert device.acquired_at is not None and device.recorded_clock_unset is None
    assert isinstance(device.appops, Located)
    entries = [e for e in device.appops.value.for_package(package) if e.op == op]
    events = [ev for e in entries for ev in e.events if ev.kind.value == kind]
    assert events, (package, op)
    assert events[0].time == device.acquired_at - age
    assert events[0].time.year >= 2017  # never 1970


def test_meizu_mx6_android7_1_post_notification_age() -> None:
    device = state(MEIZU_MX6_ANDROID7)
    assert isinstance(device.appops, Located) and device.acquired_at is not None
    ages = {
        ev.raw_time: ev.time
        for e in device.appops.value.entries
        if e.op == "POST_NOTIFICATION"
        for ev in e.accesses
    }
    assert ages["+136d7h54m19s168ms"] == device.acquired_at - timedelta(
        days=136, hours=7, minutes=54, seconds=19, milliseconds=168
    )
    assert str(device.acquired_at) == "2018-05-10 20:50:17+08:00"


def test_android7_fixture_clock_never_set() -> None:
    """A ``== dumpstate: 1980-01-06 …`` header: the phone's clock was never set. The time is
    kept as a fact, is not the acquisition time, and app-op ages resolve to unknown."""
    device = build_state(
        open_source(FIXTURES / "dumpstate" / "android7_clock_unset_permissive_log.txt")
    )
    assert device.acquired_at is None and device.acquired_at_origin is None
    assert device.recorded_clock_unset == (
        "1980-01-06 00:00:41 (dumpstate header of android7_clock_unset_permissive_log.txt)"
    )
    assert isinstance(device.appops, Located)
    (camera,) = device.appops.value.for_package("com.example.app")
    assert [(e.raw_time, e.time) for e in camera.events] == [("+1h2m3s4ms", None)]


def test_recorded_clock_set_is_none_on_real_bugreports() -> None:
    for relative in (MEIZU_MX6_ANDROID7, PIXEL1_ANDROID8, EMULATOR_ANDROID9):
        assert state(relative).recorded_clock_unset is None


# --- SELinux from the kernel log -------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "text", "line", "denial"),
    [
        (PIXEL1_ANDROID8, PIXEL_TEXT, 14889, 'avc: denied { read } for pid=10005 comm="dumpstate"'),
        (EMULATOR_ANDROID9, EMULATOR_TEXT, 7035, 'avc: denied { use } for pid=30161 comm="lshal"'),
    ],
)
def test_selinux_enforcing_from_an_enforced_kernel_denial(
    relative: str, text: str, line: int, denial: str
) -> None:
    """Pixel 1 Android 8.1 and the Android 9 emulator have no getenforce section; the kernel
    log's last ``permissive=0`` denial proves the system was enforcing."""
    device = state(relative)
    assert isinstance(device.selinux, SelinuxStatus)
    assert device.selinux.mode is SelinuxMode.ENFORCING
    assert device.selinux.evidence.startswith(f"kernel log: {denial}")
    assert device.selinux.evidence.endswith("permissive=0")
    assert str(device.selinux.origin) == f"{text}:{line}"
    assert line_of(relative, line).endswith(device.selinux.evidence.removeprefix("kernel log: "))


def test_selinux_permissive_denials_alone_prove_nothing_on_a_userdebug_build(
    tmp_path: Path,
) -> None:
    """A fixture with only permissive=1 denials of a non-core domain on a userdebug build
    (where domains may be permissive): the runtime mode stays unavailable, with the reason."""
    text = (FIXTURES / "dumpstate" / "android7_clock_unset_permissive_log.txt").read_text()
    path = tmp_path / "vendor_domain_only.txt"
    path.write_text("\n".join(line for line in text.split("\n") if "untrusted_app" not in line))
    device = build_state(open_source(path))
    assert device.prop("ro.build.type") != "user"
    assert isinstance(device.selinux, Unavailable)
    assert "permissive=1 denial(s)" in device.selinux.reason


def test_meizu_mx6_android7_1_user_build_with_unenforced_denials_is_permissive() -> None:
    """Meizu MX6, Android 7.1.1 user build booted with androidboot.selinux=permissive: its
    kernel log's denials are not enforced (permissive=1). A user build may have no permissive
    domain (CDD 9.7), so SELinux was not enforcing — the check fails although init would
    ignore that boot flag on a stock user build."""
    device = state(MEIZU_MX6_ANDROID7)
    assert device.prop("ro.build.type") == "user"
    assert isinstance(device.selinux, SelinuxStatus)
    assert device.selinux.mode is SelinuxMode.PERMISSIVE
    assert device.selinux.evidence.startswith("kernel log: avc: denied")
    assert device.selinux.evidence.endswith("permissive=1")
    line = int(str(device.selinux.origin).rsplit(":", 1)[1])
    assert line_of(MEIZU_MX6_ANDROID7, line).endswith(
        device.selinux.evidence.removeprefix("kernel log: ")
    )


def test_unset_clock_from_any_source_is_not_the_acquisition_time() -> None:
    """An acquisition record from a clock before 2000 (e.g. an AndroidQF acquisition.json on a
    phone whose clock reset to 1980-01-06) is kept as a fact, not used as the time."""
    evidence = Evidence(
        SourceKind.ANDROIDQF_DIR,
        "qf",
        acquired_at=AcquiredAt(
            datetime(1980, 1, 6, 0, 0, 41, tzinfo=UTC), "'started' in qf/acquisition.json"
        ),
    )
    device = build_state(evidence)
    assert device.acquired_at is None and device.acquired_at_origin is None
    assert device.recorded_clock_unset == ("1980-01-06 00:00:41 ('started' in qf/acquisition.json)")
    kept = build_state(
        Evidence(
            SourceKind.ANDROIDQF_DIR,
            "qf",
            acquired_at=AcquiredAt(datetime(2000, 1, 1, tzinfo=UTC), "'started' in x"),
        )
    )
    assert kept.acquired_at == datetime(2000, 1, 1, tzinfo=UTC)
    assert kept.recorded_clock_unset is None
