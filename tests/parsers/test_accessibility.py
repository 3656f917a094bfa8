"""Tests for the ``dumpsys accessibility`` parser: AOSP ≤ 11, AOSP 12+ and Samsung layouts (one
fixture file per case, whole records compared), real dumps from a Pixel 1 (Android 10), an
Android 14 TV emulator and MVT's Samsung/Android 14 excerpts, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import accessibility
from handsetguard.parsers.accessibility import (
    AccessibilityState,
    AccessibilityUser,
    expand_component,
    parse_accessibility,
    service_package,
)
from handsetguard.parsers.component import Unreadable
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

MVT = "device/mvt-tests"
TALKBACK = "com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService"
SAMSUNG_TALKBACK = (
    "com.samsung.android.accessibility.talkback/com.samsung.android.marvin.talkback.TalkBackService"
)
SPY = "com.example.spy/com.example.spy.Watcher"


def user(
    user_id: int | None,
    line: int,
    *,
    enabled: tuple[str, ...] = (),
    bound: tuple[str, ...] = (),
    installed: tuple[str, ...] = (),
    count: int | None = None,
    touch: bool | None = None,
    crashed: tuple[str, ...] = (),
    unreadable: tuple[Unreadable, ...] = (),
) -> AccessibilityUser:
    return AccessibilityUser(
        user_id, enabled, bound, installed, count, touch, crashed, line, unreadable
    )


def fixture_text(name: str) -> str:
    return (FIXTURES / "accessibility" / name).read_bytes().decode("utf-8")


def test_exported_members() -> None:
    assert accessibility.__all__ == [
        "AccessibilityState",
        "AccessibilityUser",
        "expand_component",
        "parse_accessibility",
        "service_package",
    ]


ANDROID10 = AccessibilityState(
    (
        user(0, 2, enabled=(TALKBACK, "com.example.remote/com.example.remote.HelperService"),
             bound=("TalkBack", "Remote Helper"), count=3, touch=True),
        user(10, 8, count=1, touch=False),
    ),
    current_user_id=0,
)  # fmt: skip
CASES: list[tuple[str, AccessibilityState]] = [
    ("android10_inline_lists.txt", ANDROID10),
    ("crlf_line_endings.txt", ANDROID10),
    (
        "android14_user_state.txt",
        AccessibilityState(
            (
                user(0, 7, enabled=(SPY, "com.example.keys/.KeyService"),
                     bound=("System Optimizer",), count=4, touch=False,
                     crashed=("com.example.keys/.KeyService",)),
            ),
            current_user_id=0,
        ),
    ),
    (
        "samsung_block_lists.txt",
        AccessibilityState(
            (
                user(0, 2, enabled=(SAMSUNG_TALKBACK, SPY), bound=(SPY,),
                     installed=("com.samsung.accessibility/.universalswitch.UniversalSwitchService",
                                SAMSUNG_TALKBACK, SPY),
                     count=3, touch=True),
            ),
            current_user_id=0,
        ),
    ),
    (
        "truncated_bound_list.txt",
        AccessibilityState(
            (user(0, 2, enabled=("com.example.cut/.CutService",), bound=("Cut Short",), count=2,
                  touch=False,
                  unreadable=(Unreadable("enabled services", "not a component", 4),)),),
            current_user_id=0,
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_accessibility_fixture(name: str, expected: AccessibilityState) -> None:
    assert parse_accessibility(fixture_text(name)) == expected


def test_helpers() -> None:
    state = parse_accessibility(fixture_text("android14_user_state.txt"))
    assert state.service_packages() == frozenset({"com.example.spy", "com.example.keys"})
    assert state.user(0) is state.users[0]
    assert state.user(11) is None
    assert service_package("com.example.keys/.KeyService") == "com.example.keys"
    assert (
        expand_component("com.example.keys/.KeyService")
        == "com.example.keys/com.example.keys.KeyService"
    )
    assert expand_component(SPY) == SPY


@pytest.mark.parametrize("text", ["", " \n\n"])
def test_blank_text_is_empty(text: str) -> None:
    assert parse_accessibility(text) == AccessibilityState()


@pytest.mark.parametrize(
    "text", ["Can't find service: accessibility\n", "Current AppOps Service state:\n  Uid 0:\n"]
)
def test_not_accessibility_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"^dumpsys accessibility: "):
        parse_accessibility(text)


@given(st.text())
def test_fuzz_text_only_parse_error(text: str) -> None:
    try:
        parse_accessibility(text)
    except ParseError:
        pass


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary_only_parse_error(text: str) -> None:
    try:
        parse_accessibility(text)
    except ParseError:
        pass


# --- real devices ----------------------------------------------------------------------------


def section(relative: str) -> str:
    found = open_source(corpus_path(relative)).get("dumpsys:accessibility")
    assert found is not None
    return found.text


def test_accessibility_pixel1_android10_no_services() -> None:
    assert parse_accessibility(section(PIXEL1_BUGREPORT)) == AccessibilityState(
        (user(0, 2, count=0, touch=False),), current_user_id=0
    )


def test_accessibility_atv_android14_no_services() -> None:
    # The TalkBack shortcut is configured but no service is enabled or bound.
    assert parse_accessibility(section(ATV_BUGREPORT)) == AccessibilityState(
        (user(0, 13, count=2, touch=False),), current_user_id=0
    )


def test_accessibility_android14_mvt_enabled_malware_service() -> None:
    text = corpus_path(f"{MVT}/android_data/dumpsys_accessibility_v14_or_later.txt").read_text()
    assert parse_accessibility(text) == AccessibilityState(
        (
            user(0, 14, enabled=("com.malware.accessibility/com.malware.service.malwareservice",),
                 bound=("Accessibility service",), count=2, touch=False),
        ),
        current_user_id=0,
    )  # fmt: skip


SAMSUNG_INSTALLED = (
    "com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor",
    "com.samsung.accessibility/.universalswitch.UniversalSwitchService",
    "com.samsung.accessibility/com.samsung.android.app.talkback.TalkBackService",
    "com.sec.android.app.camera/com.samsung.android.glview.AccessibilityGestureHandler",
)


def test_accessibility_samsung_mvt_installed_services() -> None:
    text = corpus_path(f"{MVT}/android_data/dumpsys_accessibility.txt").read_text()
    assert parse_accessibility(text) == AccessibilityState(
        (user(0, 2, installed=SAMSUNG_INSTALLED, count=4),), current_user_id=0
    )


def test_accessibility_samsung_androidqf_wrapped_line_and_repeated_heading() -> None:
    # The AndroidQF copy breaks "= false" over two lines and repeats "installed services: {".
    assert parse_accessibility(section(f"{MVT}/androidqf")) == AccessibilityState(
        (user(0, 2, installed=SAMSUNG_INSTALLED, count=4, touch=False),), current_user_id=0
    )
