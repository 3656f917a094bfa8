"""The diff's data: changes keyed by a stable identity, grouped per facet, each classed and
graded; serialised as ``handsetguard.diff/1`` (JSON Schema in diff.schema.json)."""

from __future__ import annotations

import enum
from collections.abc import Mapping

from handsetguard.checks.model import SEVERITY_ORDER, Severity
from handsetguard.errors import HandsetGuardError
from handsetguard.records import record

__all__ = [
    "CONCERN",
    "DIFF_SCHEMA_VERSION",
    "Change",
    "ChangeKind",
    "Diff",
    "DiffError",
    "DifferentDevices",
    "Facet",
    "IdentityCheck",
    "Severity",
    "Side",
]

DIFF_SCHEMA_VERSION = "handsetguard.diff/1"

CONCERN = frozenset({Severity.CRITICAL, Severity.HIGH})
"""A change of concern: critical or high (``handsetguard diff`` exits 1 when there is one)."""

JsonValue = object


class DiffError(HandsetGuardError):
    """Two documents cannot be diffed (not a report, wrong schema)."""


class DifferentDevices(DiffError):
    """The two documents describe different devices; ``force=True`` compares them anyway."""

    def __init__(self, message: str, mismatches: tuple[IdentityCheck, ...]) -> None:
        super().__init__(message, remediation="pass --force to compare them anyway")
        self.mismatches = mismatches


class ChangeKind(enum.Enum):
    """The class of a change: a stable id (the enum value) and its words (``label``)."""

    # packages
    APP_INSTALLED = "app_installed"
    APP_REMOVED = "app_removed"
    SIGNER_CHANGED = "signer_changed"
    APP_UPDATED = "app_updated"
    APP_DOWNGRADED = "app_downgraded"
    INSTALLER_CHANGED = "installer_changed"
    # granted dangerous permissions
    PERMISSION_GRANTED = "permission_granted"
    PERMISSION_REVOKED = "permission_revoked"
    # enabled components
    ACCESSIBILITY_ENABLED = "accessibility_enabled"
    ACCESSIBILITY_DISABLED = "accessibility_disabled"
    LISTENER_ENABLED = "listener_enabled"
    LISTENER_DISABLED = "listener_disabled"
    ADMIN_ADDED = "admin_added"
    ADMIN_REMOVED = "admin_removed"
    DEVICE_OWNER_CHANGED = "device_owner_changed"  # an owner that was not there (new or other)
    OWNER_REMOVED = "owner_removed"
    # settings
    SETTING_CHANGED = "setting_changed"
    # trusted adb keys
    ADB_KEY_ADDED = "adb_key_added"
    ADB_KEY_REMOVED = "adb_key_removed"
    # check outcomes
    CHECK_REGRESSED = "check_regressed"
    CHECK_IMPROVED = "check_improved"
    CHECK_NOW_UNASSESSED = "check_now_unassessed"
    CHECK_NOW_ASSESSED = "check_now_assessed"
    CHECK_ADDED = "check_added"
    CHECK_DROPPED = "check_dropped"
    # threat findings
    THREAT_NEW = "threat_new"
    THREAT_GONE = "threat_gone"
    THREAT_CHANGED = "threat_changed"
    # patch levels, build and boot
    PATCH_BACKWARDS = "patch_backwards"
    PATCH_ADVANCED = "patch_advanced"
    PATCH_UNKNOWN = "patch_unknown"
    BUILD_CHANGED = "build_changed"
    BOOTLOADER_UNLOCKED = "bootloader_unlocked"
    BOOTLOADER_LOCKED = "bootloader_locked"
    VERIFIED_BOOT_CHANGED = "verified_boot_changed"
    # rating
    LEVEL_DROPPED = "level_dropped"
    LEVEL_ROSE = "level_rose"
    SCORE_DROPPED = "score_dropped"
    SCORE_ROSE = "score_rose"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ChangeKind.APP_INSTALLED: "app installed",
    ChangeKind.APP_REMOVED: "app removed",
    ChangeKind.SIGNER_CHANGED: "same package, different signer",
    ChangeKind.APP_UPDATED: "app updated",
    ChangeKind.APP_DOWNGRADED: "app version went backwards",
    ChangeKind.INSTALLER_CHANGED: "installed by a different installer",
    ChangeKind.PERMISSION_GRANTED: "dangerous permission granted",
    ChangeKind.PERMISSION_REVOKED: "dangerous permission revoked",
    ChangeKind.ACCESSIBILITY_ENABLED: "new accessibility service",
    ChangeKind.ACCESSIBILITY_DISABLED: "accessibility service disabled",
    ChangeKind.LISTENER_ENABLED: "new notification listener",
    ChangeKind.LISTENER_DISABLED: "notification listener removed",
    ChangeKind.ADMIN_ADDED: "new device admin",
    ChangeKind.ADMIN_REMOVED: "device admin removed",
    ChangeKind.DEVICE_OWNER_CHANGED: "new device or profile owner",
    ChangeKind.OWNER_REMOVED: "device or profile owner removed",
    ChangeKind.SETTING_CHANGED: "security setting changed",
    ChangeKind.ADB_KEY_ADDED: "new trusted adb key",
    ChangeKind.ADB_KEY_REMOVED: "trusted adb key removed",
    ChangeKind.CHECK_REGRESSED: "check outcome got worse",
    ChangeKind.CHECK_IMPROVED: "check outcome got better",
    ChangeKind.CHECK_NOW_UNASSESSED: "check no longer assessed",
    ChangeKind.CHECK_NOW_ASSESSED: "check now assessed",
    ChangeKind.CHECK_ADDED: "check only in the newer report",
    ChangeKind.CHECK_DROPPED: "check only in the older report",
    ChangeKind.THREAT_NEW: "new threat finding",
    ChangeKind.THREAT_GONE: "threat finding gone",
    ChangeKind.THREAT_CHANGED: "threat finding changed",
    ChangeKind.PATCH_BACKWARDS: "patch level went backwards",
    ChangeKind.PATCH_ADVANCED: "patch level advanced",
    ChangeKind.PATCH_UNKNOWN: "patch level no longer known",
    ChangeKind.BUILD_CHANGED: "build changed",
    ChangeKind.BOOTLOADER_UNLOCKED: "bootloader unlocked since",
    ChangeKind.BOOTLOADER_LOCKED: "bootloader locked since",
    ChangeKind.VERIFIED_BOOT_CHANGED: "verified boot state changed",
    ChangeKind.LEVEL_DROPPED: "rating level dropped",
    ChangeKind.LEVEL_ROSE: "rating level rose",
    ChangeKind.SCORE_DROPPED: "score dropped",
    ChangeKind.SCORE_ROSE: "score rose",
}


@record
class Change:
    """One change: ``key`` is its stable identity within the facet (a package name, a
    component, ``namespace:name`` of a setting, a check id, …); ``old``/``new`` are the values
    on each side (``None``: absent there); ``detail`` one plain sentence about it."""

    facet: str
    key: str
    kind: ChangeKind
    severity: Severity
    old: JsonValue
    new: JsonValue
    detail: str

    @property
    def of_concern(self) -> bool:
        return self.severity in CONCERN

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "facet": self.facet,
            "key": self.key,
            "kind": self.kind.value,
            "label": self.kind.label,
            "severity": self.severity.value,
            "old": self.old,
            "new": self.new,
            "detail": self.detail,
        }


@record
class Facet:
    """One compared part of the reports. Not comparable (``comparable`` False, ``reason`` says
    which side lacks what) when either side does not have the section: no changes then."""

    name: str
    title: str
    comparable: bool
    reason: str | None
    changes: tuple[Change, ...] = ()

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "name": self.name,
            "title": self.title,
            "comparable": self.comparable,
            "reason": self.reason,
            "changes": [change.to_json() for change in self.changes],
        }


@record
class IdentityCheck:
    """One identity field compared between the two sides (``match`` None: not known on both)."""

    field: str
    old: str | None
    new: str | None
    match: bool | None

    def to_json(self) -> dict[str, JsonValue]:
        return {"field": self.field, "old": self.old, "new": self.new, "match": self.match}


@record
class Side:
    """Which acquisition one side of the diff is."""

    source_kind: str | None
    source_path: str | None
    acquired_at: str | None
    model: str | None
    serial: str | None
    build_fingerprint: str | None
    schema: str

    @classmethod
    def of(cls, document: Mapping[str, object]) -> Side:
        source = _mapping(document.get("source"))
        device = _mapping(document.get("device"))
        return cls(
            source_kind=_text(source.get("kind")),
            source_path=_text(source.get("path")),
            acquired_at=_text(document.get("acquired_at")),
            model=_text(device.get("model")),
            serial=_text(device.get("serial")),
            build_fingerprint=_text(device.get("build_fingerprint")),
            schema=str(document.get("schema")),
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "schema": self.schema,
            "source": {"kind": self.source_kind, "path": self.source_path},
            "acquired_at": self.acquired_at,
            "model": self.model,
            "serial": self.serial,
            "build_fingerprint": self.build_fingerprint,
        }


@record
class Diff:
    """The changes from ``old`` to ``new``, per facet, in a fixed facet order; within a facet
    the most serious first, then by key."""

    old: Side
    new: Side
    identity: tuple[IdentityCheck, ...]
    forced: bool
    facets: tuple[Facet, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(change for facet in self.facets for change in facet.changes)

    @property
    def of_concern(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.of_concern)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def same_device(self) -> bool:
        """False when an identity field differs (only possible with ``force``)."""
        return all(check.match is not False for check in self.identity)

    def counts(self) -> dict[str, int]:
        """Changes per severity, every severity present (most serious first)."""
        counts = dict.fromkeys((s.value for s in Severity), 0)
        for change in self.changes:
            counts[change.severity.value] += 1
        return counts

    def to_json(self) -> dict[str, JsonValue]:
        """The ``handsetguard.diff/1`` document (JSON-ready; strings as read)."""
        return {
            "schema": DIFF_SCHEMA_VERSION,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "identity": {
                "same_device": self.same_device,
                "forced": self.forced,
                "fields": [check.to_json() for check in self.identity],
            },
            "summary": {
                "changes": len(self.changes),
                "of_concern": len(self.of_concern),
                "by_severity": self.counts(),
                "not_comparable": [f.name for f in self.facets if not f.comparable],
            },
            "facets": [facet.to_json() for facet in self.facets],
        }


def severity_rank(severity: Severity) -> int:
    return SEVERITY_ORDER[severity]


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
