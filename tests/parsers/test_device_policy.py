"""Tests for the ``dumpsys device_policy`` parser. The corpus devices have no admin or owner, so
the owner/admin fixtures are synthetic, written after AOSP's DevicePolicyManagerService and
OwnersData dump format (see tests/fixtures/device_policy/README.md); the real Pixel 1 (Android 10)
and Android 14 TV dumps pin the empty case, password quality and encryption status."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import device_policy
from handsetguard.parsers.component import Unreadable
from handsetguard.parsers.device_policy import (
    DeviceAdmin,
    DevicePolicyState,
    OwnerInfo,
    parse_device_policy,
)
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path


def fixture_text(name: str) -> str:
    return (FIXTURES / "device_policy" / name).read_bytes().decode("utf-8")


def test_exported_members() -> None:
    assert device_policy.__all__ == [
        "DeviceAdmin",
        "DevicePolicyState",
        "OwnerInfo",
        "parse_device_policy",
    ]


WORK_PROFILE = DevicePolicyState(
    admins=(
        DeviceAdmin("com.example.work/.ProfileAdmin", "com.example.work", 10, 1010123, True,
                    ("limit-password",), 12),
    ),
    profile_owners=(
        OwnerInfo("com.example.work/com.example.work.ProfileAdmin", "com.example.work", "Work", 10,
                  False, 1),
    ),
    password_quality={0: 0, 10: 65536},
    encryption_status="per-user",
)  # fmt: skip
CASES: list[tuple[str, DevicePolicyState]] = [
    (
        "android12_device_owner.txt",
        DevicePolicyState(
            admins=(
                DeviceAdmin("com.example.mdm/.AdminReceiver", "com.example.mdm", 0, 10170, False,
                            ("wipe-data", "limit-password", "reset-password"), 17),
                DeviceAdmin("com.google.android.gms/.mdm.receivers.MdmDeviceAdminReceiver",
                            "com.google.android.gms", 0, 10082, False, ("force-lock", "wipe-data"),
                            29),
            ),
            device_owner=OwnerInfo("com.example.mdm/com.example.mdm.AdminReceiver",
                                   "com.example.mdm", "Example MDM", 0, True, 7),
            password_quality={0: 131072},
            encryption_status="per-user",
        ),
    ),
    ("android10_work_profile.txt", WORK_PROFILE),
    ("crlf_line_endings.txt", WORK_PROFILE),
    (
        "componentinfo_admin.txt",
        DevicePolicyState(
            admins=(
                DeviceAdmin("com.legacy.admin/com.legacy.admin.Receiver", "com.legacy.admin", 0,
                            10001, None, ("watch-login",), 2),
            ),
            encryption_status="active",
        ),
    ),
    (
        "truncated_admin_block.txt",
        DevicePolicyState(
            admins=(
                DeviceAdmin("com.example.lock/.LockAdmin", "com.example.lock", 0, 10200, False,
                            ("force-lock",), 2),
                # Under a header whose user id is unreadable (kept as unreadable).
                DeviceAdmin("com.example.other/.Admin", "com.example.other", None, 10201, None, (),
                            8),
            ),
            # The owner block is cut inside its admin= value: present, but unreadable.
            device_owner=OwnerInfo(None, None, None, None, None, 12),
            unreadable=(
                Unreadable("device admins header",
                           "Enabled Device Admins (User zero, provisioningState: 0):", 7),
                Unreadable("device admins (user unknown)", "com.example.bad/.Admin$:x:", 10),
                Unreadable("device owner", "ComponentInfo{com.example.cut/com.example.c", 13),
            ),
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_device_policy_fixture(name: str, expected: DevicePolicyState) -> None:
    assert parse_device_policy(fixture_text(name)) == expected


def test_admin_packages() -> None:
    state = parse_device_policy(fixture_text("android12_device_owner.txt"))
    assert state.admin_packages() == frozenset({"com.example.mdm", "com.google.android.gms"})


@pytest.mark.parametrize("text", ["", "\n \n"])
def test_blank_text_is_empty(text: str) -> None:
    assert parse_device_policy(text) == DevicePolicyState()


@pytest.mark.parametrize(
    "text", ["Can't find service: device_policy\n", "ADB MANAGER STATE (dumpsys adb):\n{\n"]
)
def test_not_device_policy_raises(text: str) -> None:
    with pytest.raises(ParseError, match=r"^dumpsys device_policy: "):
        parse_device_policy(text)


@given(st.text())
def test_fuzz_text_only_parse_error(text: str) -> None:
    try:
        parse_device_policy(text)
    except ParseError:
        pass


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary_only_parse_error(text: str) -> None:
    try:
        parse_device_policy(text)
    except ParseError:
        pass


# --- real devices ----------------------------------------------------------------------------


def section(relative: str) -> str:
    found = open_source(corpus_path(relative)).get("dumpsys:device_policy")
    assert found is not None
    return found.text


def test_device_policy_pixel1_android10_two_users_no_admins() -> None:
    assert parse_device_policy(section(PIXEL1_BUGREPORT)) == DevicePolicyState(
        password_quality={0: 0, 11: 0}, encryption_status="per-user"
    )


def test_device_policy_atv_android14_no_admins() -> None:
    # "Device Owner Type: -1" in the device state cache is not a device owner block.
    assert parse_device_policy(section(ATV_BUGREPORT)) == DevicePolicyState(
        password_quality={0: 0}, encryption_status="per-user"
    )
