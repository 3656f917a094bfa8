"""getprop parser: hand-written edge cases, real devices (Android 10–15, several OEMs), fuzzing."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import getprop
from handsetguard.parsers.getprop import Properties, Property, parse_getprop
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

P = Property


def _fixture(name: str) -> str:
    # Bytes, not read_text(): the CRLF fixture must reach the parser with its "\r".
    return (FIXTURES / "getprop" / name).read_bytes().decode("utf-8")


@cache
def _bugreport_section(relative: str, name: str) -> str:
    from handsetguard.sources import open_source

    section = open_source(corpus_path(relative)).get(name)
    assert section is not None, f"{relative}: no {name} section"
    return section.text


def _corpus_text(relative: str) -> str:
    return corpus_path(relative).read_text(encoding="utf-8")


def test_exported_names() -> None:
    assert getprop.__all__ == ["Properties", "Property", "parse_getprop"]


EDGE_CASES: dict[str, tuple[list[Property], int]] = {
    "empty_value.txt": (
        [
            P("gsm.operator.alpha", "", 0),
            P("ro.build.type", "user", 1),
            P("persist.sys.boot.reason", "", 2),
        ],
        0,
    ),
    "bracket_in_value.txt": (
        [
            P("ro.x", "a]b", 0),
            P("ro.nested", "[1,2],[3]", 1),
            P("ro.only.bracket", "]", 2),
            P("ro.plain", "v", 3),
        ],
        0,
    ),
    "multiline_value.txt": (
        [
            P(
                "persist.sys.boot.reason.history",
                "reboot,ota,1691858645\nreboot,unattended,ota_update,1691858601\n"
                "reboot,ota,1691857091",
                0,
            ),
            P("ro.next", "1", 3),
            P("ro.blank.inside", "first\n\nlast", 4),
        ],
        0,
    ),
    "crlf.txt": ([P("ro.a", "1", 0), P("ro.multi", "x\ny", 1), P("ro.empty", "", 3)], 0),
    "truncated.txt": ([P("ro.a", "1", 0), P("ro.b", "2", 1)], 1),
    "unterminated.txt": ([P("ro.a", "x", 0), P("ro.b", "2", 1), P("ro.d", "4", 4)], 2),
    "markdown_fence.txt": ([P("ro.a", "1", 3), P("ro.b", "", 4)], 1),
    "junk_lines.txt": ([P("ro.a", "1", 0), P("ro.b", "café ⊈", 4)], 3),
    "blank_line_between.txt": (
        [P("af.fast_track_multiplier", "1", 0), P("dalvik.vm.appimageformat", "lz4", 2)],
        0,
    ),
    "indented.txt": ([P("ro.indented", "yes", 0)], 0),
    "empty.txt": ([], 0),
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in (FIXTURES / "getprop").iterdir()) == sorted(EDGE_CASES)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_fixture(name: str) -> None:
    expected, skipped = EDGE_CASES[name]
    result = parse_getprop(_fixture(name))
    assert list(result.by_name.values()) == expected
    assert result.skipped == skipped


def test_container_protocol() -> None:
    props = parse_getprop("[ro.a]: [1]\n[ro.b]: []\n")
    assert len(props) == 2
    assert list(props) == ["ro.a", "ro.b"]
    assert "ro.b" in props and "ro.c" not in props
    assert props.get("ro.b") == "" and props.get("ro.c") is None
    assert dict(props.items()) == {"ro.a": P("ro.a", "1", 0), "ro.b": P("ro.b", "", 1)}
    assert Properties() == Properties({}, 0)


def test_not_getprop_raises() -> None:
    with pytest.raises(ParseError, match=r"^getprop: no \[name\]: \[value\] lines"):
        parse_getprop("ro.a=1\nro.b=2\n")


def test_blank_text_is_empty_not_an_error() -> None:
    assert len(parse_getprop(" \n\n")) == 0


def test_oneplus_nord_n10_android11() -> None:
    """OnePlus Nord N10 5G (BE2028), Android 11, user build: 1,122 lines, one 3-line value."""
    props = parse_getprop(_corpus_text("device/getprop-oneplus-n10-android11/getprop.txt"))
    assert (len(props), props.skipped) == (1120, 0)
    assert props.by_name["persist.sys.boot.reason.history"] == P(
        "persist.sys.boot.reason.history",
        "reboot,ota,1691858645\nreboot,unattended,ota_update,1691858601\nreboot,ota,1691857091",
        376,
    )
    assert props.by_name["gsm.operator.alpha"] == P("gsm.operator.alpha", "", 98)
    assert sum(p.value == "" for p in props.by_name.values()) == 18
    assert props.get("ro.build.fingerprint") == (
        "OnePlus/OnePlusN10TMO/OnePlusN10TMO:11/RKQ1.201217.002/2307051826:user/release-keys"
    )
    assert props.get("ro.product.model") == "BE2028"
    assert props.get("ro.build.version.release") == "11"


def test_poco_f6_hyperos_android15() -> None:
    """Xiaomi POCO F6, HyperOS 2 on Android 15: non-ASCII values, 4-line value, empty values."""
    props = parse_getprop(_corpus_text("device/getprop-poco-f6-hyperos-android15/getprop.txt"))
    assert (len(props), props.skipped) == (1067, 0)
    assert props.get("persist.device_config.aconfig_flags.bluetooth.location_denylist_mac") == ""
    assert props.get(
        "persist.device_config.aconfig_flags.bluetooth.location_denylist_advertising_data"
    ) == ("⊈0016AAFE40/00FFFFFFF0,⊆0016AAFE/00FFFFFF,⊆00FF4C0002/00FFFFFFFF")
    assert props.get("persist.sys.boot.reason.history") == (
        "reboot,,1745935181\nshutdown,userrequested,1745815614\nreboot,,1745768086\n"
        "reboot,,1745686927"
    )
    assert props.get("gsm.operator.alpha") == "JIO 4G,Vi India"
    assert props.get("ro.build.version.release") == "15"
    assert sum(p.value == "" for p in props.by_name.values()) == 29


def test_humane_ai_pin_android12() -> None:
    """Humane Ai Pin, Android 12 (props.md holds raw getprop output)."""
    props = parse_getprop(_corpus_text("device/humane-aipin-android12-dumps/props.md"))
    assert (len(props), props.skipped) == (718, 0)
    assert props.by_name["DEVICE_PROVISIONED"] == P("DEVICE_PROVISIONED", "1", 0)
    assert props.get("persist.rild.nitz_plmn") == ""
    assert props.get("persist.sys.boot.reason.history") == (
        "reboot,shell,1741390745\nreboot,shell,1741390333\nshutdown,battery,1741380409"
    )
    assert props.get("ro.product.model") == "Ai Pin"


def test_mvt_android_data_excerpt_with_blank_line() -> None:
    """MVT test data (Android, OEM unknown): a truncated 13-entry excerpt with a blank line."""
    props = parse_getprop(_corpus_text("device/mvt-tests/android_data/getprop.txt"))
    assert (len(props), props.skipped) == (13, 0)
    assert props.by_name["dalvik.vm.dex2oat-max-image-block-size"] == P(
        "dalvik.vm.dex2oat-max-image-block-size", "524288", 9
    )
    assert props.get("dalvik.vm.heapgrowthlimit") == "192m"


def test_mvt_androidqf_getprop() -> None:
    """MVT's AndroidQF sample (Android, OEM unknown): 10 entries."""
    props = parse_getprop(_corpus_text("device/mvt-tests/androidqf/getprop.txt"))
    assert (len(props), props.skipped) == (10, 0)
    assert props.get("dalvik.vm.heapminfree") == "512k"


def test_atv_emulator_android14_bugreport() -> None:
    """Android TV emulator (sdk_google_atv64_arm64), Android 14 bugreport: 56 empty values."""
    text = _bugreport_section(ATV_BUGREPORT, "getprop")
    props = parse_getprop(text)
    assert (len(props), props.skipped) == (894, 0)
    assert props.get("persist.sys.boot.reason.history") == (
        "reboot,factory_reset,1763829045\nreboot,1763829037"
    )
    assert props.get("init.svc_debug_pid.apexd") == ""
    assert sum(p.value == "" for p in props.by_name.values()) == 56
    assert props.get("ro.build.version.release") == "14"
    line = props.by_name["ro.build.type"].line
    assert text.split("\n")[line] == "[ro.build.type]: [user]"


def test_pixel1_android10_bugreport() -> None:
    """Google Pixel (sailfish), AOSP Android 10 userdebug bugreport."""
    props = parse_getprop(_bugreport_section(PIXEL1_BUGREPORT, "getprop"))
    assert (len(props), props.skipped) == (606, 0)
    assert props.get("ro.boot.verifiedbootstate") == "orange"
    assert props.get("ro.debuggable") == "1"
    assert props.get("gsm.operator.alpha") == ""
    assert props.get("persist.sys.boot.reason.history") == (
        "shutdown,userrequested,8039328\nshutdown,userrequested,7928377\nbootloader,7866138"
    )


def _returns_or_parse_error(text: str) -> None:
    try:
        result = parse_getprop(text)
    except ParseError:
        return
    assert isinstance(result, Properties)


@given(st.text())
def test_fuzz_text(text: str) -> None:
    _returns_or_parse_error(text)


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary(text: str) -> None:
    _returns_or_parse_error(text)


@given(
    st.lists(
        st.sampled_from(["[ro.a]: [", "]", "[", ": ", "\n", "\r\n", "x", "```", " ", "\x00"]),
        max_size=40,
    ).map("".join)
)
def test_fuzz_getprop_like(text: str) -> None:
    _returns_or_parse_error(text)
