"""Checks on the platform itself: patch level, OS version, encryption, boot chain, SELinux,
build type and clock."""

from __future__ import annotations

from datetime import date

from handsetguard.checks.android_support import support_window
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
from handsetguard.device import DeviceState, SelinuxMode, Unavailable
from handsetguard.parsers.settings import Namespace

__all__ = ["CHECKS"]

_registry = Registry()
check = _registry.check


def _parse_patch(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


@check(
    "os_patch_level",
    Titles(
        "Security patch level",
        "Security patch is recent",
        "Security patch is out of date",
        "Security patch level unknown",
        warned="Security patch is getting old",
    ),
    Severity.HIGH,
    "Install the latest system update (Settings > System > Software update).",
    (
        f"{CIS}: Ensure device firmware is up to date",
        f"{AMAPI}: systemUpdate / SecurityPatchLevel compliance",
        f"{INTUNE}: Minimum security patch level",
    ),
)
def os_patch_level(state: DeviceState, ctx: CheckContext) -> Finding:
    patch = state.prop("ro.build.version.security_patch")
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, "the security patch level")
    if not patch:
        return not_assessed("ro.build.version.security_patch is not set in getprop")
    evidence = prop_evidence(state, "ro.build.version.security_patch")
    patched = _parse_patch(patch)
    if patched is None:
        return Finding(Status.NOT_ASSESSED, f"security patch {patch!r} is not a date", evidence)
    age = (ctx.as_of.date() - patched).days
    pass_days = ctx.int_param("os_patch_level", "pass_days", 90)
    warn_days = ctx.int_param("os_patch_level", "warn_days", 180)
    basis = f"as of {ctx.as_of.date().isoformat()} ({ctx.time_basis.value})"
    detail = f"patch {patched.isoformat()} is {age} days old {basis}"
    if age <= pass_days:
        return Finding(Status.PASS, detail, evidence)
    if age <= warn_days:
        return Finding(Status.WARN, f"{detail}; more than {pass_days} days", evidence)
    return Finding(Status.FAIL, f"{detail}; more than {warn_days} days", evidence)


@check(
    "os_version",
    Titles(
        "Android version support",
        "Android version still gets security updates",
        "Android version no longer gets security updates",
        "Android version unknown",
        warned="Android version loses security updates soon",
    ),
    Severity.MEDIUM,
    "Replace or upgrade the device: its Android version no longer gets security fixes.",
    (f"{AMAPI}: minimumApiLevel", f"{INTUNE}: Minimum OS version"),
)
def os_version(state: DeviceState, ctx: CheckContext) -> Finding:
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, "the Android version")
    sdk = state.identity.sdk
    if sdk is None:
        return not_assessed("ro.build.version.sdk is missing or not a number")
    evidence = prop_evidence(state, "ro.build.version.release", "ro.build.version.sdk")
    name = f"Android {state.identity.android_version or '?'} (API {sdk})"
    floor = ctx.int_param("os_version", "min_sdk", 0)
    if sdk < floor:
        return Finding(Status.FAIL, f"{name} is below this profile's minimum API {floor}", evidence)
    window = support_window(sdk)
    if window is None:
        return Finding(
            Status.PASS,
            f"{name} is newer than every version with a known end of security support",
            evidence,
        )
    end = window.last_bulletin
    when = f"{'expected ' if window.estimated else ''}{end.isoformat()}"
    days_left = (end - ctx.as_of.date()).days
    warn_days = ctx.int_param("os_version", "warn_days", 180)
    basis = f"as of {ctx.as_of.date().isoformat()} ({ctx.time_basis.value})"
    if days_left < 0:
        return Finding(
            Status.FAIL,
            f"{name} gets no security fixes: its last bulletin was "
            f"{when}, {-days_left} days before {basis}",
            evidence,
        )
    if days_left <= warn_days:
        return Finding(
            Status.WARN,
            f"{name} loses security support soon: last bulletin "
            f"{when}, {days_left} days after {basis}",
            evidence,
        )
    return Finding(Status.PASS, f"{name} is supported until {when} {basis}", evidence)


@check(
    "encryption",
    Titles(
        "Storage encryption",
        "Storage is encrypted",
        "Storage is not encrypted",
        "Storage encryption unknown",
    ),
    Severity.CRITICAL,
    "Encrypt the device (Settings > Security > Encryption), or replace it if it cannot.",
    (
        f"{CIS}: Ensure 'Encryption' is enabled",
        f"{AMAPI}: encryptionPolicy",
        f"{INTUNE}: Require encryption of data storage on device",
    ),
)
def encryption(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, "encryption")
    crypto = state.prop("ro.crypto.state")
    evidence = prop_evidence(state, "ro.crypto.state", "ro.crypto.type")
    if crypto is None:
        return not_assessed("ro.crypto.state is not set in getprop")
    if crypto == "encrypted":
        kind = state.prop("ro.crypto.type") or "unknown"
        return Finding(Status.PASS, f"storage is encrypted ({kind}-based)", evidence)
    return Finding(
        Status.FAIL, f"ro.crypto.state is {crypto!r}: user data is not encrypted", evidence
    )


def _boot_value(state: DeviceState, prop: str) -> tuple[str | None, tuple[EvidenceItem, ...]]:
    """A boot property from getprop, else from the kernel command line/bootconfig."""
    value = state.prop(prop)
    if value is not None:
        return value, prop_evidence(state, prop)
    if not isinstance(state.boot, Unavailable):
        param = "androidboot." + prop.removeprefix("ro.boot.")
        boot_value = state.boot.params.get(param)
        if boot_value is not None:
            return boot_value, (
                EvidenceItem(f"{param}={boot_value} (kernel command line)", state.boot.origin),
            )
    return None, ()


@check(
    "verified_boot",
    Titles(
        "Verified boot",
        "Verified boot state is green",
        "Verified boot state is not green",
        "Verified boot state unknown",
        warned="Verified boot uses a user-installed key (yellow)",
    ),
    Severity.CRITICAL,
    "Re-lock the bootloader and flash the manufacturer's signed firmware.",
    (
        f"{AMAPI}: verifiedBootState (device integrity)",
        f"{INTUNE}: Play Integrity / SafetyNet device integrity",
    ),
)
def verified_boot(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    value, evidence = _boot_value(state, "ro.boot.verifiedbootstate")
    if value is None:
        if isinstance(state.properties, Unavailable) and isinstance(state.boot, Unavailable):
            return unavailable(state.properties, "verified boot")
        return not_assessed(
            "neither ro.boot.verifiedbootstate nor androidboot.verifiedbootstate "
            "is recorded (emulators and some old devices lack it)"
        )
    meaning = {
        "green": (Status.PASS, "boot chain verified with the manufacturer's key"),
        "yellow": (Status.WARN, "boot chain verified with a user-installed key"),
        "orange": (Status.FAIL, "bootloader unlocked: the boot chain is not verified"),
        "red": (Status.FAIL, "verification failed: the boot image is corrupt or tampered"),
    }
    status, detail = meaning.get(value, (Status.NOT_ASSESSED, f"unknown state {value!r}"))
    title = f"Verified boot state is {value}" if value in ("orange", "red") else None
    return Finding(status, f"verified boot state {value}: {detail}", evidence, title)


@check(
    "bootloader_locked",
    Titles(
        "Bootloader lock",
        "Bootloader is locked",
        "Bootloader is unlocked",
        "Bootloader lock state unknown",
    ),
    Severity.CRITICAL,
    "Lock the bootloader (fastboot flashing lock) after restoring stock firmware.",
    (
        f"{AMAPI}: device integrity (bootloader unlocked fails)",
        f"{INTUNE}: Rooted devices: Block",
    ),
)
def bootloader_locked(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    locked, evidence = _boot_value(state, "ro.boot.flash.locked")
    device_state, more = _boot_value(state, "ro.boot.vbmeta.device_state")
    evidence += more
    if locked is None and device_state is None:
        boot_state, boot_evidence = _boot_value(state, "ro.boot.verifiedbootstate")
        if boot_state == "orange":
            # The bootloader reports ORANGE exactly when the device is unlocked (AOSP "Android
            # Verified Boot: boot flow", https://source.android.com/docs/security/features/
            # verifiedboot/boot-flow): no lock property needed to know it.
            return Finding(
                Status.FAIL,
                "the bootloader is unlocked (verified boot state orange): anyone with the "
                "phone can flash modified system images",
                boot_evidence,
            )
        if isinstance(state.properties, Unavailable):
            return unavailable(state.properties, "the bootloader lock state")
        return not_assessed(
            "neither ro.boot.flash.locked nor ro.boot.vbmeta.device_state is recorded"
        )
    if locked == "0" or device_state == "unlocked":
        return Finding(
            Status.FAIL,
            "the bootloader is unlocked: anyone with the phone can flash modified system images",
            evidence,
        )
    if locked == "1" or device_state == "locked":
        return Finding(Status.PASS, "the bootloader is locked", evidence)
    return Finding(
        Status.NOT_ASSESSED, f"unrecognised lock state {locked or device_state!r}", evidence
    )


@check(
    "selinux_enforcing",
    Titles(
        "SELinux mode", "SELinux is enforcing", "SELinux is not enforcing", "SELinux mode unknown"
    ),
    Severity.CRITICAL,
    "Restore a stock build: SELinux must enforce (a permissive device has no app sandbox policy).",
    (f"{INTUNE}: Rooted devices: Block",),
)
def selinux_enforcing(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if not isinstance(state.selinux, Unavailable):
        reading = (EvidenceItem(state.selinux.evidence, state.selinux.origin),)
        if state.selinux.mode is SelinuxMode.ENFORCING:
            return Finding(Status.PASS, "SELinux is enforcing", reading)
        mode = state.selinux.mode.value
        return Finding(Status.FAIL, f"SELinux is {mode}", reading, f"SELinux is {mode}")
    boot_mode, evidence = _boot_value(state, "ro.boot.selinux")
    build_type = state.prop("ro.build.type")
    if boot_mode is not None and boot_mode != "enforcing" and build_type != "user":
        return Finding(
            Status.FAIL,
            f"booted with SELinux {boot_mode} on a {build_type or 'non-user'} build",
            evidence + prop_evidence(state, "ro.build.type"),
            "SELinux is permissive",
        )
    if build_type == "user" and (boot_mode is not None or not isinstance(state.boot, Unavailable)):
        # init only honours androidboot.selinux=permissive on userdebug/eng builds (it is
        # compiled with ALLOW_PERMISSIVE_SELINUX only there), and a user build has no way to
        # setenforce 0 at runtime (AOSP system/core/init/selinux.cpp): on a user build the flag
        # alone is not a failure.
        evidence += prop_evidence(state, "ro.build.type")
        flag = (
            f"the boot flag androidboot.selinux={boot_mode} is ignored by init on a user build"
            if boot_mode is not None and boot_mode != "enforcing"
            else "user build booted without a permissive SELinux flag"
        )
        return Finding(
            Status.PASS,
            f"{flag}; the runtime mode was not recorded (no getenforce)",
            evidence,
        )
    if build_type == "user":
        return not_assessed(
            f"the runtime SELinux mode was not recorded ({state.selinux.reason}), nor the "
            "boot flags that would show a permissive boot (no kernel command line)"
        )
    return not_assessed(
        f"the runtime SELinux mode was not recorded "
        f"({state.selinux.reason}), and a {build_type or 'unknown'} build can be "
        "switched to permissive at runtime"
    )


_RELEASE_TAGS = "release-keys"


@check(
    "production_build",
    Titles(
        "Build type",
        "Production build (user, release-keys)",
        "Not a production build",
        "Build type unknown",
    ),
    Severity.HIGH,
    "Flash the manufacturer's production (user, release-keys) firmware.",
    (f"{AMAPI}: device integrity", f"{INTUNE}: Play Integrity basic integrity"),
)
def production_build(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, "the build type")
    names = ("ro.build.type", "ro.build.tags", "ro.debuggable", "ro.secure")
    evidence = prop_evidence(state, *names)
    build_type, tags = state.prop("ro.build.type"), state.prop("ro.build.tags")
    if build_type is None or tags is None:
        return Finding(
            Status.NOT_ASSESSED, "ro.build.type or ro.build.tags is not recorded", evidence
        )
    problems = []
    if build_type != "user":
        problems.append(f"{build_type} build")
    if _RELEASE_TAGS not in tags.split(","):
        problems.append(f"signed with {tags}")
    if state.prop("ro.debuggable") == "1":
        problems.append("ro.debuggable=1 (every app debuggable, adb root possible)")
    if state.prop("ro.secure") == "0":
        problems.append("ro.secure=0 (adb shell runs as root)")
    if problems:
        return Finding(Status.FAIL, "not a production build: " + "; ".join(problems), evidence)
    return Finding(Status.PASS, "user build signed with release keys", evidence)


@check(
    "auto_time",
    Titles(
        "Automatic time", "Time is set automatically", "Time is set by hand", "Time setting unknown"
    ),
    Severity.LOW,
    "Turn on Settings > System > Date & time > Set time automatically.",
    (f"{AMAPI}: autoDateAndTimeZone",),
)
def auto_time(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "automatic time")
    setting = state.setting(Namespace.GLOBAL, "auto_time")
    if setting is None or setting.value is None:
        return not_assessed("global setting auto_time is not recorded")
    evidence = (setting_evidence(state, setting),)
    if setting.value == "1":
        return Finding(Status.PASS, "network time is used", evidence)
    return Finding(
        Status.FAIL,
        "the clock is set by hand: certificate and patch-age checks on the device can be fooled",
        evidence,
    )


CHECKS = tuple(_registry.checks)
