"""dumpsys package and AndroidQF packages.json parsers: hand-written edge cases, real devices
(Android 10 Pixel, Android 12 Humane Ai Pin, Android 14 TV emulator, Samsung excerpt), fuzzing."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import dumpsys_package, packages, packages_json
from handsetguard.parsers.component import Unreadable
from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.packages import (
    EnabledState,
    Package,
    PackageDump,
    PackageFile,
    PackageUser,
)
from handsetguard.parsers.packages_json import parse_packages_json
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path

DEFAULT, ENABLED, DISABLED = EnabledState.DEFAULT, EnabledState.ENABLED, EnabledState.DISABLED


def _fixture(name: str) -> str:
    return (FIXTURES / "dumpsys_package" / name).read_bytes().decode("utf-8")


@cache
def _bugreport_package_section(relative: str) -> str:
    from handsetguard.sources import open_source

    section = open_source(corpus_path(relative)).get("dumpsys:package")
    assert section is not None, f"{relative}: no dumpsys:package section"
    return section.text


@cache
def _bugreport_packages(relative: str) -> PackageDump:
    return parse_dumpsys_package(_bugreport_package_section(relative))


def _user(
    user_id: int,
    line: int,
    *,
    installed: bool | None = True,
    hidden: bool | None = False,
    suspended: bool | None = False,
    stopped: bool | None = False,
    not_launched: bool | None = False,
    enabled: EnabledState | None = DEFAULT,
    first_install_time: datetime | None = None,
    runtime_permissions: dict[str, bool] | None = None,
) -> PackageUser:
    """A PackageUser with the values most dumps print (installed, not hidden, default state)."""
    return PackageUser(
        user_id,
        line,
        installed,
        hidden,
        suspended,
        stopped,
        not_launched,
        enabled,
        first_install_time,
        runtime_permissions or {},
    )


def test_exported_names() -> None:
    assert dumpsys_package.__all__ == ["parse_dumpsys_package", "parse_package_lines"]
    assert packages_json.__all__ == ["parse_packages_json"]
    assert packages.__all__ == [
        "EnabledState",
        "Package",
        "PackageDump",
        "PackageFile",
        "PackageUser",
    ]


# ---------------------------------------------------------------------- hand-written fixtures

EDGE_CASES: dict[str, tuple[list[Package], int]] = {
    "android10_two_users.txt": (
        [
            Package(
                name="com.example.notes",
                line=9,
                uid=10105,
                shared_user="com.example.shared",
                version_code=11661011,
                version_name="1.166.1.1 (beta) [x]",
                min_sdk=16,
                target_sdk=28,
                installer="com.android.vending",
                code_path="/data/app/com.example.notes-7GZdezAxK6M6uf7EkIUL1w==",
                flags=frozenset({"HAS_CODE", "ALLOW_CLEAR_USER_DATA"}),
                private_flags=frozenset({"HAS_DOMAIN_URLS"}),
                first_install_time=datetime(2019, 12, 11, 11, 57, 10),
                last_update_time=datetime(2019, 12, 12, 8, 0, 0),
                requested_permissions=(
                    "android.permission.INTERNET",
                    "android.permission.READ_SMS",
                    "android.permission.CAMERA",
                ),
                install_permissions={
                    "android.permission.INTERNET": True,
                    "com.example.notes.permission.C2D_MESSAGE": False,
                },
                users=(
                    _user(
                        0,
                        34,
                        runtime_permissions={
                            "android.permission.READ_SMS": False,
                            "android.permission.CAMERA": True,
                        },
                    ),
                    _user(
                        11,
                        39,
                        installed=False,
                        hidden=True,
                        suspended=True,
                        stopped=True,
                        not_launched=True,
                        enabled=EnabledState.DISABLED_USER,
                        runtime_permissions={"android.permission.CAMERA": False},
                    ),
                ),
                signatures=("33409d03", "0a1b2c3d"),
            )
        ],
        0,
    ),
    "android14_hidden_system.txt": (
        [
            Package(
                name="com.android.vending",
                line=1,
                uid=10084,
                version_code=84880718,
                version_name="48.8.07-31 [8] [PR] 829632728",
                min_sdk=31,
                target_sdk=35,
                installer="com.android.vending",
                initiating_package="com.android.vending",
                code_path=(
                    "/data/app/~~2XKiMmw6ZuBkneTdkqp0Xw==/"
                    "com.android.vending-_b8rrKzKA0XYuhu_wQpsjg=="
                ),
                flags=frozenset(
                    {"SYSTEM", "HAS_CODE", "ALLOW_CLEAR_USER_DATA", "ALLOW_BACKUP"}
                    | {"RESTORE_ANY_VERSION"}
                ),
                private_flags=frozenset({"PRIVILEGED", "PRODUCT"}),
                # Android 13+ prints firstInstallTime per user: the package's is the earliest.
                first_install_time=datetime(2024, 5, 10, 14, 10, 36),
                last_update_time=datetime(2025, 11, 22, 19, 31, 5),
                install_permissions={"android.permission.INSTALL_PACKAGES": True},
                users=(
                    _user(
                        0,
                        22,
                        enabled=ENABLED,
                        first_install_time=datetime(2024, 5, 10, 14, 10, 36),
                        runtime_permissions={"android.permission.POST_NOTIFICATIONS": True},
                    ),
                    _user(
                        10,
                        30,
                        stopped=True,
                        not_launched=True,
                        first_install_time=datetime(2025, 1, 2, 3, 4, 5),
                    ),
                ),
                signatures=("ef3d224c",),
                updated_system_app=True,
            ),
            Package(
                name="org.example.sideloaded",
                line=34,
                uid=10190,
                version_code=7,
                min_sdk=26,
                target_sdk=34,
                initiating_package="com.android.shell",
                code_path="/data/app/~~abc==/org.example.sideloaded-def==",
                flags=frozenset({"HAS_CODE", "DEBUGGABLE"}),
                first_install_time=datetime(2025, 11, 20, 10, 0, 0),
                last_update_time=datetime(2025, 11, 20, 10, 0, 0),
                users=(
                    _user(0, 46, enabled=DISABLED, first_install_time=datetime(2025, 11, 20, 10)),
                ),
                signatures=("5a244a2",),
            ),
            # Only in "Hidden system packages:": kept, so that no package goes unseen.
            Package(
                name="com.example.factory.only",
                line=57,
                uid=10085,
                version_code=1,
                min_sdk=23,
                target_sdk=34,
                code_path="/system/app/FactoryOnly",
                flags=frozenset({"SYSTEM", "HAS_CODE"}),
                updated_system_app=True,
            ),
        ],
        0,
    ),
    "android5_legacy.txt": (
        [
            Package(
                name="com.android.legacy",
                line=1,
                uid=10023,
                version_code=22,
                version_name="5.1.1-1819727",
                target_sdk=22,
                code_path="/system/app/Legacy.apk",
                flags=frozenset({"SYSTEM", "HAS_CODE", "ALLOW_CLEAR_USER_DATA", "ALLOW_BACKUP"}),
                first_install_time=datetime(2015, 4, 1, 8, 0, 0),
                last_update_time=datetime(2015, 4, 1, 8, 0, 0),
                install_permissions={
                    "android.permission.INTERNET": True,
                    "android.permission.READ_CONTACTS": True,
                },
                users=(_user(0, 14, suspended=None),),
                signatures=("a21a2de9",),
            )
        ],
        0,
    ),
    "truncated.txt": (
        [
            Package(
                name="com.example.good",
                line=1,
                uid=10001,
                version_code=3,
                min_sdk=21,
                target_sdk=30,
                install_permissions={"android.permission.INTERNET": True},
                users=(
                    _user(
                        0,
                        9,
                        installed=None,
                        suspended=None,
                        stopped=None,
                        not_launched=None,
                        enabled=None,
                    ),
                ),
            ),
            Package(name="com.example.cut", line=12, uid=10002),
        ],
        # bad grant line, "User zero", versionCode=abc, flags=SYSTEM, cut grant (the garbled
        # header is an unreadable entry: test_garbled_header_is_an_unreadable_entry)
        5,
    ),
    "bare_entries.txt": (
        [
            Package("com.example.one", 0, uid=10001, version_code=1, min_sdk=21, target_sdk=30),
            Package("com.example.two", 3, uid=10002, version_code=2, min_sdk=21, target_sdk=30),
        ],
        0,
    ),
    "crlf.txt": (
        [
            Package(
                "com.example.crlf",
                1,
                uid=10003,
                version_name="2.0",
                flags=frozenset({"HAS_CODE"}),
                users=(_user(0, 5, suspended=None),),
            )
        ],
        0,
    ),
    # Pixel 1 Android 8.1 layout: "overlay paths:" at the depth of "User 0:", the user's
    # runtime permissions after it.
    "android8_overlay_paths.txt": (
        [
            Package(
                "com.example.call",
                1,
                uid=10143,
                version_code=134280102,
                min_sdk=23,
                target_sdk=25,
                flags=frozenset({"HAS_CODE", "ALLOW_CLEAR_USER_DATA"}),
                install_permissions={"android.permission.INTERNET": True},
                users=(
                    _user(
                        0,
                        7,
                        runtime_permissions={
                            "android.permission.CAMERA": True,
                            "android.permission.RECORD_AUDIO": False,
                        },
                    ),
                ),
            ),
            Package(
                "com.example.shim",
                17,
                uid=10009,
                version_code=27,
                min_sdk=24,
                target_sdk=24,
                flags=frozenset({"SYSTEM", "ALLOW_CLEAR_USER_DATA"}),
                users=(_user(0, 21),),
            ),
        ],
        0,
    ),
    "markdown_fenced.txt": (
        [Package("com.example.fenced", 8, uid=10004, version_code=4, min_sdk=32, target_sdk=32)],
        0,
    ),
}


GARBLED_HEADER, GARBLED_LINE = "Package [com.example.bro", 11


def test_garbled_header_is_an_unreadable_entry() -> None:
    result = parse_dumpsys_package(_fixture("truncated.txt"))
    assert result.unreadable == (Unreadable("packages", GARBLED_HEADER, GARBLED_LINE),)


def test_every_fixture_has_a_case() -> None:
    names = sorted(p.name for p in (FIXTURES / "dumpsys_package").iterdir())
    assert names == sorted([*EDGE_CASES, "packages_small.json"])


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_fixture(name: str) -> None:
    expected, skipped = EDGE_CASES[name]
    result = parse_dumpsys_package(_fixture(name))
    assert list(result) == expected
    assert result.skipped == skipped


def test_granted_permissions_and_helpers() -> None:
    notes = parse_dumpsys_package(_fixture("android10_two_users.txt")).get("com.example.notes")
    assert notes is not None
    assert notes.granted_permissions() == frozenset(
        {"android.permission.INTERNET", "android.permission.CAMERA"}
    )
    assert notes.granted_permissions(user=11) == frozenset({"android.permission.INTERNET"})
    assert notes.granted_permissions(user=99) == frozenset({"android.permission.INTERNET"})
    assert not notes.is_system
    user = notes.user(11)
    assert user is not None and user.enabled is EnabledState.DISABLED_USER
    assert notes.user(5) is None


def test_not_dumpsys_package_raises() -> None:
    with pytest.raises(ParseError, match=r"^dumpsys package: no 'Packages:' block"):
        parse_dumpsys_package("Can't find service: package\n")


def test_empty_packages_block_and_blank_text() -> None:
    assert parse_dumpsys_package("Packages:\n\nShared users:\n") == PackageDump((), 0)
    assert parse_dumpsys_package("\n") == PackageDump((), 0)


# ------------------------------------------------------------------------------- real devices


def test_pixel1_android10_bugreport() -> None:
    """Google Pixel (sailfish), AOSP Android 10 userdebug: 134 packages, users 0 and 11,
    three sideloaded apps (no installer printed), no requested-permission lists."""
    text = _bugreport_package_section(PIXEL1_BUGREPORT)
    dump = _bugreport_packages(PIXEL1_BUGREPORT)
    assert (len(dump), dump.skipped) == (134, 0)
    assert [p.name for p in dump if not p.is_system] == [
        "com.accuweather.android",
        "com.king.candycrushsaga",
        "com.ngame.allstar.eu",
    ]
    assert not any(p.updated_system_app for p in dump)
    assert all(p.requested_permissions == () for p in dump)
    assert all(tuple(u.user_id for u in p.users) == (0, 11) for p in dump)
    assert len(set(dump.packages)) == 134  # records are hashable despite their mappings
    candy = dump.get("com.king.candycrushsaga")
    assert candy is not None
    lines = text.split("\n")
    assert lines[candy.line] == "  Package [com.king.candycrushsaga] (d4aa344):"
    assert lines[candy.users[1].line].startswith("    User 11: ceDataInode=672291 ")
    assert candy == Package(
        name="com.king.candycrushsaga",
        line=candy.line,
        uid=10105,
        version_code=11661011,
        version_name="1.166.1.1",
        min_sdk=16,
        target_sdk=28,
        code_path="/data/app/com.king.candycrushsaga-7GZdezAxK6M6uf7EkIUL1w==",
        flags=frozenset({"HAS_CODE", "ALLOW_CLEAR_USER_DATA"}),
        private_flags=frozenset(
            {
                "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_UNRESIZEABLE",
                "PRIVATE_FLAG_REQUEST_LEGACY_EXTERNAL_STORAGE",
                "HAS_DOMAIN_URLS",
            }
        ),
        first_install_time=datetime(2019, 12, 11, 11, 57, 10),
        last_update_time=datetime(2019, 12, 11, 11, 57, 10),
        install_permissions={
            "com.king.cross.kingapp.provider.ACCESS": True,
            "android.permission.INTERNET": True,
            "android.permission.ACCESS_NETWORK_STATE": True,
            "com.king.candycrushsaga.permission.C2D_MESSAGE": True,
            "android.permission.ACCESS_WIFI_STATE": True,
            "android.permission.WAKE_LOCK": True,
        },
        users=(_user(0, candy.users[0].line), _user(11, candy.users[1].line)),
        signatures=("33409d03",),
    )
    telephony = dump.get("com.android.providers.telephony")
    assert telephony is not None
    assert (telephony.uid, telephony.shared_user) == (1001, "android.uid.phone")
    disabled = [(p.name, u.user_id) for p in dump for u in p.users if u.enabled is not DEFAULT]
    assert len(disabled) == 1


def test_atv_emulator_android14_bugreport() -> None:
    """Android TV emulator (sdk_google_atv64_arm64), Android 14: appId=, installer fields,
    per-user firstInstallTime, three updated system apps listed again as hidden packages."""
    text = _bugreport_package_section(ATV_BUGREPORT)
    dump = _bugreport_packages(ATV_BUGREPORT)
    assert (len(dump), dump.skipped) == (141, 0)
    assert all(p.is_system for p in dump)
    assert [p.name for p in dump if p.updated_system_app] == [
        "com.android.vending",
        "com.google.android.webview",
        "com.google.android.trichromelibrary_567263634",
    ]
    vending = dump.get("com.android.vending")
    assert vending is not None
    assert text.split("\n")[vending.line] == "  Package [com.android.vending] (f2c9d2d):"
    # The main entry's data, not the hidden factory version's (codePath /product/priv-app/Tubesky).
    assert (vending.version_code, vending.version_name, vending.target_sdk) == (
        84880718,
        "48.8.07-31 [8] [PR] 829632728",
        35,
    )
    assert vending.code_path is not None and vending.code_path.startswith("/data/app/~~")
    assert (vending.installer, vending.initiating_package) == (
        "com.android.vending",
        "com.android.vending",
    )
    assert vending.first_install_time == datetime(2024, 5, 10, 14, 10, 36)
    assert vending.last_update_time == datetime(2025, 11, 22, 19, 31, 5)
    assert len(vending.install_permissions) == 85
    assert vending.install_permissions["android.permission.GET_APP_METADATA"] is False
    assert vending.users == (
        _user(
            0,
            vending.users[0].line,
            enabled=ENABLED,
            first_install_time=datetime(2024, 5, 10, 14, 10, 36),
            runtime_permissions={
                "android.permission.POST_NOTIFICATIONS": True,
                "android.permission.READ_EXTERNAL_STORAGE": True,
                "android.permission.RECORD_AUDIO": False,
                "android.permission.WRITE_EXTERNAL_STORAGE": True,
            },
        ),
    )
    assert "android.permission.RECORD_AUDIO" not in vending.granted_permissions()
    assert "android.permission.POST_NOTIFICATIONS" in vending.granted_permissions()
    overlay = dump.get("com.google.android.systemui.atvoverlay")
    assert overlay is not None and len(overlay.users) == 1
    assert overlay == Package(
        name="com.google.android.systemui.atvoverlay",
        line=overlay.line,
        uid=10002,
        version_code=1,
        version_name="1.0",
        min_sdk=34,
        target_sdk=34,
        code_path="/product/overlay/TvSystemUiConfigOverlay.apk",
        flags=frozenset({"SYSTEM", "ALLOW_CLEAR_USER_DATA", "ALLOW_BACKUP"}),
        private_flags=frozenset(
            {
                "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION",
                "ALLOW_AUDIO_PLAYBACK_CAPTURE",
                "PRODUCT",
                "PRIVATE_FLAG_ALLOW_NATIVE_HEAP_POINTER_TAGGING",
            }
        ),
        first_install_time=datetime(2024, 5, 10, 14, 10, 15),
        last_update_time=datetime(2024, 5, 10, 14, 10, 15),
        users=(
            _user(
                0,
                overlay.users[0].line,
                first_install_time=datetime(2024, 5, 10, 14, 10, 15),
            ),
        ),
        signatures=("fd97fa4f",),
    )


def test_humane_ai_pin_android12_markdown_dump() -> None:
    """Humane Ai Pin, Android 12: full dump in a markdown fence, 172 packages, one sideloaded
    debuggable test-only app."""
    text = corpus_path("device/humane-aipin-android12-dumps/packages.md").read_text("utf-8")
    dump = parse_dumpsys_package(text)
    assert (len(dump), dump.skipped) == (172, 0)
    assert [p.name for p in dump if not p.is_system] == ["im.agg.imagedemo"]
    demo = dump.get("im.agg.imagedemo")
    assert demo == Package(
        name="im.agg.imagedemo",
        line=14402,
        uid=10119,
        version_code=1,
        version_name="1.0",
        min_sdk=32,
        target_sdk=35,
        code_path="/data/app/~~hZdZ6PIqOZI7Zh29R_O_ew==/im.agg.imagedemo-Ac2rXxor74x87wjXGAUjiQ==",
        flags=frozenset(
            {"DEBUGGABLE", "HAS_CODE", "ALLOW_CLEAR_USER_DATA", "TEST_ONLY", "ALLOW_BACKUP"}
        ),
        private_flags=frozenset(
            {
                "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION",
                "ALLOW_AUDIO_PLAYBACK_CAPTURE",
                "PRIVATE_FLAG_ALLOW_NATIVE_HEAP_POINTER_TAGGING",
            }
        ),
        first_install_time=datetime(2025, 3, 7, 15, 31, 12),
        last_update_time=datetime(2025, 3, 7, 15, 53, 16),
        install_permissions={"im.agg.imagedemo.DYNAMIC_RECEIVER_NOT_EXPORTED_PERMISSION": True},
        users=(_user(0, 14435, stopped=True),),
        signatures=("5a244a2",),
    )
    assert text.split("\n")[14402] == "  Package [im.agg.imagedemo] (2e98368):"
    assert sum(bool(p.install_permissions) for p in dump) == 76


def test_samsung_excerpt_mvt() -> None:
    """Samsung excerpt from MVT's test data (Android 10 era, targetSdk 28–29): two packages,
    one with requested permissions and a runtime-permission block."""
    text = corpus_path("device/mvt-tests/android_data/dumpsys_packages.txt").read_text("utf-8")
    dump = parse_dumpsys_package(text)
    assert (len(dump), dump.skipped) == (2, 0)
    provider = dump.get("com.samsung.android.provider.filterprovider")
    assert provider == Package(
        name="com.samsung.android.provider.filterprovider",
        line=39,
        uid=1000,
        shared_user="android.uid.system",
        version_code=500700000,
        version_name="5.0.07",
        min_sdk=28,
        target_sdk=28,
        code_path="/system/app/FilterProvider",
        flags=frozenset({"SYSTEM", "HAS_CODE", "ALLOW_CLEAR_USER_DATA"}),
        private_flags=frozenset(
            {
                "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION",
                "PRIVATE_FLAG_REQUEST_LEGACY_EXTERNAL_STORAGE",
            }
        ),
        first_install_time=datetime(2008, 12, 31, 16, 0),
        last_update_time=datetime(2008, 12, 31, 16, 0),
        users=(_user(0, 74),),
        signatures=("b378e95c",),
    )
    datacreate = dump.get("com.sec.android.app.DataCreate")
    assert datacreate is not None
    assert datacreate.requested_permissions == (
        "android.permission.ACCESS_WIFI_STATE",
        "android.permission.INTERNET",
        "android.permission.ACCESS_NETWORK_STATE",
        "android.permission.WAKE_LOCK",
        "android.permission.GET_ACCOUNTS",
        "android.permission.USE_CREDENTIALS",
        "android.permission.RECEIVE_BOOT_COMPLETED",
        "android.permission.VIBRATE",
        "android.permission.FOREGROUND_SERVICE",
        "android.permission.USE_FULL_SCREEN_INTENT",
        "com.google.android.c2dm.permission.RECEIVE",
    )
    assert len(datacreate.install_permissions) == 20
    assert all(datacreate.install_permissions.values())
    user = datacreate.user(0)
    assert user is not None
    assert len(user.runtime_permissions) == 13
    assert not any(user.runtime_permissions.values())
    assert "android.permission.WRITE_SECURE_SETTINGS" in datacreate.granted_permissions()


# ----------------------------------------------------------------------------- packages.json


def test_packages_json_fixture() -> None:
    result = parse_packages_json(_fixture("packages_small.json"))
    assert list(result) == [
        Package(
            name="org.example.app",
            line=1,
            uid=10271,
            users=(PackageUser(0, 1, installed=True, enabled=DISABLED),),
            files=(
                PackageFile(
                    path="/data/app/~~x==/org.example.app-y==/base.apk",
                    sha1="aa",
                    sha256="bb",
                    sha512="cc",
                    certificate_sha256="dd",
                ),
            ),
        ),
        Package(
            name="com.example.system",
            line=16,
            installer="com.android.vending",
            flags=frozenset({"SYSTEM"}),
        ),
    ]
    assert result.skipped == 0
    assert result.unreadable == (
        Unreadable("packages.json", '"not an object"', 14),
        Unreadable("packages.json", '{"uid": 5}', 15),
    )


def test_mvt_androidqf_packages_json() -> None:
    """MVT's AndroidQF sample packages.json (Android 11+ paths): 7 packages with APK hashes."""
    text = corpus_path("device/mvt-tests/androidqf/packages.json").read_text("utf-8")
    result = parse_packages_json(text)
    assert (len(result), result.skipped) == (7, 0)
    assert [(p.name, p.installer, p.is_system) for p in result] == [
        ("com.whatsapp", None, False),
        ("app.revanced.manager.flutter", "com.google.android.packageinstaller", False),
        ("com.google.android.youtube", "com.google.android.packageinstaller", True),
        ("org.fdroid.fdroid", "com.google.android.packageinstaller", False),
        ("org.nuclearfog.apollo", "org.fdroid.fdroid", False),
        ("com.malware.blah", None, True),
        ("com.malware.muahaha", None, True),
    ]
    whatsapp = result.get("com.whatsapp")
    assert whatsapp == Package(
        name="com.whatsapp",
        line=1,
        uid=10271,
        users=(PackageUser(0, 1, installed=True),),
        files=(
            PackageFile(
                path="/data/app/~~/com.whatsapp-~~/base.apk",
                md5="5870bd06e642de410c54705226ecfa9a",
                sha1="6cb06e9ab5619345f930c2b2096b4dd013a10ec9",
                sha256="744ed47f8176ec423840344c33e88bd2c96e8988cda0797f3415bb5229efc12b",
                sha512=(
                    "f222f742b0bd302c82e202bc78f7ff8b2de4acfc8d606994245ffa80998b003e"
                    "215cad82cae023abe4f65c0da0a56fa9890e9bb3a753af6dac848a753ac07aee"
                ),
                certificate_sha256=(
                    "3987d043d10aefaf5a8710b3671418fe57e0e19b653c9df82558feb5ffce5d44"
                ),
                certificate_sha1="38a0f7d505fe18fec64fbf343ecaaaf310dbd799",
                certificate_md5="556c6019249bbc0cab70495178d3a9d1",
                certificate_subject=(
                    "C=US, ST=California, L=Santa Clara, O=WhatsApp Inc., OU=Engineering, "
                    "CN=Brian Acton"
                ),
            ),
        ),
    )
    assert text.split("\n")[whatsapp.line].strip() == "{"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "packages.json: empty document"),
        ('{"name": "x"}', "packages.json: top level is not a list"),
        ("[1,]", "packages.json: invalid JSON at line 1 column 4: Expecting value"),
        ("[{}] trailing", "packages.json: data after the list at offset 5"),
        ("[{} {}]", "packages.json: expected ',' or ']' at offset 4"),
        ("[" * 100_000, "packages.json: JSON nested deeper than 64 levels; refusing to parse it"),
        ("[" + "9" * 5000 + "]", "packages.json: unreadable JSON value at offset 1"),
    ],
)
def test_packages_json_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_packages_json(text)
    assert caught.value.message == message


# ---------------------------------------------------------------------------------- fuzzing


def _returns_or_parse_error(text: str) -> None:
    for parse in (parse_dumpsys_package, parse_packages_json):
        try:
            result = parse(text)
        except ParseError:
            continue
        assert isinstance(result, PackageDump)


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
                "Packages:\n",
                "Hidden system packages:\n",
                "  Package [a.b] (1f):\n",
                "  Package [",
                "    userId=",
                "    versionCode=1 targetSdk=",
                "    flags=[ SYSTEM ",
                "    firstInstallTime=2019-02-30 10:00:00\n",
                "    signatures=PackageSignatures{1 [",
                "    install permissions:\n",
                "      p: granted=true\n",
                "    User 0: installed=true enabled=2\n",
                "      runtime permissions:\n",
                "        q: granted=",
                "9" * 30,
                "²",
                "\n",
                "\r\n",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_fuzz_dumpsys_like(text: str) -> None:
    _returns_or_parse_error(text)


_JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=5),
        st.sampled_from(["null", "name", "/data/app/x/base.apk"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.sampled_from(["name", "uid", "installer", "system", "disabled", "files", "path"]),
            children,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@given(st.lists(_JSON_VALUES, max_size=5))
def test_fuzz_packages_json_structures(items: list[object]) -> None:
    _returns_or_parse_error(json.dumps(items, indent=2))


def test_pixel1_android8_1_runtime_permissions_after_overlay_paths() -> None:
    """Pixel 1 retail, Android 8.1: ``overlay paths:`` sits at the depth of ``User 0:`` and the
    user's runtime permissions follow it; they belong to user 0."""
    from tests.parsers.legacy_bugreports import PIXEL1_ANDROID8, section

    dump = parse_dumpsys_package(section(PIXEL1_ANDROID8, "dumpsys:package").text)
    skype = dump.get("com.skype.raider")
    assert skype is not None
    assert [u.user_id for u in skype.users] == [0]
    assert dict(skype.users[0].runtime_permissions) == {
        "android.permission.ACCESS_FINE_LOCATION": True,
        "android.permission.ACCESS_COARSE_LOCATION": True,
        "android.permission.WRITE_CONTACTS": True,
        "android.permission.CAMERA": True,
        "android.permission.GET_ACCOUNTS": True,
        "android.permission.RECORD_AUDIO": True,
        "android.permission.READ_CONTACTS": True,
    }
    assert "android.permission.CAMERA" in skype.granted_permissions(0)
    with_grants = [p for p in dump if any(any(u.runtime_permissions.values()) for u in p.users)]
    assert len(with_grants) == 57
    assert dump.skipped == 0
