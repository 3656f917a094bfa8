"""Watch: poll ``dumpsys appops`` and report the moment an app starts using a monitored
category — DTEK's "tell me whenever an app uses my camera, microphone or location".

Each poll runs one ``dumpsys appops`` (about 20–200 ms of system_server time on a phone; the
default interval of 2 s keeps that under a few percent of one core). The first poll is the
baseline; afterwards every access or rejection newer than the last one seen for the same app,
op, attribution and uid state is a notice. The same parser as the offline check reads it.
``com.android.shell`` is watched like any app (scrcpy, ``screenrecord`` and ``cmd`` over adb
use the camera, microphone and location under it): the watcher's own commands (``getprop``,
``dumpsys appops``) are charged to no app op, so by the rule of
:func:`handsetguard.privacy.own_collection_event` none of its accesses is ours.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

from handsetguard.parsers.appops import AppOps, EventKind, OpEntry, OpEvent
from handsetguard.privacy import CATEGORY_OPS, Category
from handsetguard.records import record

__all__ = ["AccessNotice", "AccessWatcher", "NoticeKind"]


class NoticeKind(enum.Enum):
    ACCESS = "access"
    REJECTED = "rejected"


@record
class AccessNotice:
    time: datetime | None
    package: str
    category: Category
    op: str
    kind: NoticeKind
    foreground: bool | None
    uid_state: str | None
    duration_ms: int | None

    def to_json(self) -> dict[str, object]:
        return {
            "time": None if self.time is None else self.time.isoformat(),
            "package": self.package,
            "category": self.category.value,
            "op": self.op,
            "kind": self.kind.value,
            "foreground": self.foreground,
            "uid_state": self.uid_state,
            "duration_ms": self.duration_ms,
        }


_Key = tuple[str, str, str, str | None, str | None, EventKind]


class AccessWatcher:
    """Turns successive app-op dumps into notices of new accesses."""

    def __init__(self, categories: Iterable[Category], package: str | None = None) -> None:
        self.ops = {op: c for c in categories for op in CATEGORY_OPS[c]}
        self.package = package
        self.seen: dict[_Key, datetime | str] = {}
        self.primed = False

    def _relevant(self, entry: OpEntry) -> bool:
        return (
            entry.op in self.ops
            and bool(entry.package)
            and (self.package is None or entry.package == self.package)
        )

    @staticmethod
    def _stamp(event: OpEvent) -> datetime | str:
        return event.time if event.time is not None else event.raw_time

    def feed(self, appops: AppOps) -> list[AccessNotice]:
        """Notices for events newer than any seen before (none on the first call)."""
        notices: list[AccessNotice] = []
        for entry in appops.entries:
            if not self._relevant(entry):
                continue
            for event in entry.events:
                key = (
                    entry.uid,
                    entry.package,
                    entry.op,
                    event.attribution_tag,
                    event.uid_state,
                    event.kind,
                )
                stamp = self._stamp(event)
                old = self.seen.get(key)
                if old == stamp:
                    continue
                self.seen[key] = stamp
                if self.primed and _newer(stamp, old):
                    notices.append(
                        AccessNotice(
                            time=event.time,
                            package=entry.package,
                            category=self.ops[entry.op],
                            op=entry.op,
                            kind=NoticeKind.ACCESS
                            if event.kind is EventKind.ACCESS
                            else NoticeKind.REJECTED,
                            foreground=event.foreground,
                            uid_state=event.uid_state,
                            duration_ms=event.duration_ms,
                        )
                    )
        self.primed = True
        notices.sort(
            key=lambda n: (
                n.time is None,
                n.time or datetime.min.replace(tzinfo=n.time.tzinfo if n.time else None),
            )
        )
        return notices


def _newer(stamp: datetime | str, old: datetime | str | None) -> bool:
    if old is None:
        return True
    if isinstance(stamp, datetime) and isinstance(old, datetime):
        return stamp > old
    return stamp != old
