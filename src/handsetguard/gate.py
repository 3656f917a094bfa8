"""The pass/fail gate over check results: which checks reach a ``--fail-on`` threshold, the
PASS / FAIL / ERROR verdict a profile with a ``[gate]`` leads its report with, and the one-line
form a factory line controller reads (``PASS serial model`` / ``FAIL serial model a,b`` /
``ERROR serial model: what failed``).

Threat findings fail a gate whatever its threshold: an indicator match of any confidence, and a
behaviour finding (an app whose behaviour score reached the finding threshold), each as
``threat:<package>`` in ``failing`` with the finding's summary as its reason.

``ERROR`` is its own verdict: a unit whose collection was cut short (timeout, unplug, a dead adb
server) was not judged, so it is never ``FAIL`` — a cable must not reject a good unit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from handsetguard.checks.model import CheckResult, Status
from handsetguard.records import record
from handsetguard.threats.model import Threat

__all__ = [
    "GateVerdict",
    "Verdict",
    "failing_checks",
    "failing_threats",
    "gate_verdict",
    "threat_id",
    "verdict_line",
]


class Verdict(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"


@record
class GateVerdict:
    verdict: Verdict
    failing: tuple[str, ...]  # check ids, "id(not_assessed)" when unknown counts as failed
    reasons: tuple[str, ...]  # one line per failing check, or per command that was cut short
    threshold: str  # "fail" or "warn"


def failing_checks(
    checks: Iterable[CheckResult], fail_on: str | None, not_assessed_fails: bool
) -> list[str]:
    """Ids of checks at or beyond ``fail_on`` ("warn" or "fail"; None means "fail");
    not-assessed checks count, marked ``(not_assessed)``, when the profile's gate says so."""
    checks = tuple(checks)
    statuses = {Status.FAIL} if fail_on in (None, "fail") else {Status.FAIL, Status.WARN}
    failing: list[str] = [r.id for r in checks if r.status in statuses]
    if not_assessed_fails:
        failing += [f"{r.id}(not_assessed)" for r in checks if r.status is Status.NOT_ASSESSED]
    return failing


def threat_id(threat: Threat) -> str:
    """``threat:<package>`` (``threat:device`` for a device-wide match)."""
    return f"threat:{threat.package or 'device'}"


def failing_threats(threats: Iterable[Threat]) -> list[tuple[str, str]]:
    """``(threat:<package>, summary)`` for every finding: the engine only reports behaviour
    findings at or above the threshold, and every indicator match fails."""
    failing: dict[str, str] = {}
    for threat in threats:
        failing.setdefault(threat_id(threat), threat.summary)
    return list(failing.items())


def gate_verdict(
    checks: Iterable[CheckResult],
    fail_on: str | None,
    not_assessed_fails: bool,
    collection_errors: Iterable[str] = (),
    threats: Iterable[Threat] = (),
) -> GateVerdict:
    checks = tuple(checks)
    threshold = fail_on or "fail"
    errors = tuple(collection_errors)
    if errors:
        return GateVerdict(Verdict.ERROR, (), errors, threshold)
    failing = failing_checks(checks, fail_on, not_assessed_fails)
    by_id: dict[str, CheckResult] = {r.id: r for r in checks}
    reasons = [f"{item}: {by_id[item.removesuffix('(not_assessed)')].detail}" for item in failing]
    for item, summary in failing_threats(threats):
        failing.append(item)
        reasons.append(f"{item}: {summary}")
    verdict = Verdict.FAIL if failing else Verdict.PASS
    return GateVerdict(verdict, tuple(failing), tuple(reasons), threshold)


def _token(value: str | None) -> str:
    """A field of the verdict line: no spaces, '-' when unknown."""
    return "-" if not value else "_".join(value.split())


def verdict_line(gate: GateVerdict, serial: str | None, model: str | None) -> str:
    unit = f"{_token(serial)} {_token(model)}"
    if gate.verdict is Verdict.ERROR:
        return f"ERROR {unit}: {'; '.join(' '.join(r.split()) for r in gate.reasons)}"
    if gate.verdict is Verdict.FAIL:
        return f"FAIL {unit} {','.join(gate.failing)}"
    return f"PASS {unit}"
