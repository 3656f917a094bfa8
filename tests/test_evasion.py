"""Hostile names through the whole pipeline: the bundled Android 14 example bugreport with one
list entry renamed, written to disk and checked by ``run_check``. Each name is either read as a
component (and then judged third-party as usual: fail) or reported as unreadable (warn, the
text escaped in the evidence); no list passes with the entry unseen."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from handsetguard.checks.model import CheckResult, Status
from handsetguard.engine import run_check
from handsetguard.parsers.component import printable

EXAMPLE = resources.files("handsetguard.examples").joinpath("example-bugreport.txt").read_text()
TRACKER = "com.tracker.familylocator"
LONG_PACKAGE = "com." + "a" * 120 + ".sync"

READABLE = [
    f"{TRACKER}/.Sync-Service",
    f"{TRACKER}/.ServiceÄ",
    f"{LONG_PACKAGE}/.Watcher",
    f"{TRACKER}/.Admin-Receiver",
    f"{TRACKER}/{TRACKER}.Outer$Inner",
]
UNREADABLE = [
    f"{TRACKER}/.Sync\u200bService",  # zero-width space: in no dex class name
    f"{TRACKER}/.Sync\u202eecivreS",  # right-to-left override
    "com.android.systemui\u200b/.Spy",  # not a package name: looks like SystemUI
    "%%%-garbage-%%%",
]


def edit(old: str, new: str, text: str = EXAMPLE) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def results(tmp_path: Path, text: str, profile: str = "consumer") -> dict[str, CheckResult]:
    path = tmp_path / "dump.txt"
    path.write_text(text, encoding="utf-8")
    return {r.id: r for r in run_check(path, profile).checks}


def assert_unreadable(result: CheckResult, name: str) -> None:
    assert result.status is Status.WARN, result.detail
    assert "1 entry in " in result.detail and "could not be read" in result.detail
    assert any(printable(name) in e.fact for e in result.evidence), result.evidence
    assert printable(name) == name or name not in result.detail  # escaped, never raw


ENABLED = f"Enabled services:{{{{{TRACKER}/{TRACKER}.SyncAccessibilityService}}}}"


@pytest.mark.parametrize("name", READABLE)
def test_accessibility_readable_hostile_name_fails(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, edit(ENABLED, f"Enabled services:{{{{{name}}}}}"))[
        "accessibility_services"
    ]
    assert result.status is Status.FAIL
    assert [e.fact for e in result.evidence] == [f"enabled: {name}"]


@pytest.mark.parametrize("name", UNREADABLE)
def test_accessibility_unreadable_name_warns(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, edit(ENABLED, f"Enabled services:{{{{{name}}}}}"))[
        "accessibility_services"
    ]
    assert_unreadable(result, name)
    assert result.evidence[0].location is not None  # the line of the enabled list
    line = result.evidence[0].location.line
    assert line is not None and "Enabled services:" in EXAMPLE.split("\n")[line - 1]


def test_accessibility_android11_layout_and_long_entry(tmp_path: Path) -> None:
    """Attributes on the ``User state[`` line (AOSP <= 11) and an entry longer than any cap
    the old parser had (700 characters): still read, still a failure."""
    name = f"{TRACKER}/.{'S' * 800}"
    text = edit("User state[\n     attributes:{id=0,", "User state[attributes:{id=0,")
    result = results(tmp_path, edit(ENABLED, f"Enabled services:{{{{{name}}}}}", text))[
        "accessibility_services"
    ]
    assert result.status is Status.FAIL
    assert result.evidence[0].fact == f"enabled: {name}"


SETTING = (
    f"value:{TRACKER}/{TRACKER}.SyncAccessibilityService "
    f"default:{TRACKER}/{TRACKER}.SyncAccessibilityService"
)


def _setting_only(value: str) -> str:
    """The example without dumpsys accessibility, the secure setting holding ``value``."""
    text = edit("DUMP OF SERVICE accessibility:", "DUMP OF SERVICE accessibility_gone:")
    return edit(SETTING, f"value:{value} default:{value}", text)


@pytest.mark.parametrize("name", READABLE)
def test_accessibility_setting_readable_hostile_name_fails(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, _setting_only(name))["accessibility_services"]
    assert result.status is Status.FAIL
    assert [e.fact for e in result.evidence] == [f"enabled: {name}"]


@pytest.mark.parametrize("name", UNREADABLE)
def test_accessibility_setting_unreadable_name_warns(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, _setting_only(f"com.android.systemui/.Sys:{name}"))
    check = result["accessibility_services"]
    assert_unreadable(check, name)
    assert "secure enabled_accessibility_services" in check.detail


ADMIN = f"    {TRACKER}/.AdminReceiver:\n"


@pytest.mark.parametrize("name", READABLE)
def test_device_admin_readable_hostile_name_fails(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, edit(ADMIN, f"    {name}:\n"))["device_admins"]
    assert result.status is Status.FAIL
    assert [e.fact for e in result.evidence] == [f"device admin (user 0): {name}"]


@pytest.mark.parametrize("name", UNREADABLE)
def test_device_admin_unreadable_name_warns(tmp_path: Path, name: str) -> None:
    result = results(tmp_path, edit(ADMIN, f"    {name}:\n"))["device_admins"]
    assert_unreadable(result, f"{name}:")


def test_device_admin_after_an_unreadable_one_is_still_read(tmp_path: Path) -> None:
    """The details of an unreadable admin (``uid=…``, deeper) do not end the admin list."""
    second = f"    {TRACKER}/.Second-Admin:\n      uid=10201\n"
    text = edit(ADMIN, f"    {TRACKER}/.Admin\u200b:\n" + ADMIN.replace("Admin", "X") + second)
    text = edit(f"    {TRACKER}/.XReceiver:\n", f"    {TRACKER}/.XReceiver\u202e:\n", text)
    result = results(tmp_path, text)["device_admins"]
    assert result.status is Status.FAIL
    assert f"device admin (user 0): {TRACKER}/.Second-Admin" in [e.fact for e in result.evidence]
    assert "2 entries in dumpsys device_policy could not be read" in result.detail


def test_device_owner_unreadable_component_warns(tmp_path: Path) -> None:
    owner = f"  Device Owner:\n    admin=ComponentInfo{{{TRACKER}/.Owner\u202e}}\n\n"
    text = edit(ADMIN, "", edit("  Enabled Device Admins", owner + "  Enabled Device Admins"))
    text = edit("      uid=10201\n      testOnlyAdmin=false\n", "", text)
    text = edit("      policies:\n        force-lock\n        watch-login\n", "", text)
    result = results(tmp_path, edit("      passwordQuality=0x0\n    mPass", "    mPass", text))
    check = result["device_admins"]
    # A device owner is present (fail), and its component could not be read (named).
    assert check.status is Status.FAIL
    assert any("unreadable device owner entry" in e.fact for e in check.evidence)


KEY_LINE = "    user_keys=QAAAAJ1mDmoZ"
ADB_ON = "_id:101 name:adb_enabled pkg:android value:1 default:1"


def test_unreadable_adb_key_keeps_debugging_off_from_passing(tmp_path: Path) -> None:
    text = edit(ADB_ON, ADB_ON.replace(":1", ":0"))
    assert results(tmp_path, text)["usb_debugging"].status is Status.PASS
    text = edit(KEY_LINE, "    user_keys=\u202e!!not-a-key!!\n    QAAAAJ1mDmoZ", text)
    result = results(tmp_path, text)["usb_debugging"]
    assert result.status is Status.WARN
    assert "1 entry in the trusted adb keys could not be read" in result.detail
    assert any("\\u202e!!not-a-key!!" in e.fact for e in result.evidence)


GARBLED = "  Package [com.example.hidden-tool"


@pytest.mark.parametrize("check", ["root_indicators", "test_packages"])
def test_unreadable_package_block_keeps_package_checks_from_passing(
    tmp_path: Path, check: str
) -> None:
    profile = "factory" if check == "test_packages" else "consumer"
    assert results(tmp_path, EXAMPLE, profile)[check].status is Status.PASS
    text = edit("  Package [com.whatsapp] (27cc):", GARBLED)
    result = results(tmp_path, text, profile)[check]
    assert result.status is Status.WARN
    assert "1 entry in the package list could not be read" in result.detail
    assert any(GARBLED.strip() in e.fact for e in result.evidence)


def test_unreadable_package_block_is_named_by_sideloaded_apps(tmp_path: Path) -> None:
    # The example already has a sideloaded app (fail); the unreadable block is named too.
    result = results(tmp_path, edit("  Package [com.whatsapp] (27cc):", GARBLED))
    sideloaded = result["sideloaded_apps"]
    assert sideloaded.status is Status.FAIL
    assert "could not be read" in sideloaded.detail
