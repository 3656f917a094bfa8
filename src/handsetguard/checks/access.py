"""Checks on who can get into the phone: screen lock, developer options, adb, lock-screen
notifications."""

from __future__ import annotations

from handsetguard.checks.apps import unreadable_evidence, unreadable_summary
from handsetguard.checks.common import (
    AMAPI,
    CIS,
    INTUNE,
    Registry,
    not_assessed,
    prop_evidence,
    setting_evidence,
    unavailable,
)
from handsetguard.checks.model import CheckContext, EvidenceItem, Finding, Severity, Status, Titles
from handsetguard.device import DeviceState, Unavailable
from handsetguard.parsers.settings import Namespace

__all__ = ["CHECKS"]

_registry = Registry()
check = _registry.check


def _lock_from_lock_settings(state: DeviceState) -> Finding | None:
    if isinstance(state.lock_settings, Unavailable):
        return None
    for user in state.lock_settings.value.users:
        if user.user_id != 0 or user.secure is None:
            continue
        fact = f"lock_settings user 0: credential {user.credential_type or 'unknown'}"
        evidence = (EvidenceItem(fact, state.lock_settings.origin.at(user.line)),)
        if user.secure:
            return Finding(
                Status.PASS,
                f"the owner has a secure lock screen ({user.credential_type or 'credential set'})",
                evidence,
            )
        return Finding(
            Status.FAIL,
            "the owner has no PIN, pattern or password: anyone holding the phone can open it",
            evidence,
        )
    return None


def _lock_from_keyguard(state: DeviceState) -> Finding | None:
    if isinstance(state.keyguard, Unavailable) or state.keyguard.value.secure is None:
        return None
    secure = state.keyguard.value.secure
    line = state.keyguard.value.line
    evidence = (
        EvidenceItem(
            f"window keyguard secure={str(secure).lower()}",
            state.keyguard.origin if line is None else state.keyguard.origin.at(line),
        ),
    )
    if secure:
        return Finding(Status.PASS, "the keyguard is secure (PIN, pattern or password)", evidence)
    return Finding(Status.FAIL, "the keyguard is not secure: no PIN, pattern or password", evidence)


@check(
    "screen_lock",
    Titles("Screen lock", "A screen lock is set", "No screen lock is set", "Screen lock unknown"),
    Severity.CRITICAL,
    "Set a PIN, pattern or password (Settings > Security > Screen lock).",
    (
        f"{CIS}: Ensure 'Screen lock' is set to 'Enabled'",
        f"{AMAPI}: passwordRequirements",
        f"{INTUNE}: Require a password to unlock mobile devices",
    ),
)
def screen_lock(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    finding = _lock_from_lock_settings(state) or _lock_from_keyguard(state)
    if finding is not None:
        return finding
    reasons = []
    for facet, name in ((state.lock_settings, "lock_settings"), (state.keyguard, "window")):
        reasons.append(
            facet.reason
            if isinstance(facet, Unavailable)
            else f"dumpsys {name} does not say whether a credential is set"
        )
    return not_assessed("cannot tell whether a screen lock is set: " + "; ".join(reasons))


@check(
    "developer_options",
    Titles(
        "Developer options",
        "Developer options are off",
        "Developer options are on",
        "Developer options state unknown",
    ),
    Severity.MEDIUM,
    "Turn off Settings > System > Developer options.",
    (
        f"{CIS}: Ensure 'Developer options' is set to 'Disabled'",
        f"{AMAPI}: advancedSecurityOverrides.developerSettings",
    ),
)
def developer_options(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "developer options")
    setting = state.setting(Namespace.GLOBAL, "development_settings_enabled")
    if setting is None:
        return Finding(
            Status.PASS, "global development_settings_enabled is not set (Android's default is off)"
        )
    evidence = (setting_evidence(state, setting),)
    if setting.value == "1":
        return Finding(Status.FAIL, "developer options are enabled", evidence)
    return Finding(Status.PASS, "developer options are off", evidence)


def _adb_keys(state: DeviceState) -> tuple[EvidenceItem, ...]:
    """The computers the phone trusts for adb, leaving out the one that collected this
    snapshot (its key is an artifact of our own acquisition)."""
    if isinstance(state.adb, Unavailable):
        return ()
    keys = [
        k
        for k in state.adb.value.trusted_keys
        if state.collector_key is None or k.fingerprint != state.collector_key
    ]
    ours = len(state.adb.value.trusted_keys) - len(keys)
    if not keys:
        return tuple(unreadable_evidence(state.adb.value.unreadable, state.adb.origin))
    hosts = ", ".join(sorted({key.comment or "unnamed" for key in keys}))
    besides = " besides this computer" if ours else ""
    return (
        EvidenceItem(f"{len(keys)} trusted adb host key(s){besides}: {hosts}", state.adb.origin),
        *unreadable_evidence(state.adb.value.unreadable, state.adb.origin),
    )


def _unreadable_keys(state: DeviceState) -> Finding | None:
    """With debugging off: a trusted-key entry of dumpsys adb that could not be read (a
    computer that would get a shell once debugging is on) keeps the check from passing."""
    if isinstance(state.adb, Unavailable) or not state.adb.value.unreadable:
        return None
    unread = state.adb.value.unreadable
    return Finding(
        Status.WARN,
        "adb debugging is off; " + unreadable_summary(unread, "the trusted adb keys"),
        tuple(unreadable_evidence(unread, state.adb.origin)),
    )


@check(
    "usb_debugging",
    Titles(
        "USB and wireless debugging",
        "USB and wireless debugging are off",
        "Debugging over adb is on",
        "Debugging state unknown",
        warned="Debugging is off; a trusted adb key could not be read",
    ),
    Severity.HIGH,
    "Turn off USB debugging and Wireless debugging in Developer options, and revoke "
    "USB debugging authorisations.",
    (
        f"{CIS}: Ensure 'USB debugging' is set to 'Disabled'",
        f"{AMAPI}: advancedSecurityOverrides.developerSettings / usbDataAccess",
        f"{INTUNE}: Block USB debugging on device",
    ),
)
def usb_debugging(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    usb = state.setting(Namespace.GLOBAL, "adb_enabled")
    wifi = state.setting(Namespace.GLOBAL, "adb_wifi_enabled")
    evidence = tuple(setting_evidence(state, s) for s in (usb, wifi) if s is not None)
    enabled = [
        name for name, s in (("USB", usb), ("wireless", wifi)) if s is not None and s.value == "1"
    ]
    if enabled:
        which = " and ".join(enabled)
        return Finding(
            Status.FAIL,
            which + " debugging is enabled: a trusted computer gets a shell on the phone",
            evidence + _adb_keys(state),
            f"{which[0].upper()}{which[1:]} debugging is on",
        )
    if usb is not None:
        gap = _unreadable_keys(state)
        if gap is not None:
            return Finding(gap.status, gap.detail, evidence + gap.evidence)
        return Finding(Status.PASS, "adb debugging is off", evidence)
    config = state.prop("persist.sys.usb.config") or state.prop("sys.usb.config")
    if config is not None and "adb" in config.split(","):
        return Finding(
            Status.FAIL,
            "the USB configuration includes adb",
            prop_evidence(state, "persist.sys.usb.config", "sys.usb.config"),
            "USB debugging is on",
        )
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "USB debugging")
    return not_assessed("global adb_enabled is not recorded")


@check(
    "lockscreen_notifications",
    Titles(
        "Lock-screen notifications",
        "Lock screen hides notification content",
        "Lock screen shows notification content",
        "Lock-screen notification content unknown",
    ),
    Severity.LOW,
    "Set Settings > Notifications > Notifications on lock screen to hide sensitive content.",
    (
        f"{CIS}: Ensure 'Lock screen notifications' hide sensitive content",
        f"{AMAPI}: keyguardDisabledFeatures (UNREDACTED_NOTIFICATIONS)",
    ),
)
def lockscreen_notifications(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "lock-screen notifications")
    show = state.setting(Namespace.SECURE, "lock_screen_show_notifications")
    private = state.setting(Namespace.SECURE, "lock_screen_allow_private_notifications")
    evidence = tuple(setting_evidence(state, s) for s in (show, private) if s is not None)
    if show is None and private is None:
        return not_assessed(
            "secure lock_screen_show_notifications and "
            "lock_screen_allow_private_notifications are not recorded"
        )
    if show is not None and show.value == "0":
        return Finding(Status.PASS, "no notifications on the lock screen", evidence)
    if private is not None and private.value == "0":
        return Finding(Status.PASS, "the lock screen hides notification content", evidence)
    if private is None:
        return Finding(
            Status.NOT_ASSESSED,
            "notifications show on the lock screen; whether "
            "their content is hidden is not recorded",
            evidence,
        )
    return Finding(
        Status.FAIL,
        "message previews and other notification content show on the lock screen",
        evidence,
    )


CHECKS = tuple(_registry.checks)
