"""The behaviour score per app: the bundled example's stalkerware-like app, every signal planted
in real dump text (Android 14 TV emulator and Pixel 1 Android 8.1 layouts), and what the
corpus bugreports' ordinary apps score (Android TV 14 emulator, Pixel 1 8.1 retail/Verizon,
Meizu MX6 Flyme 7.1.1): none reaches the threshold."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

import handsetguard.threats.behaviour as behaviour
from handsetguard.device import DeviceState
from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats import Confidence, ThreatKind
from handsetguard.threats.behaviour import THRESHOLD, WEIGHTS, behaviour_threats, score_app
from handsetguard.threats.signals import candidates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "behaviour"
CORPUS = Path("/work/shared/corpus/device")
README = Path(__file__).resolve().parents[2] / "README.md"


def _state(path: Path) -> DeviceState:
    return build_state(open_source(path))


def _example() -> DeviceState:
    ref = resources.files("handsetguard.examples").joinpath("example-bugreport.txt")
    with resources.as_file(ref) as path:
        return _state(path)


def _reasons(state: DeviceState, package: str) -> list[tuple[str, int, list[tuple[str, str]]]]:
    threat = score_app(state, package)
    return [
        (r.code, r.weight, [(e.fact, str(e.location)) for e in r.evidence]) for r in threat.reasons
    ]


EX = "example-bugreport.txt"
FAMILY = "com.tracker.familylocator"


def test_example_stalkerware_scores_high_with_every_reason_it_has() -> None:
    """Android 14 (bundled example, KS-60): sideloaded through the package installer, an
    accessibility service, a notification listener, a device admin, background location,
    contacts and call log, installed 11 days before the report. Its READ_SMS was refused, and
    the example has no Activity Resolver Table, so neither SMS nor a hidden icon is a reason."""
    state = _example()
    [threat] = behaviour_threats(state)
    assert (threat.package, threat.kind, threat.confidence) == (
        FAMILY,
        ThreatKind.BEHAVIOUR,
        Confidence.HEURISTIC,
    )
    assert threat.score == 100
    installer = "com.google.android.packageinstaller"
    assert _reasons(state, FAMILY) == [
        (
            "accessibility",
            25,
            [
                (
                    f"accessibility service enabled: {FAMILY}/{FAMILY}.SyncAccessibilityService",
                    f"{EX}:75",
                )
            ],
        ),
        (
            "sideloaded",
            15,
            [
                (f"{FAMILY} installed by {installer}", f"{EX}:395"),
                (f"{FAMILY} install started by {installer}", f"{EX}:397"),
            ],
        ),
        (
            "notification_listener",
            15,
            [
                (
                    f"secure enabled_notification_listeners: {FAMILY}/{FAMILY}.NotifyListener",
                    f"{EX}:473",
                )
            ],
        ),
        ("device_admin", 15, [(f"device admin: {FAMILY}/.AdminReceiver", f"{EX}:186")]),
        (
            "background_location",
            15,
            [("FINE_LOCATION in the background (2025-11-20 03:12:44.500)", f"{EX}:151")],
        ),
        (
            "background_call_log",
            10,
            [("READ_CALL_LOG in the background (2025-11-20 01:20:02.777)", f"{EX}:167")],
        ),
        (
            "background_contacts",
            10,
            [("READ_CONTACTS in the background (2025-11-19 23:58:40.031)", f"{EX}:159")],
        ),
        (
            "recent_install",
            5,
            [("first installed 2025-11-08 21:47, 11 day(s) before this report", f"{EX}:408")],
        ),
    ]
    assert threat.summary == (
        "This app can read your screen and notifications, is a device administrator, used "
        "your location, call log and contacts in the background and was installed from "
        "outside an app store."
    )
    # The example's other apps: Play installs with foreground use only.
    assert {t: score_app(state, t).score for t in candidates(state)} == {
        FAMILY: 100,
        "com.google.android.apps.maps": 0,  # com.google.android.* from Play: not posing
        "com.whatsapp": 0,
        "net.quickshare.files": 0,
    }


AT = "atv14_planted.txt"
PLANTED = "com.android.sys.update"


def test_every_signal_planted_in_android14_text() -> None:
    """Android 14 (TV emulator layout): each signal planted on the real Cast2Class record."""
    state = _state(FIXTURES / AT)
    assert _reasons(state, PLANTED) == [
        (
            "accessibility",
            25,
            [(f"accessibility service enabled: {PLANTED}/{PLANTED}.SyncService", f"{AT}:27")],
        ),
        (
            "hidden_icon",
            25,
            [
                (f"MAIN activity {PLANTED}.ui.MainActivity", f"{AT}:397"),
                (f"disabled for user 0: {PLANTED}.ui.MainActivity", f"{AT}:1418"),
            ],
        ),
        (
            "poses_as_system",
            20,
            [(f"{PLANTED} is not a system app and not platform-signed", f"{AT}:1356")],
        ),
        (
            "sideloaded",
            15,
            [
                # A store as installer does not hide who started the install.
                (f"{PLANTED} installed by com.android.vending", f"{AT}:1386"),
                (f"{PLANTED} install started by com.example.dropper", f"{AT}:1388"),
                (f"{PLANTED} install came from com.android.chrome", f"{AT}:1389"),
            ],
        ),
        (
            "notification_listener",
            15,
            [(f"allowed notification listener: {PLANTED}/{PLANTED}.NotifyListener", f"{AT}:62")],
        ),
        ("device_admin", 15, [(f"device admin: {PLANTED}/.AdminReceiver", f"{AT}:95")]),
        (
            "background_location",
            15,
            [("FINE_LOCATION in the background (2025-11-22 19:30:47.598)", f"{AT}:212")],
        ),
        (
            "background_microphone",
            15,
            [("RECORD_AUDIO in the background (2025-11-22 19:30:47.598)", f"{AT}:216")],
        ),
        (
            "background_camera",
            15,
            [("CAMERA in the background (2025-11-22 19:30:47.598)", f"{AT}:220")],
        ),
        (
            "recent_install",
            5,
            [("first installed 2025-11-22 21:47, 12 hour(s) before this report", f"{AT}:1408")],
        ),
    ]
    threat = score_app(state, PLANTED)
    assert threat.score == 100
    assert threat.summary == (
        "This app can read your screen and notifications, is a device administrator, hides "
        "its icon, is named like a part of Android, used your location, microphone and camera "
        "in the background and was installed from outside an app store."
    )


def test_an_icon_switch_is_not_a_hidden_icon_and_a_refusal_is_not_a_use() -> None:
    """org.example.iconswitch disables one of its two MAIN aliases (a seasonal icon): the
    other still shows. The planted app's READ_SMS was only refused: no SMS reason."""
    state = _state(FIXTURES / AT)
    assert _reasons(state, "org.example.iconswitch") == [
        (
            "notification_listener",
            15,
            [
                (
                    "allowed notification listener: org.example.iconswitch/"
                    "org.example.iconswitch.Listener",
                    f"{AT}:63",
                )
            ],
        )
    ]
    assert "background_sms" not in {r.code for r in score_app(state, PLANTED).reasons}
    assert [t.package for t in behaviour_threats(state)] == [PLANTED]


def test_hidden_icon_in_android8_layout() -> None:
    """Android 8.1 (Pixel 1): ``disabledComponents:`` after the user's ``overlay paths:``;
    the real com.joke.free record (installed over adb: no installer line at all)."""
    name = "pixel8_hidden_icon.txt"
    state = _state(FIXTURES / name)
    main = "com.udacity.gradle.builditbigger.MainActivity"
    assert _reasons(state, "com.joke.free") == [
        (
            "hidden_icon",
            25,
            [
                (f"MAIN activity {main}", f"{name}:22"),
                (f"disabled for user 0: {main}", f"{name}:56"),
            ],
        ),
        ("sideloaded", 15, [("com.joke.free installed by adb or unknown", f"{name}:24")]),
    ]
    assert behaviour_threats(state) == []  # 40: a hidden icon from adb alone is no finding


# (dump, apps scored, the highest-scoring ones with their reasons): none reaches 50.
CORPUS_RESULTS = {
    # Every app of the TV emulator image is a system app.
    "emulator-atv64-android14-bugreport": (0, []),
    # Developer phone: ten apps installed over adb (installer null), Play apps otherwise;
    # Android 8.1 app ops record no foreground/background state.
    "google-pixel1-sailfish-android8.1-bugreport": (
        65,
        [("com.xianwei.drivermiles", 20, ["sideloaded", "recent_install"])],
    ),
    # Flyme: apps from com.meizu.mstore (a known store), com.meizu.flyme.update and
    # com.wandoujia.phoenix2 (not stores), several installed in the last 14 days.
    "meizu-mx6-android7.1-bugreport": (
        67,
        [
            (name, 20, ["sideloaded", "recent_install"])
            for name in (
                "com.alibaba.weex",
                "com.facebook.katana",
                "com.github.shadowsocks",
                "com.instagram.android",
                "com.tongbanjie.android",
                "com.umeng.soexample",
                "com.webank.wemoney",
                "deep.com.test",
                "umeng.com.umiotdemo",
            )
        ],
    ),
}


@pytest.mark.parametrize("dump", sorted(CORPUS_RESULTS))
def test_ordinary_apps_of_the_corpus_do_not_cross_the_threshold(dump: str) -> None:
    folder = CORPUS / dump
    if not folder.is_dir():
        pytest.skip(f"corpus not present: {folder}")
    [archive] = folder.glob("*.zip")
    state = _state(archive)
    scored = sorted(
        (score_app(state, name) for name in candidates(state)), key=lambda t: (-t.score, t.package)
    )
    count, top = CORPUS_RESULTS[dump]
    assert len(scored) == count
    best = [t for t in scored if scored and t.score == scored[0].score]
    assert [(t.package, t.score, [r.code for r in t.reasons]) for t in best] == top
    assert behaviour_threats(state) == []


def test_no_single_signal_nor_the_install_signals_make_a_finding() -> None:
    assert max(WEIGHTS.values()) < THRESHOLD
    install = WEIGHTS["sideloaded"] + WEIGHTS["poses_as_system"] + WEIGHTS["recent_install"]
    assert install < THRESHOLD


def test_weights_and_threshold_are_documented_as_used() -> None:
    """The module docstring's table and the README list every weight the score uses."""
    doc = behaviour.__doc__ or ""
    readme = README.read_text(encoding="utf-8")
    for code, weight in WEIGHTS.items():
        assert f"``{code}``" in doc and f" {weight} " in doc.split(f"``{code}``", 1)[1][:40]
        assert f"`{code}` | {weight} |" in readme, code
    assert f"({THRESHOLD})" in doc and f"threshold is **{THRESHOLD}**" in readme


def test_background_use_without_a_power_or_hiding_is_no_finding(tmp_path: Path) -> None:
    """The example (Android 14) with the app's accessibility service, notification listener
    and device admin taken out: sideloaded, background location, contacts, call log and a
    recent install still score 55, but nothing covert is left — no finding."""
    ref = resources.files("handsetguard.examples").joinpath("example-bugreport.txt")
    text = ref.read_text(encoding="utf-8")
    for old, new in (
        (f"{{{{{FAMILY}/{FAMILY}.SyncAccessibilityService}}}}", "{}"),
        (f"value:{FAMILY}/{FAMILY}.SyncAccessibilityService", "value:"),
        (f":{FAMILY}/{FAMILY}.NotifyListener", ""),
        (f"    {FAMILY}/.AdminReceiver:\n", "    \n"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "bugreport.txt"
    path.write_text(text, encoding="utf-8")
    state = _state(path)
    threat = score_app(state, FAMILY)
    assert threat.score == 55
    assert [r.code for r in threat.reasons] == [
        "sideloaded",
        "background_location",
        "background_call_log",
        "background_contacts",
        "recent_install",
    ]
    assert not behaviour.is_finding(threat) and behaviour_threats(state) == []
