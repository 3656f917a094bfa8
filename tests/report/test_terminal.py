"""The terminal renderer on a fixed-width colourless console: golden snapshots and key properties.

Regenerate the goldens after an intended change with ``UPDATE_GOLDEN=1 pytest tests/report``
and review the diff of ``tests/report/golden/``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from rich.console import Console

from handsetguard.device import TimeBasis
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import Level, Rating
from handsetguard.report.model import Report
from handsetguard.report.present import access_text
from handsetguard.report.terminal import render_terminal

Golden = Callable[[str, str], None]
MakeReport = Callable[..., Report]


def _console(width: int = 100) -> Console:
    return Console(
        width=width, color_system=None, record=True, file=io.StringIO(), force_terminal=False
    )


def _render(report: Report, *, verbose: bool = False) -> str:
    console = _console()
    render_terminal(report, console, verbose=verbose)
    return console.export_text()


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines()):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in output:\n{text}")


def test_report_matches_golden(report: Report, golden: Golden) -> None:
    golden("terminal_report.txt", _render(report))


def test_verbose_report_matches_golden(report: Report, golden: Golden) -> None:
    golden("terminal_report_verbose.txt", _render(report, verbose=True))


def test_checks_are_ordered_fail_warn_not_assessed_pass(report: Report) -> None:
    text = _render(report)
    lines = [
        _line_of(text, title)
        for title in (
            "Bootloader is unlocked",
            "USB debugging is on",
            "Security patch is",
            "Screen lock unknown",
            "Storage is",
            "SELinux is",
            "Time is set",
        )
    ]
    assert lines == sorted(lines)
    assert _line_of(text, "✗ fail") < _line_of(text, "! warn") < _line_of(text, "? not assessed")
    assert _line_of(text, "? not assessed") < _line_of(text, "✓ pass")


def test_remediation_and_evidence_shown_for_problems_only(report: Report) -> None:
    text = _render(report)
    assert "Fix: Re-lock the bootloader" in text
    assert "Fix: Turn off Settings > System >" in text
    assert "• ro.boot.flash.locked=0" in text
    # A passing check's remediation and evidence stay out of the default view ...
    assert "Encrypt the phone" not in text
    assert "ro.crypto.type=file" not in text
    # ... and the verbose view adds its evidence and the references.
    verbose = _render(report, verbose=True)
    assert "ro.crypto.type=file" in verbose
    assert "↗ https://source.android.com/" in verbose
    assert "Encrypt the phone" not in verbose


def test_header_and_rating(report: Report) -> None:
    text = _render(report)
    assert "Google Pixel 7 (panther)" in text
    assert "Android 14 (API 34)" in text
    assert "2025-06-05 (vendor 2025-05-05)" in text
    assert "Rating POOR  49/100  " + "█" * 15 + "░" * 15 in text
    assert "capped by: bootloader_locked, usb_debugging" in text
    assert "profile consumer · assessed 6 of 7 checks, 81% of the weight" in text
    assert "Rated on partial evidence" in text
    assert "2025-11-23 10:44:46 +05:30 (acquisition time recorded in the input)" in text


@pytest.mark.parametrize(
    ("basis", "acquired", "wording"),
    [
        (TimeBasis.NOW, None, "(no acquisition time recorded: evaluated as of now)"),
        (TimeBasis.OVERRIDE, datetime(2025, 11, 23, 5, 0, tzinfo=UTC), "(--as-of override)"),
    ],
)
def test_time_basis_is_explained(
    make_report: MakeReport, basis: TimeBasis, acquired: datetime | None, wording: str
) -> None:
    report = make_report(
        time_basis=basis,
        acquired_at=acquired,
        acquired_at_origin=None if acquired is None else "x",
        evaluated_as_of=datetime(2025, 12, 1, 8, 30, tzinfo=UTC),
    )
    text = _render(report)
    assert f"2025-12-01 08:30:00 UTC {wording}" in text
    if acquired is None:
        assert "Acquired         not recorded in the input" in text


def test_not_rated_and_uncapped(make_report: MakeReport) -> None:
    text = _render(make_report(rating=Rating(Level.NOT_RATED, None, (), 0)))
    assert "Rating NOT RATED  –/100" in text
    assert "capped by" not in text


def test_apps_unavailable_and_coverage(make_report: MakeReport) -> None:
    text = _render(make_report(apps=(), apps_unavailable="dumpsys appops missing from x.zip"))
    assert "App access not available: dumpsys appops missing from x.zip" in text
    assert "missing  dumpsys:lock_settings — no DUMP OF SERVICE lock_settings section" in text
    assert "error    dumpsys:device_policy — unexpected line 'Device Owner: {'" in text
    assert _line_of(text, "missing  dumpsys") < _line_of(text, "error    dumpsys")


def test_data_is_not_interpreted_as_rich_markup(make_report: MakeReport) -> None:
    app = AppPrivacy(
        "[bold]com.evil[/bold]", None, None, (), {Category.CAMERA: CategoryAccess(1, None, 1, 0, 0)}
    )
    text = _render(make_report(apps=(app,)))
    assert "[bold]com.evil[/bold]" in text


def test_access_text() -> None:
    last = datetime(2025, 11, 23, 10, 40, tzinfo=UTC)
    assert access_text(CategoryAccess(3, last, 0, 1, 2)) == "3 (1 bg, 2 rej) · 2025-11-23 10:40"
    assert access_text(CategoryAccess(4, None, 4, 0, 0)) == "4"
    assert access_text(CategoryAccess(0, None, 0, 0, 2)) == "0 (2 rej)"


def test_gate_verdict_leads_the_report(make_report: MakeReport) -> None:
    from handsetguard.gate import GateVerdict, Verdict

    gate = GateVerdict(Verdict.FAIL, ("usb_debugging",), ("usb_debugging: adb is enabled",), "fail")
    text = _render(make_report(gate=gate, profile="factory"))
    after_header = text.split("╯\n", 1)[1]
    assert after_header.startswith("Verdict  FAIL   1 check failed the factory gate")
    assert "• usb_debugging: adb is enabled" in after_header
    assert _line_of(text, "Verdict  FAIL") < _line_of(text, "Rating POOR")


def test_error_verdict_says_the_unit_was_not_judged(make_report: MakeReport) -> None:
    from handsetguard.gate import GateVerdict, Verdict

    error = "'dumpsys package' timed out after 30 s"
    gate = GateVerdict(Verdict.ERROR, (), (error,), "fail")
    text = _render(make_report(gate=gate, collection_errors=(error,)))
    assert "Verdict  ERROR   the unit could not be judged" in text
    assert "The collection from the phone was cut short: 'dumpsys package' timed out" in text


def test_incomplete_level_lists_what_could_not_be_checked(make_report: MakeReport) -> None:
    from handsetguard.profiles.rating import Coverage

    rating = Rating(
        Level.INCOMPLETE,
        100,
        (),
        1,
        coverage=Coverage(1, 7, 10, 55, ("screen_lock",), False, "every critical check and 60%"),
    )
    text = _render(make_report(rating=rating))
    assert "Rating INCOMPLETE  100/100 of what was checked" in text
    assert "Too little could be checked to rate this phone" in text
    assert "assessed 1 of 7 checks, 18% of the weight" in text
    assert "Could not be checked:" in text
    assert "? Screen lock (high): dumpsys lock_settings is missing from the input." in text
    assert "Nothing to fix" not in text


def test_a_recorded_clock_that_was_never_set_is_said(make_report: MakeReport) -> None:
    report = make_report(
        acquired_at=None,
        acquired_at_origin=None,
        time_basis=TimeBasis.NOW,
        clock_unset="1980-01-06 00:00:41 (dumpstate header of dump.txt)",
    )
    text = _render(report)
    assert "recorded 1980-01-06 00:00:41 (dumpstate header of dump.txt), clock not set" in text
    assert "not recorded in the input" not in text
    assert "The phone's clock was not set when this was recorded" in text
