"""Every change class, from a real report (Google Pixel sailfish, Android 8.1 retail bugreport)
and a copy of it modified the way a later acquisition of the same phone could differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from handsetguard.diff import ChangeKind, Severity, diff_documents
from tests.diff.conftest import ATV_BUGREPORT, PIXEL1_81_BUGREPORT, Doc, report

GMAIL = "com.google.android.gm"
SLACK = "com.Slack"  # a Play Store app, no dangerous permission granted
GMAIL_ADMIN = "com.google.android.gm/com.android.email.SecurityPolicy$PolicyAdmin"


def _package(doc: Doc, name: str) -> dict[str, Any]:
    return next(p for p in doc["inventory"]["packages"]["items"] if p["package"] == name)


def _check(doc: Doc, check: str) -> dict[str, Any]:
    return next(c for c in doc["checks"] if c["id"] == check)


def _setting(doc: Doc, key: str, value: str | None) -> None:
    items = doc["inventory"]["settings"]["items"]
    found = next((s for s in items if s["key"] == key), None)
    if found is None:
        items.append({"key": key, "value": value})
    else:
        found["value"] = value


def _new_app(doc: Doc) -> None:
    doc["inventory"]["packages"]["items"].append(
        {
            "package": "com.example.tracker",
            "version_code": 3,
            "version_name": "1.2",
            "installer": "com.android.shell",
            "system": False,
            "signers": ["1234abcd"],
            "signer_kind": "hashcode",
            "granted_permissions": ["android.permission.READ_SMS"],
        }
    )


def _threat(doc: Doc, confidence: str = "certain", score: int = 100) -> None:
    doc["threats"].append(
        {
            "package": "com.example.tracker",
            "kind": "indicator",
            "confidence": confidence,
            "score": score,
            "summary": "com.example.tracker is stalkerware",
            "reasons": [],
            "matches": [],
            "advice": [],
        }
    )


def _granted(doc: Doc, name: str = SLACK) -> None:
    _package(doc, name)["granted_permissions"].append("android.permission.RECORD_AUDIO")


def _unchanged(doc: Doc) -> None:
    del doc


Mutation = Callable[[Doc], object]
CASES: list[tuple[str, Mutation, Mutation | None, str, str, Severity]] = [
    # (name, change to the new side, change to the old side, facet, key, severity)
    ("app installed", _new_app, None, "packages", "com.example.tracker", Severity.MEDIUM),
    (
        "app removed",
        lambda d: d["inventory"]["packages"]["items"].remove(_package(d, GMAIL)),
        None,
        "packages",
        GMAIL,
        Severity.LOW,
    ),
    (
        "signer changed",
        lambda d: _package(d, GMAIL).update(signers=["deadbeef"]),
        None,
        "packages",
        GMAIL,
        Severity.CRITICAL,
    ),
    (
        "app downgraded",
        lambda d: _package(d, GMAIL).update(version_code=1),
        None,
        "packages",
        GMAIL,
        Severity.MEDIUM,
    ),
    (
        "app updated",
        lambda d: _package(d, GMAIL).update(version_code=10**10),
        None,
        "packages",
        GMAIL,
        Severity.INFO,
    ),
    (
        "installer changed",
        lambda d: _package(d, GMAIL).update(installer="com.android.shell"),
        None,
        "packages",
        GMAIL,
        Severity.MEDIUM,
    ),
    (
        "permission granted",
        _granted,
        None,
        "permissions",
        f"{SLACK} android.permission.RECORD_AUDIO",
        Severity.MEDIUM,
    ),
    (
        "permission revoked",
        _unchanged,
        _granted,
        "permissions",
        f"{SLACK} android.permission.RECORD_AUDIO",
        Severity.INFO,
    ),
    (
        "system app granted",
        lambda d: _granted(d, GMAIL),
        None,
        "permissions",
        f"{GMAIL} android.permission.RECORD_AUDIO",
        Severity.LOW,
    ),
    (
        "accessibility enabled",
        lambda d: d["inventory"]["accessibility_services"]["items"].append(
            "com.example.tracker/.A"
        ),
        None,
        "accessibility_services",
        "com.example.tracker/.A",
        Severity.HIGH,
    ),
    (
        "accessibility disabled",
        _unchanged,
        lambda d: d["inventory"]["accessibility_services"]["items"].append("com.example.t/.A"),
        "accessibility_services",
        "com.example.t/.A",
        Severity.INFO,
    ),
    (
        "check added",
        _unchanged,
        lambda d: d["checks"].remove(_check(d, "auto_time")),
        "checks",
        "auto_time",
        Severity.INFO,
    ),
    (
        "score rose",
        _unchanged,
        lambda d: d["rating"].update(score=10),
        "rating",
        "score",
        Severity.INFO,
    ),
    (
        "listener enabled",
        lambda d: d["inventory"]["notification_listeners"]["items"].append("com.example.t/.L"),
        None,
        "notification_listeners",
        "com.example.t/.L",
        Severity.HIGH,
    ),
    (
        "listener disabled",
        lambda d: d["inventory"]["notification_listeners"]["items"].pop(0),
        None,
        "notification_listeners",
        "com.google.android.apps.nexuslauncher/com.android.launcher3.notification.NotificationListener",
        Severity.INFO,
    ),
    (
        "admin added",
        lambda d: d["inventory"]["device_admins"]["items"].append("com.example.t/.D"),
        None,
        "device_admins",
        "com.example.t/.D",
        Severity.HIGH,
    ),
    (
        "admin removed",
        lambda d: d["inventory"]["device_admins"]["items"].clear(),
        None,
        "device_admins",
        GMAIL_ADMIN,
        Severity.INFO,
    ),
    (
        "device owner set",
        lambda d: d["inventory"]["owners"]["items"].append("device owner: com.example.t/.D"),
        None,
        "owners",
        "device owner: com.example.t/.D",
        Severity.HIGH,
    ),
    (
        "device owner removed",
        _unchanged,
        lambda d: d["inventory"]["owners"]["items"].append("device owner: com.example.t/.D"),
        "owners",
        "device owner: com.example.t/.D",
        Severity.INFO,
    ),
    (
        "adb enabled",
        lambda d: _setting(d, "global:adb_enabled", "1"),
        lambda d: _setting(d, "global:adb_enabled", "0"),
        "settings",
        "global:adb_enabled",
        Severity.HIGH,
    ),
    (
        "adb disabled",
        lambda d: _setting(d, "global:adb_enabled", "0"),
        None,
        "settings",
        "global:adb_enabled",
        Severity.INFO,
    ),
    (
        "verifier off",
        lambda d: _setting(d, "global:package_verifier_enable", "0"),
        None,
        "settings",
        "global:package_verifier_enable",
        Severity.HIGH,
    ),
    (
        "keyboard changed",
        lambda d: _setting(d, "secure:default_input_method", "com.x/.K"),
        None,
        "settings",
        "secure:default_input_method",
        Severity.MEDIUM,
    ),
    (
        "unknown setting value",
        lambda d: _setting(d, "global:auto_time", "0"),
        None,
        "settings",
        "global:auto_time",
        Severity.LOW,
    ),
    (
        "check regressed",
        lambda d: _check(d, "encryption").update(status="fail"),
        None,
        "checks",
        "encryption",
        Severity.CRITICAL,
    ),
    (
        "check improved",
        lambda d: _check(d, "usb_debugging").update(status="pass"),
        None,
        "checks",
        "usb_debugging",
        Severity.INFO,
    ),
    (
        "check now unassessed",
        lambda d: _check(d, "encryption").update(status="not_assessed"),
        None,
        "checks",
        "encryption",
        Severity.LOW,
    ),
    (
        "check now assessed",
        lambda d: _check(d, "verify_adb_installs").update(status="fail"),
        None,
        "checks",
        "verify_adb_installs",
        Severity.LOW,
    ),
    (
        "check dropped",
        lambda d: d["checks"].remove(_check(d, "auto_time")),
        None,
        "checks",
        "auto_time",
        Severity.INFO,
    ),
    (
        "bootloader unlocked",
        lambda d: _check(d, "bootloader_locked").update(status="fail"),
        None,
        "checks",
        "bootloader_locked",
        Severity.CRITICAL,
    ),
    (
        "bootloader locked",
        _unchanged,
        lambda d: _check(d, "bootloader_locked").update(status="fail"),
        "checks",
        "bootloader_locked",
        Severity.INFO,
    ),
    (
        "verified boot",
        lambda d: _check(d, "verified_boot").update(status="fail"),
        None,
        "checks",
        "verified_boot",
        Severity.CRITICAL,
    ),
    ("threat new certain", _threat, None, "threats", "com.example.tracker", Severity.CRITICAL),
    (
        "threat new heuristic",
        lambda d: _threat(d, "heuristic", 60),
        None,
        "threats",
        "com.example.tracker",
        Severity.HIGH,
    ),
    ("threat gone", _unchanged, _threat, "threats", "com.example.tracker", Severity.INFO),
    (
        "threat changed",
        lambda d: _threat(d, "probable", 90),
        lambda d: _threat(d, "heuristic", 60),
        "threats",
        "com.example.tracker",
        Severity.MEDIUM,
    ),
    (
        "patch backwards",
        lambda d: d["device"].update(security_patch="2017-12-05"),
        None,
        "patch_levels",
        "OS patch level",
        Severity.HIGH,
    ),
    (
        "patch advanced",
        lambda d: d["device"].update(security_patch="2018-04-05"),
        None,
        "patch_levels",
        "OS patch level",
        Severity.INFO,
    ),
    (
        "patch unknown",
        lambda d: d["device"].update(security_patch=None),
        None,
        "patch_levels",
        "OS patch level",
        Severity.LOW,
    ),
    (
        "vendor patch backwards",
        lambda d: d["device"].update(vendor_security_patch="2017-01-01"),
        lambda d: d["device"].update(vendor_security_patch="2018-01-01"),
        "patch_levels",
        "vendor patch level",
        Severity.HIGH,
    ),
    (
        "build changed (update)",
        lambda d: d["device"].update(
            build_fingerprint="google/sailfish/sailfish:8.1.0/OPM2/1:user/release-keys"
        ),
        None,
        "build",
        "build_fingerprint",
        Severity.INFO,
    ),
    (
        "build changed (older sdk)",
        lambda d: d["device"].update(
            sdk=26, build_fingerprint="google/sailfish/sailfish:8.0.0/O/1:user/release-keys"
        ),
        None,
        "build",
        "build_fingerprint",
        Severity.HIGH,
    ),
    (
        "level dropped to poor",
        lambda d: d["rating"].update(level="poor"),
        None,
        "rating",
        "level",
        Severity.HIGH,
    ),
    (
        "level rose",
        lambda d: d["rating"].update(level="good"),
        None,
        "rating",
        "level",
        Severity.INFO,
    ),
    (
        "score dropped",
        lambda d: d["rating"].update(score=10),
        None,
        "rating",
        "score",
        Severity.LOW,
    ),
]
KINDS = {
    "app installed": ChangeKind.APP_INSTALLED,
    "app removed": ChangeKind.APP_REMOVED,
    "signer changed": ChangeKind.SIGNER_CHANGED,
    "app downgraded": ChangeKind.APP_DOWNGRADED,
    "app updated": ChangeKind.APP_UPDATED,
    "installer changed": ChangeKind.INSTALLER_CHANGED,
    "permission granted": ChangeKind.PERMISSION_GRANTED,
    "permission revoked": ChangeKind.PERMISSION_REVOKED,
    "system app granted": ChangeKind.PERMISSION_GRANTED,
    "accessibility enabled": ChangeKind.ACCESSIBILITY_ENABLED,
    "listener enabled": ChangeKind.LISTENER_ENABLED,
    "accessibility disabled": ChangeKind.ACCESSIBILITY_DISABLED,
    "check added": ChangeKind.CHECK_ADDED,
    "score rose": ChangeKind.SCORE_ROSE,
    "listener disabled": ChangeKind.LISTENER_DISABLED,
    "admin added": ChangeKind.ADMIN_ADDED,
    "admin removed": ChangeKind.ADMIN_REMOVED,
    "device owner set": ChangeKind.DEVICE_OWNER_CHANGED,
    "device owner removed": ChangeKind.OWNER_REMOVED,
    "adb enabled": ChangeKind.SETTING_CHANGED,
    "adb disabled": ChangeKind.SETTING_CHANGED,
    "verifier off": ChangeKind.SETTING_CHANGED,
    "keyboard changed": ChangeKind.SETTING_CHANGED,
    "unknown setting value": ChangeKind.SETTING_CHANGED,
    "check regressed": ChangeKind.CHECK_REGRESSED,
    "check improved": ChangeKind.CHECK_IMPROVED,
    "check now unassessed": ChangeKind.CHECK_NOW_UNASSESSED,
    "check now assessed": ChangeKind.CHECK_NOW_ASSESSED,
    "check dropped": ChangeKind.CHECK_DROPPED,
    "bootloader unlocked": ChangeKind.BOOTLOADER_UNLOCKED,
    "bootloader locked": ChangeKind.BOOTLOADER_LOCKED,
    "verified boot": ChangeKind.VERIFIED_BOOT_CHANGED,
    "threat new certain": ChangeKind.THREAT_NEW,
    "threat new heuristic": ChangeKind.THREAT_NEW,
    "threat gone": ChangeKind.THREAT_GONE,
    "threat changed": ChangeKind.THREAT_CHANGED,
    "patch backwards": ChangeKind.PATCH_BACKWARDS,
    "patch advanced": ChangeKind.PATCH_ADVANCED,
    "patch unknown": ChangeKind.PATCH_UNKNOWN,
    "vendor patch backwards": ChangeKind.PATCH_BACKWARDS,
    "build changed (update)": ChangeKind.BUILD_CHANGED,
    "build changed (older sdk)": ChangeKind.BUILD_CHANGED,
    "level dropped to poor": ChangeKind.LEVEL_DROPPED,
    "level rose": ChangeKind.LEVEL_ROSE,
    "score dropped": ChangeKind.SCORE_DROPPED,
}


@pytest.mark.parametrize(
    ("name", "mutate_new", "mutate_old", "facet", "key", "severity"),
    CASES,
    ids=[case[0] for case in CASES],
)
def test_each_change_class(
    name: str,
    mutate_new: Mutation,
    mutate_old: Mutation | None,
    facet: str,
    key: str,
    severity: Severity,
) -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    if mutate_old is not None:
        mutate_old(old)
    mutate_new(new)
    result = diff_documents(old, new)
    # Only the facet touched changes, plus the settings the case set on the old side too.
    found = [(c.facet, c.key, c.kind, c.severity) for c in result.changes if c.facet == facet]
    assert found == [(facet, key, KINDS[name], severity)]
    assert all(c.facet == facet for c in result.changes)
    assert bool(result.of_concern) is (severity in (Severity.CRITICAL, Severity.HIGH))
    change = result.changes[0]
    assert key.split(" ")[0] in change.detail or change.facet in ("rating", "build")
    assert change.to_json()["label"] == change.kind.label


def test_every_change_kind_is_exercised() -> None:
    exercised = set(KINDS.values())
    # The Pixel 8.1 bugreport has no dumpsys adb: the adb keys are tested on the ATV one.
    others = {ChangeKind.ADB_KEY_ADDED, ChangeKind.ADB_KEY_REMOVED}
    assert set(ChangeKind) - exercised == others


def test_the_reverse_of_a_removal_is_an_install() -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    _new_app(old)
    result = diff_documents(new, old)
    assert [(c.kind, c.key) for c in result.changes] == [
        (ChangeKind.APP_INSTALLED, "com.example.tracker")
    ]
    back = diff_documents(old, new)
    assert [(c.kind, c.key) for c in back.changes] == [
        (ChangeKind.APP_REMOVED, "com.example.tracker")
    ]


def test_signers_of_different_kinds_are_not_compared() -> None:
    """A dumpsys hash code and an AndroidQF SHA-256 digest of the same certificate differ:
    no 'different signer' from comparing one with the other."""
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    _package(new, GMAIL).update(signers=["ab" * 32], signer_kind="sha256")
    assert diff_documents(old, new).empty


def test_a_side_without_a_facet_is_not_comparable_with_the_reason() -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    new["inventory"]["device_admins"] = {
        "reason": "the input has no dumpsys:device_policy",
        "items": None,
    }
    new["inventory"]["device_admins"]["items"] = None
    result = diff_documents(old, new)
    facet = next(f for f in result.facets if f.name == "device_admins")
    assert (facet.comparable, facet.reason) == (
        False,
        "new: the input has no dumpsys:device_policy",
    )
    assert result.to_json()["summary"]["not_comparable"] == ["device_admins", "adb_keys"]


ATV_KEY = "F2:EE:60:59:3B:70:01:9B:8C:86:05:0D:47:8C:C7:21"


def test_a_new_trusted_adb_key_and_a_removed_one() -> None:
    """Android TV emulator, Android 14 bugreport: dumpsys adb trusts one host key."""
    old, new = report(ATV_BUGREPORT), report(ATV_BUGREPORT)
    keys = new["inventory"]["adb_keys"]["items"]
    assert [k["fingerprint"] for k in keys] == [ATV_KEY]
    keys[0] = {"fingerprint": "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", "comment": "x@y"}
    result = diff_documents(old, new)
    assert [(c.kind, c.key, c.severity) for c in result.changes] == [
        (ChangeKind.ADB_KEY_ADDED, keys[0]["fingerprint"], Severity.HIGH),
        (ChangeKind.ADB_KEY_REMOVED, ATV_KEY, Severity.INFO),
    ]
    assert "(x@y)" in result.changes[0].detail


def test_a_patch_level_that_is_not_a_date_is_unknown_not_ordered() -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    new["device"]["security_patch"] = "March 2018"  # would sort before "2018-03-05" as text
    (change,) = diff_documents(old, new).changes
    assert (change.kind, change.severity) == (ChangeKind.PATCH_UNKNOWN, Severity.LOW)
    assert change.detail == "OS patch level 2018-03-05 -> March 2018 (not a date)"
    old["device"]["security_patch"] = "garbled"
    new["device"]["security_patch"] = "2018-03-05"
    assert diff_documents(old, new).empty  # nothing to order against


def test_a_system_app_as_device_owner_is_low() -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    new["inventory"]["owners"]["items"].append(f"device owner: {GMAIL}/.Owner")
    (change,) = diff_documents(old, new).changes
    assert (change.kind, change.severity) == (ChangeKind.DEVICE_OWNER_CHANGED, Severity.LOW)
