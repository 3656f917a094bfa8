"""Component names read as ``ComponentName.unflattenFromString`` reads them, and the hostile
names every list parser sees through it: each list's real layout (accessibility AOSP <= 11 and
Samsung, device_policy, adb XML and ABX, dumpsys package, packages.json) with one entry renamed
is either read as that component or kept as an unreadable entry with its text and line."""

from __future__ import annotations

import json

import pytest

from handsetguard.parsers import component
from handsetguard.parsers.accessibility import parse_accessibility
from handsetguard.parsers.adb import parse_dumpsys_adb
from handsetguard.parsers.component import (
    MAX_UNREADABLE_TEXT,
    Component,
    Unreadable,
    parse_component,
    printable,
    unreadable,
)
from handsetguard.parsers.device_policy import parse_device_policy
from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.packages_json import parse_packages_json
from tests.conftest import FIXTURES

LONG = "com." + "a" * 120 + ".sync"


def test_exported_members() -> None:
    assert component.__all__ == [
        "Component",
        "MAX_UNREADABLE_TEXT",
        "Unreadable",
        "is_component",
        "is_package_name",
        "parse_component",
        "printable",
        "unreadable",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pkg/.Sync-Service", Component("pkg", ".Sync-Service")),
        ("pkg/.ServiceÄ", Component("pkg", ".ServiceÄ")),
        ("pkg/.Сервис", Component("pkg", ".Сервис")),  # Cyrillic letters
        (f"{LONG}/.W", Component(LONG, ".W")),
        ("a.b/.Admin-Receiver", Component("a.b", ".Admin-Receiver")),
        ("android/com.android.internal.app.Chooser$Inner", Component(
            "android", "com.android.internal.app.Chooser$Inner")),
        ("a.b/c d", Component("a.b", "c d")),  # DEX 040 (Android 11) allows spaces
        ("a.b/x/y", None),  # '/' is in no class name (the package ends at the first)
        ("a.b/.X\u200b", None),  # zero-width space
        ("a.b/.X\u202e", None),  # right-to-left override
        ("a.b/.X\x1b[31m", None),  # escape sequence
        ("a\u200b.b/.X", None),  # package names are ASCII
        ("a.b/", None),
        ("/.X", None),
        ("a.b/.", None),
        ("a.b/x..y", None),
        ("a..b/x", None),
        ("a.b", None),  # a package, not a component
        ("", None),
    ],
)  # fmt: skip
def test_parse_component(text: str, expected: Component | None) -> None:
    assert parse_component(text) == expected


def test_full_class_name_is_relative_to_the_package() -> None:
    assert Component("a.b", ".X").full_class_name == "a.b.X"
    assert Component("a.b", "c.X").full_class_name == "c.X"
    assert Component("a.b", ".X").flatten() == "a.b/.X"


def test_unreadable_text_is_capped_and_printable_escapes() -> None:
    long = unreadable("enabled services", "x" * 1000, 3)
    assert long == Unreadable("enabled services", "x" * MAX_UNREADABLE_TEXT + "…", 3)
    assert printable("a\u200bb\u202ec\x1bd\U000e0001") == "a\\u200bb\\u202ec\\x1bd\\U000e0001"
    assert printable("abcdef", 3) == "abc…"


READABLE = ["pkg.x/.Sync-Service", "pkg.x/.ServiceÄ", f"{LONG}/.Watcher", "pkg.x/.Admin-Receiver"]
UNREADABLE = ["pkg.x/.Sync\u200bService", "pkg.x/.Sync\u202eecivreS", "%%%garbage%%%"]


def _fixture(folder: str, name: str) -> str:
    return (FIXTURES / folder / name).read_text("utf-8")


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


AOSP11 = ("android10_inline_lists.txt", "com.example.remote/com.example.remote.HelperService")
AOSP14 = ("android14_user_state.txt", "com.example.spy/com.example.spy.Watcher")
SAMSUNG = ("samsung_block_lists.txt", "1 : com.example.spy/com.example.spy.Watcher")


@pytest.mark.parametrize("layout", [AOSP11, AOSP14, SAMSUNG], ids=["aosp11", "aosp14", "samsung"])
@pytest.mark.parametrize("name", READABLE + UNREADABLE)
def test_accessibility_enabled_entry(layout: tuple[str, str], name: str) -> None:
    fixture, old = layout
    new = f"1 : {name}" if old.startswith("1 : ") else name
    state = parse_accessibility(_replace(_fixture("accessibility", fixture), old, new))
    enabled = state.users[0].enabled_services
    if name in READABLE:
        assert name in enabled and state.unreadable == ()
    else:
        assert name not in enabled
        assert [(u.where, u.text) for u in state.unreadable] == [("enabled services", name)]


@pytest.mark.parametrize("name", READABLE + UNREADABLE)
def test_device_admin_entry(name: str) -> None:
    text = _fixture("device_policy", "android12_device_owner.txt")
    state = parse_device_policy(_replace(text, "com.example.mdm/.AdminReceiver:", f"{name}:"))
    components = [a.component for a in state.admins]
    assert "com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver" in components
    if name in READABLE:
        assert name in components and state.unreadable == ()
    else:
        assert state.unreadable == (Unreadable("device admins (user 0)", f"{name}:", 17),)


@pytest.mark.parametrize("name", READABLE + UNREADABLE)
def test_device_owner_component(name: str) -> None:
    text = _fixture("device_policy", "android12_device_owner.txt")
    old = "admin=ComponentInfo{com.example.mdm/com.example.mdm.AdminReceiver}"
    state = parse_device_policy(_replace(text, old, f"admin=ComponentInfo{{{name}}}"))
    assert state.device_owner is not None
    if name in READABLE:
        assert state.device_owner.component == name and state.unreadable == ()
    else:
        assert state.device_owner.component is None
        assert state.unreadable == (Unreadable("device owner", f"ComponentInfo{{{name}}}", 8),)


def test_adb_unreadable_key_lines_and_tags() -> None:
    text = _fixture("adb", "android10_xml_keystore.txt")
    text = _replace(text, "    <keyStore version=\"1\">\n", "    <keyStore version=\"1\">\n"
                    "    <adbKey kee=\"\u202ehidden\" lastConnection=\"1\" />\n")  # fmt: skip
    key_line = next(line for line in text.split("\n") if line.endswith(" dev&ops@build-host"))
    text = _replace(text, key_line + "\n", key_line + "\n    \u200b!!not a key\n")
    state = parse_dumpsys_adb(text)
    assert len(state.trusted_keys) == 3
    assert [(u.where, u.text) for u in state.unreadable] == [
        ("user_keys", "\u200b!!not a key"),
        ("keystore", '<adbKey kee="\u202ehidden" lastConnection="1" /'),
    ]


def test_adb_abx_base64_run_that_is_no_adb_key() -> None:
    text = _fixture("adb", "android12_abx_keystore.txt")
    odd = "Zm9v" * 20  # 80 base64 characters that are no RSA-2048 adb key (no "QAAAA")
    state = parse_dumpsys_adb(_replace(text, "\x00\x023\x00\x00\x11", f"\x02\ufffd{odd} x@y"))
    assert len(state.trusted_keys) == 3
    assert [(u.where, u.text) for u in state.unreadable] == [("keystore (ABX)", odd)]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (f"  Package [{LONG}] (1a2b3c):", LONG),
        ("  Package [com.example.ÄÖ] (1a2b3c):", "com.example.ÄÖ"),
        ("  Package [com.example.good\u200b (1a2b3c):", None),
        ("  Package [] (1a2b3c):", None),
    ],
)
def test_dumpsys_package_headers(header: str, name: str | None) -> None:
    text = _replace(_fixture("dumpsys_package", "truncated.txt"),
                    "  Package [com.example.good] (1a2b3c):", header)  # fmt: skip
    dump = parse_dumpsys_package(text)
    if name is not None:
        assert dump.get(name) is not None
        assert [u.text for u in dump.unreadable] == ["Package [com.example.bro"]
    else:
        assert [u.text for u in dump.unreadable] == [header.strip(), "Package [com.example.bro"]
        assert [u.line for u in dump.unreadable] == [1, 11]


def test_packages_json_items_without_a_name_are_kept_as_json_text() -> None:
    items = [{"name": LONG}, {"name": 5}, ["\u202e"], {"name": "com.example.ok"}]
    dump = parse_packages_json(json.dumps(items, indent=1))
    assert [p.name for p in dump] == [LONG, "com.example.ok"]
    assert [(u.text, u.line) for u in dump.unreadable] == [
        ('{\n  "name": 5\n }', 4),
        ('[\n  "\\u202e"\n ]', 7),
    ]


def test_class_characters_are_exactly_dex_simple_name_chars() -> None:
    """The class pattern is written as a complement for speed; it must allow exactly the dex
    SimpleNameChar set (https://source.android.com/docs/core/runtime/dex-format), every
    code point compared."""
    import re

    from handsetguard.parsers import component

    allowed = re.compile(
        "[A-Za-z0-9 $\\-_\u00a0-\u1fff\u2000-\u200a\u2010-\u2027\u202f\u2030-\ud7ff"
        "\ue000-\uffef\U00010000-\U0010ffff]"
    )
    ours = re.compile(f"[^{component._NOT_SIMPLE_NAME}]")
    wrong = [
        hex(cp)
        for cp in range(0x110000)
        if (allowed.fullmatch(chr(cp)) is None) != (ours.fullmatch(chr(cp)) is None)
    ]
    assert wrong == []


def test_ascii_class_pattern_is_the_class_pattern_on_ascii() -> None:
    """parse_component reads an ASCII class name with a pattern that is cheaper to compile:
    the same verdict as the full pattern on every ASCII character, alone and in names."""
    import itertools

    from handsetguard.parsers import component

    full, ascii_only = component._CLASS, component._ASCII_CLASS
    texts = [chr(c) for c in range(128)]
    texts += ["." + ch for ch in texts] + [f"a{ch}b" for ch in texts] + [f"A.{ch}" for ch in texts]
    texts += ["".join(p) for p in itertools.product(".a $-_/:", repeat=3)]
    wrong = [t for t in texts if (full.fullmatch(t) is None) != (ascii_only.fullmatch(t) is None)]
    assert wrong == []
    assert component.parse_component("com.x/.Sync-Service") is not None
    assert component.parse_component("com.x/.Serviceä") is not None  # the full pattern
    assert component.parse_component("com.x/.Bad:Name") is None
