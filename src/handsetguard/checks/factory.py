"""Production-line checks: what the OEM's factory gate adds to the posture checks before a unit
may be activated. They run only under a profile that enables them (``factory``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from handsetguard.checks.apps import package_list_gap
from handsetguard.checks.common import (
    Registry,
    expect_prop,
    not_assessed,
    prop_evidence,
    unavailable,
)
from handsetguard.checks.model import CheckContext, EvidenceItem, Finding, Severity, Status, Titles
from handsetguard.device import DeviceState, Unavailable

__all__ = ["CHECKS", "TEST_PACKAGE_PATTERNS"]

_registry = Registry(default_enabled=False)
check = _registry.check


# Factory-test, engineering and debug packages that must not ship (AOSP test harnesses and
# the SoC vendors' factory/engineering modes). Profiles add their own `deny` and `allow`.
TEST_PACKAGE_PATTERNS: tuple[str, ...] = (
    r"com\.android\.cts\..*",
    r"android\.test\..*",
    r"com\.android\.development",  # Dev Tools
    r"com\.android\.testing\..*",
    r"com\.android\.test\..*",
    r"com\.mediatek\.engineermode",
    r"com\.mediatek\.factorymode",
    r"com\.qualcomm\.qti\.qmmi",  # Qualcomm factory test (QMMI)
    r"com\.qualcomm\.factory",
    r"org\.codeaurora\.bluetooth\.test",
    r"com\.sprd\.engineermode",  # Unisoc
    r"com\.sprd\.validationtools",
    r".*\.factorytest",
    r".*\.factorykit",
    r"com\.android\.emulator\..*",
)


@check(
    "adb_secure",
    Titles(
        "adb authorisation",
        "adb requires authorisation",
        "adb does not require authorisation",
        "adb authorisation unknown",
    ),
    Severity.CRITICAL,
    "Build with ro.adb.secure=1 so that adb needs the owner's approval of each computer.",
)
def adb_secure(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    return expect_prop(
        state,
        "ro.adb.secure",
        "1",
        passed="adb asks the owner to authorise each computer",
        failed="any computer gets adb without the owner's approval",
    )


@check(
    "oem_unlock_disallowed",
    Titles(
        "OEM unlocking",
        "OEM unlocking is off",
        "OEM unlocking is allowed",
        "OEM unlocking state unknown",
    ),
    Severity.CRITICAL,
    "Ship with 'OEM unlocking' off (sys.oem_unlock_allowed=0) so the bootloader cannot be "
    "unlocked without the owner.",
)
def oem_unlock_disallowed(state: DeviceState, ctx: CheckContext) -> Finding:  # noqa: ARG001
    return expect_prop(
        state,
        "sys.oem_unlock_allowed",
        "0",
        passed="OEM unlocking is off",
        failed="OEM unlocking is allowed: the bootloader can be unlocked",
        also=("ro.oem_unlock_supported",),
    )


def _build_date(state: DeviceState) -> date | None:
    seconds = state.prop("ro.build.date.utc")
    if seconds is None or not seconds.isdigit() or len(seconds) > 12:
        return None
    return datetime.fromtimestamp(int(seconds), UTC).date()


@check(
    "patch_vs_build_date",
    Titles(
        "Patch level against build date",
        "Security patch is current for the build",
        "Security patch lags the build",
        "Patch level against build date unknown",
    ),
    Severity.HIGH,
    "Rebuild with the latest security bulletin merged before releasing this build.",
)
def patch_vs_build_date(state: DeviceState, ctx: CheckContext) -> Finding:
    if isinstance(state.properties, Unavailable):
        return unavailable(state.properties, "the patch level against the build date")
    built = _build_date(state)
    patch_text = state.prop("ro.build.version.security_patch")
    evidence = prop_evidence(state, "ro.build.version.security_patch", "ro.build.date.utc")
    if built is None or patch_text is None:
        return not_assessed("ro.build.date.utc or ro.build.version.security_patch is missing")
    try:
        patch = date.fromisoformat(patch_text.strip()[:10])
    except ValueError:
        return Finding(
            Status.NOT_ASSESSED, f"security patch {patch_text!r} is not a date", evidence
        )
    lag = (built - patch).days
    allowed = ctx.int_param("patch_vs_build_date", "max_days", 60)
    detail = f"built {built.isoformat()} with patch {patch.isoformat()} ({lag} days older)"
    if lag <= allowed:
        return Finding(Status.PASS, detail, evidence)
    return Finding(Status.FAIL, f"{detail}; the policy allows {allowed}", evidence)


def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@check(
    "test_packages",
    Titles(
        "Test apps",
        "No factory or engineering test apps",
        "Factory or engineering test apps installed",
        "Test apps unknown",
        warned="Installed packages could not all be read",
    ),
    Severity.CRITICAL,
    "Remove factory-test and engineering packages from the production image.",
)
def test_packages(state: DeviceState, ctx: CheckContext) -> Finding:
    if isinstance(state.packages, Unavailable):
        return unavailable(state.packages, "installed test packages")
    deny = _compiled(TEST_PACKAGE_PATTERNS + ctx.str_list_param("test_packages", "deny"))
    allow = _compiled(ctx.str_list_param("test_packages", "allow"))
    found = [
        pkg
        for pkg in state.packages.value.packages
        if deny is not None
        and deny.fullmatch(pkg.name)
        and not (allow is not None and allow.fullmatch(pkg.name))
    ]
    gap = package_list_gap(state)  # an unreadable entry may be the test app
    if not found:
        clean = (
            f"none of {len(state.packages.value.packages)} packages "
            "is a known test or engineering app"
        )
        if gap is not None:
            return Finding(Status.WARN, f"{gap[0]}; {clean}", tuple(gap[1]))
        return Finding(Status.PASS, clean)
    evidence = [
        EvidenceItem(f"installed: {pkg.name}", state.packages.origin.at(pkg.line))
        for pkg in sorted(found, key=lambda p: p.name)
    ]
    detail = f"{len(found)} test/engineering package(s) installed"
    if gap is not None:
        detail += f"; {gap[0]}"
        evidence += gap[1]
    return Finding(Status.FAIL, detail, tuple(evidence))


CHECKS = tuple(_registry.checks)
