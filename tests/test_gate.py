"""The gate verdict: PASS / FAIL / ERROR and the one-line form a line controller reads."""

from __future__ import annotations

from handsetguard.checks.model import CheckId, CheckResult, Severity, Status
from handsetguard.gate import Verdict, gate_verdict, verdict_line


def result(check_id: str, status: Status, detail: str = "") -> CheckResult:
    return CheckResult(CheckId(check_id), status, Severity.HIGH, check_id, detail, (), "", ())


CHECKS = (
    result("a", Status.PASS),
    result("b", Status.FAIL, "b is off"),
    result("c", Status.WARN, "c is old"),
    result("d", Status.NOT_ASSESSED, "no d section"),
)


def test_fail_names_each_failing_check_and_why() -> None:
    gate = gate_verdict(CHECKS, None, not_assessed_fails=False)
    assert gate.verdict is Verdict.FAIL
    assert gate.failing == ("b",)
    assert gate.reasons == ("b: b is off",)
    assert verdict_line(gate, "SER 1", "Model X") == "FAIL SER_1 Model_X b"


def test_warn_threshold_and_unknown_counting_as_failed() -> None:
    gate = gate_verdict(CHECKS, "warn", not_assessed_fails=True)
    assert gate.failing == ("b", "c", "d(not_assessed)")
    assert gate.reasons[-1] == "d(not_assessed): no d section"
    assert gate.threshold == "warn"


def test_pass() -> None:
    gate = gate_verdict(CHECKS[:1], "fail", not_assessed_fails=True)
    assert gate.verdict is Verdict.PASS
    assert verdict_line(gate, None, None) == "PASS - -"


def test_a_collection_cut_short_is_error_never_fail() -> None:
    errors = ["'dumpsys package' timed out after 30 s", "'ps -A'\nconnection reset"]
    gate = gate_verdict(CHECKS, "fail", not_assessed_fails=True, collection_errors=errors)
    assert gate.verdict is Verdict.ERROR
    assert gate.failing == ()
    line = verdict_line(gate, "R58M123", "SM-A525F")
    assert line == (
        "ERROR R58M123 SM-A525F: 'dumpsys package' timed out after 30 s; 'ps -A' connection reset"
    )
    assert "\n" not in line
