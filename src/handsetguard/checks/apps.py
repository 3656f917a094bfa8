"""Checks on installed apps: unknown sources, app verification, root tools, sideloaded apps;
the helpers that tell a third-party app from a system one, and those that name the entries of
a list that could not be read (which keep the check reading the list from passing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from handsetguard.checks.catalogs import KNOWN_STORES, ROOT_PACKAGES
from handsetguard.checks.common import (
    AMAPI,
    CIS,
    INTUNE,
    Registry,
    not_assessed,
    setting_evidence,
    unavailable,
)
from handsetguard.checks.model import CheckContext, EvidenceItem, Finding, Severity, Status, Titles
from handsetguard.device import DeviceState, Unavailable
from handsetguard.evidence import Provenance
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, printable
from handsetguard.parsers.settings import Namespace

__all__ = [
    "CHECKS",
    "KNOWN_STORES",
    "ROOT_PACKAGES",
    "component_package",
    "is_system",
    "names",
    "package_list_gap",
    "third_party",
    "unreadable_evidence",
    "unreadable_summary",
]

_registry = Registry()
check = _registry.check

# Magisk mounts tmpfs/overlays whose source is "magisk" (under /sbin/.magisk on older
# versions); KernelSU and APatch mount overlays whose source is "KSU"/"APatch".
_ROOT_MOUNT = lazy_compile(r"(?i)\bmagisk\b|/sbin/\.magisk|^KSU\b|^APatch\b")

_ROOT_PROCESSES = frozenset(
    {
        "su",
        "magiskd",
        "magisk",
        "magisk64",
        "magisk32",
        "ksud",
        "daemonsu",
        "/system/xbin/su",
        "/system/bin/su",
    }
)


def is_system(state: DeviceState, package: str) -> bool | None:
    if isinstance(state.packages, Unavailable):
        return None
    record = state.packages.value.get(package)
    return None if record is None else record.is_system


def names(names: Iterable[str], most: int = 5) -> str:
    """``a, b, c`` — sorted, de-duplicated, with ``and N more`` past ``most``."""
    unique = sorted(set(names))
    shown = ", ".join(unique[:most])
    return shown if len(unique) <= most else f"{shown} and {len(unique) - most} more"


def component_package(component: str) -> str:
    return component.split("/", 1)[0].strip("{} ")


def third_party(state: DeviceState, components: Iterable[str]) -> list[str]:
    """Components whose package is not a system app (unknown packages count as third-party)."""
    return sorted({c for c in components if is_system(state, component_package(c)) is not True})


# At most this many unreadable entries are named one by one in a finding's evidence.
_MAX_UNREADABLE_SHOWN = 10


def unreadable_summary(entries: Sequence[Unreadable], source: str) -> str:
    """``2 entries in dumpsys accessibility could not be read: a, b`` (texts escaped, cut)."""
    count = len(entries)
    return f"{count} entr{'y' if count == 1 else 'ies'} in {source} could not be read: " + names(
        (printable(u.text, 60) for u in entries), most=3
    )


def unreadable_evidence(
    entries: Sequence[Unreadable], origin: Provenance | None, *, at_line: bool = True
) -> list[EvidenceItem]:
    """One item per unreadable entry (its list, its text escaped and cut, and its line in
    ``origin`` unless ``at_line`` is false: a setting's entries share the setting's line)."""
    items = [
        EvidenceItem(
            f"unreadable {u.where} entry: {printable(u.text)}",
            origin.at(u.line) if origin is not None and at_line else origin,
        )
        for u in entries[:_MAX_UNREADABLE_SHOWN]
    ]
    if len(entries) > _MAX_UNREADABLE_SHOWN:
        more = len(entries) - _MAX_UNREADABLE_SHOWN
        items.append(EvidenceItem(f"and {more} more unreadable entries", origin))
    return items


def _unreadable_packages(state: DeviceState) -> tuple[Unreadable, ...]:
    return () if isinstance(state.packages, Unavailable) else state.packages.value.unreadable


def package_list_gap(state: DeviceState) -> tuple[str, list[EvidenceItem]] | None:
    """Why the package list is incomplete (entries it could not read), or ``None``."""
    unread = _unreadable_packages(state)
    if not unread or isinstance(state.packages, Unavailable):
        return None
    return unreadable_summary(unread, "the package list"), unreadable_evidence(
        unread, state.packages.origin
    )


@check(
    "unknown_sources",
    Titles(
        "Unknown sources",
        "No app may install other apps",
        "Apps may install other apps (unknown sources)",
        "Unknown-sources setting unknown",
    ),
    Severity.MEDIUM,
    "Revoke 'Install unknown apps' for every app listed (Settings > Apps > Special app access).",
    (
        f"{CIS}: Ensure 'Install unknown apps' is set to 'Disabled'",
        f"{AMAPI}: advancedSecurityOverrides.untrustedAppsPolicy",
        f"{INTUNE}: Block apps from unknown sources",
    ),
)
def unknown_sources(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    sdk = state.identity.sdk
    if sdk is not None and sdk < 26:
        setting = state.setting(Namespace.SECURE, "install_non_market_apps")
        if setting is None:
            return not_assessed("secure install_non_market_apps is not recorded")
        evidence = (setting_evidence(state, setting),)
        if setting.value == "1":
            return Finding(Status.FAIL, "installs from unknown sources are allowed", evidence)
        return Finding(Status.PASS, "installs from unknown sources are blocked", evidence)
    if isinstance(state.appops, Unavailable):
        return unavailable(state.appops, "which apps may install apps")
    allowed = []
    for entry in state.appops.value.entries:
        if entry.op == "REQUEST_INSTALL_PACKAGES" and entry.mode == "allow" and entry.package:
            if is_system(state, entry.package) is not True:
                allowed.append((entry.package, state.appops.origin.at(entry.line)))
    if not allowed:
        return Finding(Status.PASS, "no third-party app is allowed to install apps")
    unique = sorted(set(allowed), key=lambda item: item[0])
    return Finding(
        Status.FAIL,
        f"{len(unique)} app(s) may install other apps: " + names(pkg for pkg, _ in unique),
        tuple(
            EvidenceItem(f"appops {pkg} REQUEST_INSTALL_PACKAGES: allow", where)
            for pkg, where in unique
        ),
    )


@check(
    "verify_apps",
    Titles(
        "App scanning (package verifier)",
        "The package verifier scans installs",
        "The package verifier is off",
        "Package verifier state unknown",
    ),
    Severity.MEDIUM,
    "Turn on Play Protect 'Scan apps' and 'Improve harmful app detection'.",
    (
        f"{CIS}: Ensure 'Scan device for security threats' is set to 'Enabled'",
        f"{AMAPI}: advancedSecurityOverrides.googlePlayProtectVerifyApps",
        f"{INTUNE}: Require threat scan on apps",
    ),
)
def verify_apps(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "app verification")
    setting = state.setting(Namespace.GLOBAL, "package_verifier_enable")
    if setting is None or setting.value is None:
        return not_assessed("global package_verifier_enable is not recorded")
    evidence = (setting_evidence(state, setting),)
    if setting.value == "0":
        return Finding(
            Status.FAIL, "package verification is off: installed apps are not scanned", evidence
        )
    return Finding(Status.PASS, "package verification is on", evidence)


@check(
    "verify_adb_installs",
    Titles(
        "Verification of adb installs",
        "Apps installed over adb are verified",
        "Apps installed over adb are not verified",
        "Verification of adb installs unknown",
    ),
    Severity.LOW,
    "Turn on Developer options > Verify apps over USB (then turn Developer options off).",
    (f"{AMAPI}: advancedSecurityOverrides.googlePlayProtectVerifyApps",),
)
def verify_adb_installs(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    if isinstance(state.settings, Unavailable):
        return unavailable(state.settings, "verification of adb installs")
    adb = state.setting(Namespace.GLOBAL, "verifier_verify_adb_installs")
    verifier = state.setting(Namespace.GLOBAL, "package_verifier_enable")
    if verifier is not None and verifier.value == "0":
        return Finding(
            Status.FAIL,
            "package verification is off, so apps installed over adb are not verified either",
            (setting_evidence(state, verifier),),
        )
    if adb is None or adb.value is None:
        return not_assessed("global verifier_verify_adb_installs is not recorded")
    evidence = (setting_evidence(state, adb),)
    if adb.value == "0":
        return Finding(
            Status.FAIL,
            "apps installed over adb or USB skip the package verifier",
            evidence,
        )
    return Finding(Status.PASS, "apps installed over adb are verified too", evidence)


def _root_evidence(state: DeviceState) -> tuple[list[EvidenceItem], list[str]]:
    found: list[EvidenceItem] = []
    looked: list[str] = []
    if not isinstance(state.root_binaries, Unavailable):
        looked.append("root binaries")
        found += [
            EvidenceItem(f"root binary present: {path}", state.root_binaries.origin)
            for path in state.root_binaries.value
        ]
    if not isinstance(state.packages, Unavailable):
        looked.append("installed packages")
        found += [
            EvidenceItem(f"root manager installed: {pkg.name}", state.packages.origin.at(pkg.line))
            for pkg in state.packages.value.packages
            if pkg.name in ROOT_PACKAGES
        ]
    if not isinstance(state.mounts, Unavailable):
        looked.append("mounts")
        found += [
            EvidenceItem(
                f"root tool mount: {m.device} on {m.mount_point} ({m.fs_type})",
                state.mounts.origin.at(m.line),
            )
            for m in state.mounts.value
            if _ROOT_MOUNT.search(f"{m.device} {m.mount_point}")
        ]
    if not isinstance(state.processes, Unavailable):
        looked.append("running processes")
        found += [
            EvidenceItem(f"root process running: {name}", state.processes.origin)
            for name in sorted(set(state.processes.value))
            if name in _ROOT_PROCESSES or name.split("/")[-1] in {"su", "magiskd"}
        ]
    return found, looked


@check(
    "root_indicators",
    Titles(
        "Root",
        "No sign of root",
        "Signs of root found",
        "Root state unknown",
        warned="No sign of root, but installed packages could not all be read",
    ),
    Severity.CRITICAL,
    "Remove the root tools and restore stock firmware; a rooted phone's sandbox is void.",
    (f"{INTUNE}: Rooted devices: Block", f"{AMAPI}: device integrity"),
)
def root_indicators(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    found, looked = _root_evidence(state)
    gap = package_list_gap(state)
    if found:
        detail = f"{len(found)} root indicator(s) found"
        if gap is not None:
            return Finding(Status.FAIL, f"{detail}; {gap[0]}", (*found, *gap[1]))
        return Finding(Status.FAIL, detail, tuple(found))
    if not looked:
        return not_assessed("the input has no package list, process list or root-binary probe")
    clean = "no root manager or su process found in " + ", ".join(looked)
    if gap is not None:  # a root manager may be the package that could not be read
        return Finding(Status.WARN, f"{gap[0]}; {clean}", tuple(gap[1]))
    return Finding(Status.PASS, clean)


@check(
    "sideloaded_apps",
    Titles(
        "App sources",
        "Apps come from known stores",
        "Apps installed from outside known stores",
        "App sources unknown",
        warned="Some installed packages could not be read",
    ),
    Severity.MEDIUM,
    "Review the listed apps; uninstall any you did not knowingly install.",
    (f"{AMAPI}: installUnknownSourcesAllowed / untrustedAppsPolicy",),
)
def sideloaded_apps(state: DeviceState, ctx: CheckContext) -> Finding:
    if isinstance(state.packages, Unavailable):
        return unavailable(state.packages, "where apps came from")
    allowed = KNOWN_STORES | set(ctx.str_list_param("sideloaded_apps", "trusted_installers"))
    sideloaded = [
        pkg
        for pkg in state.packages.value.packages
        if not pkg.is_system and pkg.installer not in allowed
    ]
    gap = package_list_gap(state)
    if not sideloaded:
        if gap is not None:
            return Finding(
                Status.WARN, f"{gap[0]}; every other non-system app came from a known store",
                tuple(gap[1]),
            )  # fmt: skip
        return Finding(Status.PASS, "every non-system app came from a known store")
    evidence = [
        EvidenceItem(
            f"{pkg.name} installed by {pkg.installer or 'adb/unknown'}",
            state.packages.origin.at(pkg.line),
        )
        for pkg in sorted(sideloaded, key=lambda p: p.name)
    ]
    detail = f"{len(sideloaded)} app(s) were not installed from a known store: " + names(
        pkg.name for pkg in sideloaded
    )
    if gap is not None:
        detail += f"; {gap[0]}"
        evidence += gap[1]
    return Finding(Status.FAIL, detail, tuple(evidence))


CHECKS = tuple(_registry.checks)
