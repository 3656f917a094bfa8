"""The check contract: a pure function of DeviceState returning a CheckResult with evidence."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime

from handsetguard.device import DeviceState, TimeBasis
from handsetguard.evidence import Provenance
from handsetguard.records import field, record

__all__ = [
    "Check",
    "CheckContext",
    "CheckId",
    "CheckResult",
    "SEVERITY_ORDER",
    "STATUS_ORDER",
    "EvidenceItem",
    "Finding",
    "Severity",
    "Status",
    "Titles",
]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import NewType

    CheckId = NewType("CheckId", str)
else:
    CheckId = str  # what NewType's callable returns: the string itself


class Status(enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NOT_ASSESSED = "not_assessed"


STATUS_ORDER = {Status.FAIL: 0, Status.WARN: 1, Status.NOT_ASSESSED: 2, Status.PASS: 3}
"""Report order: what needs attention first."""


class Severity(enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = {severity: index for index, severity in enumerate(Severity)}
"""Report order within a status: the most serious first."""


@record
class EvidenceItem:
    """One fact a result rests on, e.g. ``ro.boot.flash.locked=0``, and where it was read."""

    fact: str
    location: Provenance | None = None


@record
class CheckContext:
    """What a check may depend on besides the device: the evaluation time and profile params."""

    as_of: datetime
    time_basis: TimeBasis
    params: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def param(self, check: str, name: str, default: object) -> object:
        return self.params.get(check, {}).get(name, default)

    def int_param(self, check: str, name: str, default: int) -> int:
        value = self.param(check, name, default)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def str_list_param(self, check: str, name: str) -> tuple[str, ...]:
        value = self.param(check, name, ())
        if isinstance(value, list | tuple):
            return tuple(str(item) for item in value)
        return ()


@record
class Finding:
    """What a check function returns; the registry adds id, title, severity and references."""

    status: Status
    detail: str
    evidence: tuple[EvidenceItem, ...] = ()
    title: str | None = None  # a more precise headline than the outcome's ("… is orange")


@record
class Titles:
    """What a check is called, and the headline it shows for each outcome: the finding, never
    the wanted state ("Bootloader is unlocked", not "Bootloader is locked", on a failure)."""

    name: str  # neutral: "Bootloader lock"
    passed: str  # "Bootloader is locked"
    failed: str  # "Bootloader is unlocked"
    unknown: str  # "Bootloader lock state unknown"
    warned: str | None = None  # partly met / grace period; None: the check never warns

    def for_status(self, status: Status) -> str:
        if status is Status.PASS:
            return self.passed
        if status is Status.FAIL:
            return self.failed
        if status is Status.WARN:
            return self.warned or self.failed
        return self.unknown


@record
class CheckResult:
    id: CheckId
    status: Status
    severity: Severity
    title: str  # the outcome's headline (Titles.for_status)
    detail: str
    evidence: tuple[EvidenceItem, ...]
    remediation: str
    references: tuple[str, ...]
    name: str = ""  # the check's neutral name


@record
class Check:
    """A registered check: metadata plus the pure function that assesses it."""

    id: CheckId
    titles: Titles
    severity: Severity
    remediation: str
    references: tuple[str, ...]
    assess: Callable[[DeviceState, CheckContext], Finding]
    default_enabled: bool = True  # False: runs only when a profile enables it (factory checks)

    def run(
        self, state: DeviceState, context: CheckContext, severity: Severity | None = None
    ) -> CheckResult:
        finding = self.assess(state, context)
        return CheckResult(
            id=self.id,
            status=finding.status,
            severity=severity or self.severity,
            title=finding.title or self.titles.for_status(finding.status),
            detail=finding.detail,
            evidence=finding.evidence,
            remediation=self.remediation,
            references=self.references,
            name=self.titles.name,
        )
