"""The pass/fail gate over a report: which checks reach a ``--fail-on`` threshold, and the
one-line verdict a factory line controller reads (``PASS serial model`` / ``FAIL … a,b``)."""

from __future__ import annotations

from handsetguard.checks.model import Status
from handsetguard.report.model import Report

__all__ = ["failing_checks", "verdict_line"]


def failing_checks(report: Report, fail_on: str | None, not_assessed_fails: bool) -> list[str]:
    """Ids of checks at or beyond ``fail_on`` ("warn" or "fail"; None means "fail");
    not-assessed checks count, marked ``(not_assessed)``, when the profile's gate says so."""
    statuses = {Status.FAIL} if fail_on in (None, "fail") else {Status.FAIL, Status.WARN}
    failing: list[str] = [r.id for r in report.checks if r.status in statuses]
    if not_assessed_fails:
        failing += [
            f"{r.id}(not_assessed)" for r in report.checks if r.status is Status.NOT_ASSESSED
        ]
    return failing


def _token(value: str | None) -> str:
    """A field of the verdict line: no spaces, '-' when unknown."""
    return "-" if not value else "_".join(value.split())


def verdict_line(report: Report, failing: list[str], serial: str | None = None) -> str:
    unit = f"{_token(serial or report.device.serial)} {_token(report.device.model)}"
    if failing:
        return f"FAIL {unit} {','.join(failing)}"
    return f"PASS {unit}"
