"""The report: everything a renderer shows, computed once; renderers only format it."""

from __future__ import annotations

from datetime import datetime

from handsetguard.checks.model import CheckResult
from handsetguard.device import DeviceIdentity, TimeBasis
from handsetguard.evidence import CoverageEntry, SourceKind
from handsetguard.gate import GateVerdict
from handsetguard.inventory import Inventory
from handsetguard.privacy import AppPrivacy
from handsetguard.profiles.rating import Rating
from handsetguard.records import record
from handsetguard.threats.model import Threat

__all__ = ["SCHEMA_VERSION", "Report"]

SCHEMA_VERSION = "handsetguard.report/1"


@record
class Report:
    tool_version: str
    source_kind: SourceKind
    source_path: str
    acquired_at: datetime | None
    acquired_at_origin: str | None
    evaluated_as_of: datetime
    time_basis: TimeBasis
    timezone: str | None
    device: DeviceIdentity
    profile: str
    rating: Rating
    checks: tuple[CheckResult, ...]
    apps: tuple[AppPrivacy, ...]
    apps_unavailable: str | None
    coverage: tuple[CoverageEntry, ...]
    gate: GateVerdict | None = None  # with a [gate] profile or --fail-on: the report's headline
    collection_errors: tuple[str, ...] = ()  # live commands cut short: the input is partial
    clock_unset: str | None = None  # a recorded acquisition time from a clock that was never set
    threats: tuple[Threat, ...] = ()  # spyware/stalkerware findings, most serious first
    advice: tuple[str, ...] = ()  # safety advice shown with every threat (none: --safe-output)
    safe_output: bool = False  # --safe-output: nothing that would alert whoever installed an app
    inventory: Inventory | None = None  # what `diff` compares between acquisitions
