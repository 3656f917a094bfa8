"""A small hand-built Report for the renderer tests, and golden-file comparison.

The report is synthetic on purpose: renderers only format, so what matters is that every kind of
value appears (each status, capped rating, background/refused access, missing and broken sections,
a ``|`` in a detail), not that it came from a real phone.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from handsetguard.checks.model import CheckId, CheckResult, EvidenceItem, Severity, Status
from handsetguard.device import DeviceIdentity, TimeBasis
from handsetguard.evidence import CoverageEntry, CoverageStatus, Provenance, SourceKind
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import Coverage, Level, Rating
from handsetguard.report.model import Report
from handsetguard.threats.advice import SAFETY_ADVICE
from handsetguard.threats.model import Confidence, Match, Reason, Threat, ThreatKind

GOLDEN = Path(__file__).resolve().parent / "golden"
IST = timezone(timedelta(hours=5, minutes=30))
ZIP = "bugreport-panther-UQ1A.240205.004-2025-11-23-10-44-46.zip"
MAIN = f"{ZIP}!bugreport-panther-UQ1A.240205.004-2025-11-23-10-44-46.txt"


def _check(
    check_id: str,
    status: Status,
    severity: Severity,
    title: str,
    detail: str,
    evidence: tuple[EvidenceItem, ...] = (),
    remediation: str = "",
    references: tuple[str, ...] = (),
) -> CheckResult:
    return CheckResult(
        CheckId(check_id),
        status,
        severity,
        title,
        detail,
        evidence,
        remediation,
        references,
        _NAMES[check_id],
    )


# The checks' neutral names; titles below are each outcome's headline, as the registry gives.
_NAMES = {
    "encryption": "Storage encryption",
    "os_patch_level": "Security patch level",
    "bootloader_locked": "Bootloader lock",
    "screen_lock": "Screen lock",
    "usb_debugging": "USB and wireless debugging",
    "selinux_enforcing": "SELinux mode",
    "auto_time": "Automatic time",
}


# Deliberately not in failed-first order: the renderers must order them.
CHECKS = (
    _check(
        "encryption",
        Status.PASS,
        Severity.CRITICAL,
        "Storage is encrypted",
        "File-based encryption is active.",
        (EvidenceItem("ro.crypto.type=file", Provenance(MAIN, 812)),),
        "Encrypt the phone in Settings > Security.",
    ),
    _check(
        "os_patch_level",
        Status.WARN,
        Severity.HIGH,
        "Security patch is getting old",
        "Patch level 2025-06-05 is 171 days old (warn after 90 days, fail after 180).",
        (EvidenceItem("ro.build.version.security_patch=2025-06-05", Provenance(MAIN, 845)),),
        "Install the latest system update in Settings > System > Software update.",
        ("https://source.android.com/docs/security/bulletin",),
    ),
    _check(
        "bootloader_locked",
        Status.FAIL,
        Severity.CRITICAL,
        "Bootloader is unlocked",
        "The bootloader is unlocked: anyone holding the phone can install other software.",
        (
            EvidenceItem("ro.boot.flash.locked=0", Provenance(MAIN, 790)),
            EvidenceItem("ro.boot.verifiedbootstate=orange", Provenance(MAIN, 799)),
        ),
        "Re-lock the bootloader with `fastboot flashing lock` (this erases the phone).",
    ),
    _check(
        "screen_lock",
        Status.NOT_ASSESSED,
        Severity.HIGH,
        "Screen lock unknown",
        "dumpsys lock_settings is missing from the input.",
    ),
    _check(
        "usb_debugging",
        Status.FAIL,
        Severity.HIGH,
        "USB debugging is on",
        "adb_enabled=1 | adb over Wi-Fi is off",
        (
            EvidenceItem("global adb_enabled=1", Provenance(f"{ZIP}!settings_global.txt", 3)),
            EvidenceItem("unlocated fact"),
        ),
        "Turn off Settings > System > Developer options > USB debugging.",
    ),
    _check(
        "selinux_enforcing",
        Status.PASS,
        Severity.CRITICAL,
        "SELinux is enforcing",
        "SELinux is in enforcing mode.",
        (EvidenceItem("getenforce: Enforcing", Provenance(MAIN, 77)),),
    ),
    _check("auto_time", Status.PASS, Severity.LOW, "Time is set automatically", "auto_time=1"),
)

APPS = (
    AppPrivacy("com.example.quiet", "com.android.vending", False, (), {}),
    AppPrivacy(
        "com.example.snapcam",
        "com.android.vending",
        False,
        ("android.permission.CAMERA", "android.permission.RECORD_AUDIO"),
        {
            Category.CAMERA: CategoryAccess(3, datetime(2025, 11, 23, 10, 40, tzinfo=IST), 2, 1, 0),
            Category.MICROPHONE: CategoryAccess(
                2, datetime(2025, 11, 22, 18, 5, tzinfo=IST), 2, 0, 1
            ),
        },
    ),
    AppPrivacy(
        "com.whatsapp",
        None,
        None,
        ("android.permission.ACCESS_FINE_LOCATION",),
        {
            Category.LOCATION: CategoryAccess(
                5, datetime(2025, 11, 23, 9, 12, tzinfo=IST), 2, 3, 0
            ),
            Category.CONTACTS: CategoryAccess(1, None, 1, 0, 0),
            Category.CALENDAR: CategoryAccess(1, datetime(2025, 11, 1, 8, 0, tzinfo=IST), 1, 0, 0),
        },
    ),
)

COVERAGE = (
    CoverageEntry("getprop", CoverageStatus.PARSED, provenance=Provenance(MAIN, 700)),
    CoverageEntry("dumpsys:package", CoverageStatus.PARSED, provenance=Provenance(MAIN, 5000)),
    CoverageEntry(
        "dumpsys:device_policy",
        CoverageStatus.ERROR,
        "unexpected line 'Device Owner: {'",
        Provenance(MAIN, 9120),
    ),
    CoverageEntry(
        "dumpsys:lock_settings", CoverageStatus.MISSING, "no DUMP OF SERVICE lock_settings section"
    ),
)

DEVICE = DeviceIdentity(
    manufacturer="Google",
    brand="google",
    model="Pixel 7",
    device="panther",
    android_version="14",
    sdk=34,
    security_patch="2025-06-05",
    vendor_security_patch="2025-05-05",
    build_fingerprint="google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys",
    build_type="user",
    build_tags="release-keys",
)


# A certain indicator match and a behaviour finding, as the engine orders them.
THREATS = (
    Threat(
        package="com.spy.truth",
        kind=ThreatKind.INDICATOR,
        confidence=Confidence.CERTAIN,
        score=100,
        summary="This app is known stalkerware (TheTruthSpy).",
        matches=(
            Match(
                "app:id",
                "com.spy.truth",
                "stalkerware-indicators",
                "indicator--3c5f",
                "TheTruthSpy",
                "CC-BY-4.0",
                (EvidenceItem("Package [com.spy.truth]", Provenance(MAIN, 5120)),),
            ),
        ),
    ),
    Threat(
        package="com.android.sys.update",
        kind=ThreatKind.BEHAVIOUR,
        confidence=Confidence.HEURISTIC,
        score=85,
        summary="This app can read your screen, hides its icon and used your location in "
        "the background.",
        reasons=(
            Reason(
                "accessibility",
                "can read everything on your screen and act for you (an accessibility service)",
                25,
                (EvidenceItem("accessibility service enabled: x/.A", Provenance(MAIN, 8001)),),
            ),
            Reason(
                "hidden_icon",
                "hides its icon from the list of apps",
                25,
                (
                    EvidenceItem(
                        "MAIN activity com.android.sys.update.Main", Provenance(MAIN, 4100)
                    ),
                    EvidenceItem(
                        "disabled for user 0: com.android.sys.update.Main", Provenance(MAIN, 5302)
                    ),
                ),
            ),
            Reason("poses_as_system", "has a name that looks like part of Android", 20, ()),
            Reason("background_location", "used your location in the background", 15, ()),
        ),
    ),
)


def with_threats(**changes: Any) -> Report:
    """The sample report with :data:`THREATS` and their advice (and any other change)."""
    rating = build_report().rating
    capped = dataclasses.replace(rating, capped_by=(*rating.capped_by, "threat:com.spy.truth"))
    defaults = {"threats": THREATS, "advice": SAFETY_ADVICE, "rating": capped}
    return build_report(**(defaults | changes))


def build_report(**changes: Any) -> Report:
    """The sample report, with any field replaced (``build_report(checks=(...))``)."""
    acquired = datetime(2025, 11, 23, 10, 44, 46, tzinfo=IST)
    report = Report(
        tool_version="0.1.0",
        source_kind=SourceKind.BUGREPORT_ZIP,
        source_path=f"/cases/{ZIP}",
        acquired_at=acquired,
        acquired_at_origin=f"dumpstate header of {MAIN}",
        evaluated_as_of=acquired,
        time_basis=TimeBasis.ACQUISITION,
        timezone="Asia/Kolkata",
        device=DEVICE,
        profile="consumer",
        rating=Rating(
            Level.POOR,
            49,
            ("bootloader_locked", "usb_debugging"),
            6,
            coverage=Coverage(
                6, 7, 45, 55, ("screen_lock",), False, "every critical check and 60% of the weight"
            ),
            forced=True,
        ),
        checks=CHECKS,
        apps=APPS,
        apps_unavailable=None,
        coverage=COVERAGE,
    )
    return dataclasses.replace(report, **changes)


@pytest.fixture
def report() -> Report:
    return build_report()


@pytest.fixture
def make_report() -> Callable[..., Report]:
    """``make_report(apps=...)``: the sample report with some fields replaced."""
    return build_report


def _normalise(text: str) -> str:
    # Trailing spaces are padding, not content; editors strip them from committed files.
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare text to ``golden/NAME``; rewrite the file instead when ``UPDATE_GOLDEN=1``."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        actual = _normalise(actual)
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} missing: run with UPDATE_GOLDEN=1 to create it")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, (
            f"output differs from {path}; if the change is intended, rerun with UPDATE_GOLDEN=1 "
            "and review the diff"
        )

    return check
