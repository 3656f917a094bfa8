"""What ``dumpsys appops`` tells of each app (:class:`AppOps`: per uid and package, each op's
mode and its recorded accesses and rejections), and the uid forms dumpsys prints. Read by
:func:`handsetguard.parsers.appops.parse_appops`."""

from __future__ import annotations

import enum
from datetime import datetime

from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = ["AppOps", "EventKind", "OpEntry", "OpEvent", "split_uid"]


class EventKind(enum.Enum):
    ACCESS = "access"
    REJECT = "reject"


@record
class OpEvent:
    """One recorded access or rejection of an op.

    ``time`` is an aware datetime (device-local wall clock with the caller's ``tz``, or the
    acquisition time minus a relative age), or ``None`` when unknown (epoch, zero, or a relative
    age with no reference). ``raw_time`` keeps the text as printed. ``uid_state`` is the raw
    bracket content (``fg-s``, ``pers-tpd``) or the Android 9 state name; ``line`` is 0-based.
    """

    kind: EventKind
    time: datetime | None
    raw_time: str
    uid_state: str | None
    foreground: bool | None
    duration_ms: int | None
    attribution_tag: str | None
    proxy_package: str | None
    proxy_uid: int | None
    line: int

    @property
    def state(self) -> str | None:
        """The uid state without its flags (``fg`` for ``fg-s``)."""
        return None if self.uid_state is None else self.uid_state.split("-", 1)[0]

    @property
    def flags(self) -> str | None:
        """The flags after the state: ``s`` self, ``tp``/``up`` proxy, ``tpd``/``upd`` proxied."""
        if self.uid_state is None or "-" not in self.uid_state:
            return None
        return self.uid_state.split("-", 1)[1]


@record
class OpEntry:
    """One op of one package (or, with ``package == ""``, a uid-wide mode) in one uid."""

    uid: str
    user_id: int | None
    app_id: int | None
    package: str
    op: str
    mode: str
    events: tuple[OpEvent, ...]
    line: int

    @property
    def accesses(self) -> tuple[OpEvent, ...]:
        return tuple(e for e in self.events if e.kind is EventKind.ACCESS)

    @property
    def rejects(self) -> tuple[OpEvent, ...]:
        return tuple(e for e in self.events if e.kind is EventKind.REJECT)

    @property
    def last_access(self) -> datetime | None:
        """The latest known access time, or ``None`` when no access has a known time."""
        return _latest(self.accesses)

    @property
    def last_reject(self) -> datetime | None:
        return _latest(self.rejects)


@record
class AppOps:
    """Every op entry of one ``dumpsys appops``, in dump order; ``skipped`` counts unread lines."""

    entries: tuple[OpEntry, ...] = ()
    skipped: int = 0

    def for_package(self, package: str) -> tuple[OpEntry, ...]:
        """The entries of ``package`` (in every uid/user that has it)."""
        return tuple(e for e in self.entries if e.package == package)

    def packages(self) -> frozenset[str]:
        return frozenset(e.package for e in self.entries if e.package)


def _latest(events: tuple[OpEvent, ...]) -> datetime | None:
    times = [e.time for e in events if e.time is not None]
    return max(times) if times else None


# --- uids ------------------------------------------------------------------------------------

# android.os.UserHandle.formatUid: plain number below 10000, else u<user>a<app-10000>,
# u<user>s<appid> (system app ids in other users), u<user>i<n> / u<user>ai<n> (isolated).
_UID_FORM = lazy_compile(r"u(\d{1,6})(ai|a|s|i)(\d{1,6})")
_UID_OFFSETS = {"a": 10_000, "s": 0, "i": 99_000, "ai": 90_000}
_PER_USER_RANGE = 100_000


def split_uid(uid: str) -> tuple[int | None, int | None]:
    """``(user_id, app_id)`` of a uid as dumpsys prints it (``u0a87`` → ``(0, 10087)``,
    ``1000`` → ``(0, 1000)``, ``1110087`` → ``(11, 10087)``); ``(None, None)`` if unreadable."""
    if uid.isascii() and uid.isdigit() and len(uid) <= 10:
        number = int(uid)
        return number // _PER_USER_RANGE, number % _PER_USER_RANGE
    match = _UID_FORM.fullmatch(uid)
    if match is None:
        return None, None
    return int(match.group(1)), _UID_OFFSETS[match.group(2)] + int(match.group(3))
