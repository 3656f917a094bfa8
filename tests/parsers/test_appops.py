"""Tests for the ``dumpsys appops`` parser: hand-written edge cases (one file each, whole records
compared), real dumps from a Pixel 1 (AOSP Android 10), an Android 14 TV emulator and Samsung
excerpts, and a fuzz test that only ``ParseError`` may escape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import appops
from handsetguard.parsers.appops import AppOps, EventKind, OpEntry, OpEvent, parse_appops, split_uid
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

ACCESS, REJECT = EventKind.ACCESS, EventKind.REJECT
CET = timezone(timedelta(hours=1))
REFERENCE = datetime(2024, 3, 1, 12, 0, tzinfo=CET)
MVT = "device/mvt-tests"


def event(
    kind: EventKind,
    time: datetime | None,
    raw_time: str,
    line: int,
    *,
    uid_state: str | None = None,
    foreground: bool | None = None,
    duration_ms: int | None = None,
    attribution_tag: str | None = None,
    proxy_package: str | None = None,
    proxy_uid: int | None = None,
) -> OpEvent:
    return OpEvent(
        kind, time, raw_time, uid_state, foreground, duration_ms, attribution_tag,
        proxy_package, proxy_uid, line,
    )  # fmt: skip


def at(text: str, tz: timezone = CET) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=tz)


def fixture_text(name: str) -> str:
    return (FIXTURES / "appops" / name).read_bytes().decode("utf-8")


def test_exported_members() -> None:
    assert appops.__all__ == [
        "AppOps",
        "EventKind",
        "OpEntry",
        "OpEvent",
        "parse_appops",
        "split_uid",
    ]


# --- hand-written edge cases -----------------------------------------------------------------

U0A87 = ("u0a87", 0, 10087)
CASES: list[tuple[str, datetime | None, AppOps]] = [
    (
        "android8_relative_times.txt",
        REFERENCE,
        AppOps(
            (
                OpEntry(*U0A87, "", "COARSE_LOCATION", "ignore", (), 6),
                OpEntry(*U0A87, "com.example.tracker", "CAMERA", "allow", (
                    event(ACCESS, REFERENCE - timedelta(hours=1, minutes=2, seconds=3,
                          milliseconds=4), "+1h2m3s4ms", 8, duration_ms=5000),
                ), 8),
                OpEntry(*U0A87, "com.example.tracker", "RECORD_AUDIO", "allow", (
                    event(ACCESS, REFERENCE - timedelta(seconds=20), "+20s0ms", 9),
                ), 9),
                OpEntry(*U0A87, "com.example.tracker", "READ_SMS", "ignore", (
                    event(REJECT, REFERENCE - timedelta(days=3), "+3d0h0m0s0ms", 10),
                ), 10),
                OpEntry(*U0A87, "com.example.tracker", "FINE_LOCATION", "allow", (
                    event(ACCESS, REFERENCE - timedelta(minutes=2), "+2m0s0ms", 11),
                    event(REJECT, REFERENCE - timedelta(days=1, hours=2), "+1d2h0m0s0ms", 11),
                ), 11),
            ),
            0,
        ),
    ),
    (
        "android8_relative_times.txt",
        None,
        AppOps(
            (
                OpEntry(*U0A87, "", "COARSE_LOCATION", "ignore", (), 6),
                OpEntry(*U0A87, "com.example.tracker", "CAMERA", "allow",
                        (event(ACCESS, None, "+1h2m3s4ms", 8, duration_ms=5000),), 8),
                OpEntry(*U0A87, "com.example.tracker", "RECORD_AUDIO", "allow",
                        (event(ACCESS, None, "+20s0ms", 9),), 9),
                OpEntry(*U0A87, "com.example.tracker", "READ_SMS", "ignore",
                        (event(REJECT, None, "+3d0h0m0s0ms", 10),), 10),
                OpEntry(*U0A87, "com.example.tracker", "FINE_LOCATION", "allow", (
                    event(ACCESS, None, "+2m0s0ms", 11),
                    event(REJECT, None, "+1d2h0m0s0ms", 11),
                ), 11),
            ),
            0,
        ),
    ),
    (
        "android5_numeric_modes.txt",
        REFERENCE,
        AppOps(
            (
                OpEntry("u11a87", 11, 10087, "com.example.tracker", "CAMERA", "allow",
                        (event(ACCESS, REFERENCE - timedelta(minutes=5), "+5m0s0ms", 3),), 3),
                OpEntry("u11a87", 11, 10087, "com.example.tracker", "READ_CONTACTS", "ignore",
                        (event(REJECT, REFERENCE - timedelta(seconds=10), "+10s0ms", 4),), 4),
            ),
            0,
        ),
    ),
    (
        "android9_uid_state_times.txt",
        REFERENCE,
        AppOps(
            (
                OpEntry("u0a120", 0, 10120, "com.example.chat", "CAMERA", "allow", (
                    event(ACCESS, at("2019-06-01 10:00:00.000"), "2019-06-01 10:00:00.000", 5,
                          uid_state="top", foreground=True, duration_ms=45_000),
                    event(ACCESS, at("2019-06-01 09:00:00.000"), "2019-06-01 09:00:00.000", 6,
                          uid_state="bg", foreground=False),
                ), 4),
                OpEntry("u0a120", 0, 10120, "com.example.chat", "RECORD_AUDIO", "foreground", (
                    event(REJECT, at("2019-06-01 11:30:00.500"), "2019-06-01 11:30:00.500", 9,
                          uid_state="bg", foreground=False),
                ), 8),
            ),
            0,
        ),
    ),
    (
        "android10_epoch_times.txt",
        REFERENCE,
        AppOps(
            (
                OpEntry("u0a50", 0, 10050, "com.example.old", "READ_CLIPBOARD", "allow", (
                    event(ACCESS, None, "1970-01-01 01:00:00.000", 5, uid_state="fg-s",
                          foreground=True),
                    event(REJECT, None, "1969-12-31 16:00:00.000", 6, uid_state="bg-s",
                          foreground=False),
                    event(ACCESS, at("2020-01-08 15:30:08.802"), "2020-01-08 15:30:08.802", 7,
                          uid_state="cch-s", foreground=False),
                ), 4),
            ),
            0,
        ),
    ),
    (
        "android8_epoch_ages.txt",
        REFERENCE,
        AppOps(
            (
                OpEntry("u0a50", 0, 10050, "com.example.old", "READ_CLIPBOARD", "allow",
                        (event(ACCESS, None, "+19727d9h30m0s0ms", 3),), 3),
                OpEntry("u0a50", 0, 10050, "com.example.old", "CAMERA", "allow", (
                    event(ACCESS, None, "0", 4),
                    event(REJECT, REFERENCE - timedelta(seconds=1), "+1s0ms", 4),
                ), 4),
            ),
            0,
        ),
    ),
    (
        "android12_attribution_tags.txt",
        None,
        AppOps(
            (
                OpEntry("u0a200", 0, 10200, "com.example.maps", "FINE_LOCATION", "allow", (
                    event(ACCESS, at("2022-03-29 18:37:30.315"), "2022-03-29 18:37:30.315", 8,
                          uid_state="top-s", foreground=True),
                    event(ACCESS, at("2022-03-30 08:00:00.000"), "2022-03-30 08:00:00.000", 11,
                          uid_state="fgsvc-s", foreground=True, duration_ms=60_000,
                          attribution_tag="location_provider"),
                    event(REJECT, at("2022-03-30 09:15:00.250"), "2022-03-30 09:15:00.250", 12,
                          uid_state="bg-s", foreground=False,
                          attribution_tag="location_provider"),
                ), 6),
                OpEntry("u0a200", 0, 10200, "com.example.maps", "RECORD_AUDIO", "allow", (
                    event(ACCESS, at("2022-03-30 10:00:00.000"), "2022-03-30 10:00:00.000", 16,
                          uid_state="fg-tpd", foreground=True, attribution_tag="voice",
                          proxy_package="android", proxy_uid=1000),
                ), 14),
            ),
            0,
        ),
    ),
    (
        "crlf_line_endings.txt",
        None,
        AppOps(
            (
                OpEntry("u0a103", 0, 10103, "", "COARSE_LOCATION", "ignore", (), 3),
                OpEntry("u0a103", 0, 10103, "com.example.social", "WRITE_SMS", "ignore", (
                    event(REJECT, at("2021-05-19 22:02:52.054"), "2021-05-19 22:02:52.054", 6,
                          uid_state="fg-s", foreground=True),
                ), 5),
                OpEntry("u0a103", 0, 10103, "com.example.social", "READ_CONTACTS", "allow", (
                    event(ACCESS, at("2022-03-07 18:05:34.325"), "2022-03-07 18:05:34.325", 8,
                          uid_state="bg-tpd", foreground=False),
                ), 7),
            ),
            0,
        ),
    ),
    (
        "truncated_block.txt",
        None,
        AppOps(
            (
                OpEntry("u0a99", 0, 10099, "com.example.cut", "CAMERA", "allow", (
                    event(ACCESS, at("2023-01-02 03:04:05.678"), "2023-01-02 03:04:05.678", 4,
                          uid_state="fg-s", foreground=True),
                ), 3),
                OpEntry("u0a99", 0, 10099, "com.example.cut", "RECORD_AUDIO", "allow", (), 5),
            ),
            1,
        ),
    ),
    (
        "history_and_discrete.txt",
        None,
        AppOps(
            (
                OpEntry("u0a7", 0, 10007, "com.example.now", "CAMERA", "allow", (
                    event(ACCESS, at("2021-07-01 12:00:00.000"), "2021-07-01 12:00:00.000", 5,
                          uid_state="top-s", foreground=True),
                ), 4),
            ),
            0,
        ),
    ),
    (
        "binary_junk.txt",
        None,
        AppOps(
            (
                OpEntry("u0a5", 0, 10005, "com.example.junk", "WAKE_LOCK", "allow", (
                    event(ACCESS, at("2023-05-06 07:08:09.010"), "2023-05-06 07:08:09.010", 5,
                          uid_state="bg-s", foreground=False, duration_ms=1002),
                ), 4),
            ),
            2,
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "reference", "expected"), CASES, ids=[c[0] for c in CASES])
def test_appops_fixture(name: str, reference: datetime | None, expected: AppOps) -> None:
    assert parse_appops(fixture_text(name), tz=CET, reference=reference) == expected


def test_crlf_gives_the_same_records_as_lf() -> None:
    text = fixture_text("crlf_line_endings.txt")
    assert "\r\n" in text
    lf = parse_appops(text.replace("\r\n", "\n"), tz=CET, reference=None)
    assert parse_appops(text, tz=CET, reference=None) == lf


def test_entry_properties() -> None:
    result = parse_appops(fixture_text("android12_attribution_tags.txt"), tz=CET, reference=None)
    location = result.for_package("com.example.maps")[0]
    assert [e.line for e in location.accesses] == [8, 11]
    assert [e.line for e in location.rejects] == [12]
    assert location.last_access == at("2022-03-30 08:00:00.000")
    assert location.last_reject == at("2022-03-30 09:15:00.250")
    assert (location.events[1].state, location.events[1].flags) == ("fgsvc", "s")
    assert result.packages() == frozenset({"com.example.maps"})
    assert result.for_package("com.example.absent") == ()


def test_last_access_unknown_without_reference() -> None:
    result = parse_appops(fixture_text("android8_relative_times.txt"), tz=CET, reference=None)
    assert [e.last_access for e in result.entries] == [None] * 5


@pytest.mark.parametrize(
    ("uid", "expected"),
    [
        ("0", (0, 0)),
        ("1000", (0, 1000)),
        ("u0a87", (0, 10087)),
        ("u11a38", (11, 10038)),
        ("u11s1000", (11, 1000)),
        ("u0i5", (0, 99005)),
        ("u10ai3", (10, 90003)),
        ("1110087", (11, 10087)),
        ("uXa1", (None, None)),
        ("-1", (None, None)),
    ],
)
def test_split_uid(uid: str, expected: tuple[int | None, int | None]) -> None:
    assert split_uid(uid) == expected


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_blank_text_is_empty(text: str) -> None:
    assert parse_appops(text, tz=UTC, reference=None) == AppOps()


@pytest.mark.parametrize(
    "text",
    [
        "Permission Denial: can't dump AppOps service from pid=1, uid=2000\n",
        "Can't find service: appops\n",
        "ADB MANAGER STATE (dumpsys adb):\n{\n  debugging_manager={\n",
    ],
)
def test_not_appops_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"^dumpsys appops: "):
        parse_appops(text, tz=UTC, reference=None)


@given(st.text())
def test_fuzz_text_only_parse_error(text: str) -> None:
    try:
        parse_appops(text, tz=UTC, reference=REFERENCE)
    except ParseError:
        pass


@pytest.mark.parametrize(
    ("age", "time"),
    [
        ("+999999999d999999999h", None),  # past timedelta's range: was an OverflowError
        ("+999999999d", None),
        ("+18250d1ms", None),  # past 50 years: the epoch's "never"
        ("+18250d", REFERENCE - timedelta(days=18250)),
        ("-2h", REFERENCE + timedelta(hours=2)),
    ],
)
def test_an_age_past_fifty_years_or_timedeltas_range_is_no_time(
    age: str, time: datetime | None
) -> None:
    # Android 7-8 ages are "now - time"; one beyond timedelta's range (999,999,999 days)
    # escaped the parser as an OverflowError, a traceback for the whole check.
    text = f"  Uid u0a10:\n    Package com.x:\n      CAMERA: mode=allow; time={age} ago\n"
    (entry,) = parse_appops(text, tz=UTC, reference=REFERENCE).entries
    assert [(e.time, e.raw_time) for e in entry.events] == [(time, age)]


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary_only_parse_error(text: str) -> None:
    try:
        parse_appops(text, tz=UTC, reference=REFERENCE)
    except ParseError:
        pass


# --- real devices ----------------------------------------------------------------------------


def section(relative: str, name: str = "dumpsys:appops") -> str:
    found = open_source(corpus_path(relative)).get(name)
    assert found is not None, f"{relative} has no {name}"
    return found.text


def entry(result: AppOps, uid: str, package: str, op: str) -> OpEntry:
    matches = [e for e in result.entries if (e.uid, e.package, e.op) == (uid, package, op)]
    assert len(matches) == 1, (uid, package, op, matches)
    return matches[0]


@pytest.fixture(scope="module")
def pixel1() -> AppOps:
    return parse_appops(section(PIXEL1_BUGREPORT), tz=CET, reference=None)


@pytest.fixture(scope="module")
def atv14() -> AppOps:
    return parse_appops(section(ATV_BUGREPORT), tz=UTC, reference=None)


def test_appops_pixel1_android10_whole_dump(pixel1: AppOps) -> None:
    assert (len(pixel1.entries), pixel1.skipped, len(pixel1.packages())) == (167, 0, 25)
    assert {e.user_id for e in pixel1.entries} == {0, 11}


def test_appops_pixel1_android10_monitor_location_access(pixel1: AppOps) -> None:
    assert entry(pixel1, "1000", "android", "MONITOR_LOCATION") == OpEntry(
        "1000", 0, 1000, "android", "MONITOR_LOCATION", "allow",
        (event(ACCESS, at("2020-01-08 15:29:48.093"), "2020-01-08 15:29:48.093", 102,
               uid_state="pers-s", foreground=True, duration_ms=6087),),
        101,
    )  # fmt: skip


def test_appops_pixel1_android10_reject_without_space(pixel1: AppOps) -> None:
    # Android 10 prints ``Reject: [pers-s]2020-…`` with no space after the bracket.
    assert entry(pixel1, "1000", "android", "GET_USAGE_STATS").events == (
        event(REJECT, at("2020-01-08 15:29:48.093"), "2020-01-08 15:29:48.093", 106,
              uid_state="pers-s", foreground=True),
    )  # fmt: skip


def test_appops_pixel1_android10_uid_level_modes(pixel1: AppOps) -> None:
    uid_level = [e for e in pixel1.entries if e.uid == "1000" and e.package == ""]
    assert uid_level == [
        OpEntry("1000", 0, 1000, "", "COARSE_LOCATION", "foreground", (), 90),
        OpEntry("1000", 0, 1000, "", "LEGACY_STORAGE", "ignore", (), 91),
    ]


def test_appops_pixel1_android10_contacts_read_per_uid_state(pixel1: AppOps) -> None:
    assert entry(pixel1, "u0a38", "com.android.providers.contacts", "READ_CONTACTS").events == (
        event(ACCESS, at("2020-01-08 16:49:39.244"), "2020-01-08 16:49:39.244", 206,
              uid_state="fg-tp", foreground=True),
        event(ACCESS, at("2019-12-11 11:36:39.061"), "2019-12-11 11:36:39.061", 207,
              uid_state="bg-tp", foreground=False),
        event(ACCESS, at("2020-01-08 20:25:02.676"), "2020-01-08 20:25:02.676", 208,
              uid_state="cch-tp", foreground=False),
    )  # fmt: skip


def test_appops_pixel1_android10_second_user_11(pixel1: AppOps) -> None:
    contacts = entry(pixel1, "u11a38", "com.android.providers.contacts", "READ_CONTACTS")
    assert (contacts.user_id, contacts.app_id, contacts.line) == (11, 10038, 475)
    assert contacts.last_access == at("2020-01-08 16:59:22.030")


def test_appops_atv_android14_whole_dump(atv14: AppOps) -> None:
    # The trailing "Uid State Changes Event Log" (600 lines) yields nothing and skips nothing.
    assert (len(atv14.entries), atv14.skipped, len(atv14.packages())) == (127, 0, 23)


def test_appops_atv_android14_gms_fine_location_attribution(atv14: AppOps) -> None:
    assert entry(atv14, "u0a82", "com.google.android.gms", "FINE_LOCATION") == OpEntry(
        "u0a82", 0, 10082, "com.google.android.gms", "FINE_LOCATION", "allow",
        (event(ACCESS, at("2025-11-23 02:15:13.996", UTC), "2025-11-23 02:15:13.996", 737,
               uid_state="fg-s", foreground=True, attribution_tag="com.google.android.gms.gcm"),),
        735,
    )  # fmt: skip


def test_appops_atv_android14_gms_usage_stats_rejects_per_tag(atv14: AppOps) -> None:
    rejects = entry(atv14, "u0a82", "com.google.android.gms", "GET_USAGE_STATS").rejects
    assert [(e.attribution_tag, e.raw_time, e.line) for e in rejects] == [
        ("com.google.android.gms.checkinbase", "2025-11-23 10:44:47.871", 768),
        (None, "2025-11-23 10:32:13.337", 771),
        ("com.google.android.gms.security__nonwearable", "2025-11-23 10:32:11.951", 774),
        ("com.google.android.gms.stats", "2025-11-23 10:32:11.951", 777),
    ]


def test_appops_atv_android14_running_location_durations(atv14: AppOps) -> None:
    monitor = entry(atv14, "1000", "android", "MONITOR_LOCATION")
    assert [(e.attribution_tag, e.duration_ms) for e in monitor.events] == [
        ("SensorNotificationService", 54_851_898),  # +15h14m11s898ms, still running
        ("CountryDetector", 300_008),
    ]


def test_appops_atv_android14_uid_level_foreground_modes(atv14: AppOps) -> None:
    uid_level = [(e.op, e.mode) for e in atv14.entries if e.uid == "u0a82" and not e.package]
    assert uid_level == [("CAMERA", "foreground"), ("RECORD_AUDIO", "foreground")]


def test_appops_samsung_2022_facebook_contacts_and_sms() -> None:
    text = corpus_path(f"{MVT}/android_data/dumpsys_appops.txt").read_text(encoding="utf-8")
    result = parse_appops(text, tz=UTC, reference=None)
    assert (len(result.entries), result.skipped) == (46, 0)
    assert entry(result, "u0a103", "com.facebook.katana", "READ_CONTACTS") == OpEntry(
        "u0a103", 0, 10103, "com.facebook.katana", "READ_CONTACTS", "allow",
        (event(ACCESS, at("2022-03-07 18:05:34.325", UTC), "2022-03-07 18:05:34.325", 53,
               uid_state="bg-tpd", foreground=False),),
        52,
    )  # fmt: skip
    assert entry(result, "u0a103", "com.facebook.katana", "WRITE_SMS") == OpEntry(
        "u0a103", 0, 10103, "com.facebook.katana", "WRITE_SMS", "ignore",
        (
            event(REJECT, at("2021-05-19 22:02:52.054", UTC), "2021-05-19 22:02:52.054", 55,
                  uid_state="fg-s", foreground=True),
            event(REJECT, at("2022-03-10 19:35:06.426", UTC), "2022-03-10 19:35:06.426", 56,
                  uid_state="bg-s", foreground=False),
            event(REJECT, at("2022-03-29 18:48:02.923", UTC), "2022-03-29 18:48:02.923", 57,
                  uid_state="cch-s", foreground=False),
        ),
        54,
    )  # fmt: skip


def test_appops_samsung_2022_fdroid_null_proxy() -> None:
    text = corpus_path(f"{MVT}/android_data/dumpsys_appops.txt").read_text(encoding="utf-8")
    toast = entry(parse_appops(text, tz=UTC, reference=None), "u0a110", "org.fdroid.fdroid",
                  "TOAST_WINDOW")  # fmt: skip
    assert toast.events[0] == event(
        ACCESS, at("2022-01-24 05:16:25.882", UTC), "2022-01-24 05:16:25.882", 108,
        uid_state="bg-s", foreground=False, duration_ms=1942, proxy_uid=0,
    )  # fmt: skip


@pytest.mark.parametrize("source", ["android_data/bugreport", "androidqf"])
def test_appops_samsung_2022_through_source_layer(source: str) -> None:
    result = parse_appops(section(f"{MVT}/{source}"), tz=UTC, reference=None)
    assert (len(result.entries), result.skipped) == (37, 0)
    sms = entry(result, "u0a103", "com.facebook.katana", "WRITE_SMS")
    assert [e.raw_time for e in sms.rejects] == [
        "2021-05-19 22:02:52.054",
        "2022-03-10 19:35:06.426",
        "2022-03-29 18:48:02.923",
    ]


# --- Android 7.1 / 8.1 relative ages ---------------------------------------------------------

PIXEL_8_HEADER = datetime(2018, 4, 2, 17, 6, 30, tzinfo=timezone(timedelta(hours=-7)))
MEIZU_7_HEADER = datetime(2018, 5, 10, 20, 50, 17, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize("reference", [PIXEL_8_HEADER, None])
def test_appops_pixel1_android8_1_relative_ages(reference: datetime | None) -> None:
    """Pixel 1 retail, Android 8.1: ``VIBRATE: mode=0; time=+37s49ms ago; duration=+154ms``
    is the dump time minus 37.049 s, or unknown (never 1970) without a reference."""
    from tests.parsers.legacy_bugreports import PIXEL1_ANDROID8

    result = parse_appops(section(PIXEL1_ANDROID8), tz=UTC, reference=reference)
    (vibrate,) = [e for e in result.for_package("root") if e.op == "VIBRATE"]
    (access,) = vibrate.events
    assert (access.kind, access.raw_time, access.duration_ms) == (ACCESS, "+37s49ms", 154)
    expected = None if reference is None else reference - timedelta(seconds=37, milliseconds=49)
    assert access.time == expected
    times = [e.time for entry in result.entries for e in entry.events]
    assert len(times) == 1057 and result.skipped == 0
    if reference is None:
        assert set(times) == {None}
    else:
        assert all(t is not None and t.year >= 2017 for t in times)


def test_appops_meizu_mx6_android7_1_relative_ages_and_reject_times() -> None:
    """Meizu MX6, Android 7.1.1: ``time=+136d7h…ago`` and ``rejectTime=+…ago`` lines."""
    from tests.parsers.legacy_bugreports import MEIZU_MX6_ANDROID7

    result = parse_appops(section(MEIZU_MX6_ANDROID7), tz=UTC, reference=MEIZU_7_HEADER)
    (sms,) = [e for e in result.for_package("com.meizu.safe") if e.op == "WRITE_SMS"]
    assert sms.mode == "ignore"
    assert [(e.kind, e.raw_time, e.time) for e in sms.rejects] == [
        (
            REJECT,
            "+28d4h24m7s399ms",
            MEIZU_7_HEADER - timedelta(days=28, hours=4, minutes=24, seconds=7, milliseconds=399),
        )
    ]
    assert result.skipped == 0
    times = [e.time for entry in result.entries for e in entry.events]
    assert None not in times
    # The oldest ages (+3044d…, com.meizu.feedback) resolve to January 2010 (the clock was
    # wrong when they were recorded); nothing comes out as the epoch.
    assert min(t for t in times if t is not None).year == 2010
