"""App ops from ``dumpsys appops``: per uid and package, each op's mode and its recorded accesses
and rejections, from Android 4.4's one-line form to Android 14's attribution-tagged blocks.

Layouts read (all under ``  Uid <uid>:`` / ``    Package <pkg>:`` blocks):

* Android 4.4–8.1: ``CAMERA: mode=allow; time=+1h2m ago; rejectTime=+3d ago; duration=+5s``,
  ages relative to the dump (numeric modes on 4.4/5.x).
* Android 9: ``CAMERA (allow):`` then ``Access: top   = 2019-01-01 10:00:00.000 (-1h)`` with
  one continuation line per further uid state, and the op's ``duration=`` on its own line.
* Android 10+: ``CAMERA (allow / switch …=allow):`` then ``Access: [fg-s] <date> (<rel>)
  duration=… proxy[…]`` / ``Reject: [bg-s]<date> (<rel>)``; Android 11+ groups those under
  ``<attributionTag>=[`` … ``]`` blocks (``null`` means no tag).

Decisions: uid-level modes (``COARSE_LOCATION: mode=ignore`` before any ``Package`` line) become
entries with ``package == ""`` and no events. Only the ``  Uid`` blocks of the current state are
read: the watcher/client preamble, ``AppOps policy … tags``, the ``History:`` block (Android 10,
``--history``), the top-level ``Aggregated accesses:`` / ``Discrete accesses:`` sections (12+,
``--history`` / ``--include-discrete``, with their own ``Uid`` lines) and the ``Uid State Changes
Event Log`` (14) are ignored, so historical or discrete accesses never pass for current entries.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.appops_model import (
    AppOps,
    EventKind,
    OpEntry,
    OpEvent,
    split_uid,
)
from handsetguard.records import field, mutable_record, replace

__all__ = ["AppOps", "EventKind", "OpEntry", "OpEvent", "parse_appops", "split_uid"]
# The model (AppOps and its entries and events) and uid forms live in appops_model.


# --- times -----------------------------------------------------------------------------------

# yyyy-MM-dd HH:mm:ss.SSS, the SimpleDateFormat of AppOpsService.dump (device-local time).
_DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,3})?"
_DURATION = lazy_compile(
    r"([+-])?(?:(\d{1,9}+)d)?(?:(\d{1,9}+)h)?(?:(\d{1,9}+)m(?!s))?(?:(\d{1,9}+)s)?(?:(\d{1,9}+)ms)?"
)
# An age beyond this (in ms) is an epoch-based "never" (now - 0), not a real access. Compared
# before a timedelta is made: an age past timedelta's range (999,999,999 days) is refused,
# not an OverflowError out of the parser.
_MAX_AGE_MS = 50 * 365 * 86_400_000
_MILLISECOND = timedelta(milliseconds=1)  # times a count: 2.5x cheaper than the keyword form


def _duration_ms(text: str) -> int | None:
    """Milliseconds of an android.util.TimeUtils.formatDuration string (``+1d2h3m4s5ms``)."""
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    # One groups() call (a unit that did not match is None, never ""): ~1,400 per Android 7 dump.
    sign, days, hours, minutes, seconds, millis = match.groups()
    if not (days or hours or minutes or seconds or millis):
        return None
    total = int(days or 0) * 24 + int(hours or 0)
    total = (total * 60 + int(minutes or 0)) * 60 + int(seconds or 0)
    total = total * 1000 + int(millis or 0)
    return -total if sign == "-" else total


def _absolute(text: str, tz: tzinfo) -> datetime | None:
    """A device-local time already matched by ``_DATE``; the epoch (or earlier) means unknown."""
    year = int(text[0:4])
    if year <= 1970:
        return None
    micros = int(text[20:23].ljust(3, "0")) * 1000 if len(text) > 20 else 0
    try:
        return datetime(
            year, int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
            int(text[17:19]), micros, tzinfo=tz,
        )  # fmt: skip
    except ValueError:
        return None


def _aged(age: str, reference: datetime | None) -> datetime | None:
    """The time ``age`` (``+1h2m``, printed as ``now - time``) before ``reference``."""
    millis = _duration_ms(age)
    if reference is None or millis is None or millis == 0 or abs(millis) > _MAX_AGE_MS:
        return None
    delta = _MILLISECOND * abs(millis)
    try:
        return reference - delta if millis > 0 else reference + delta
    except OverflowError:
        return None


# --- uid states ------------------------------------------------------------------------------

# AppOpsManager.getUidStateName (10+) and AppOpsService.UID_STATE_NAMES (9).
_FOREGROUND_STATES = frozenset({"pers", "top", "fgsvcl", "fgsvc", "fgs", "fg"})
_BACKGROUND_STATES = frozenset({"bg", "cch", "cached"})


def _foreground(uid_state: str | None) -> bool | None:
    if uid_state is None:
        return None
    state = uid_state.split("-", 1)[0].strip()
    if state in _FOREGROUND_STATES:
        return True
    if state in _BACKGROUND_STATES:
        return False
    return None


# --- line shapes -----------------------------------------------------------------------------

# Possessive repeats: what follows a name (" (", "=", ":") is never a name character.
_OP_NAME = r"[A-Za-z][A-Za-z0-9_]{0,80}+(?:\(-?\d{1,9}+\))?"
_MODE = r"[a-z]{1,20}|mode=-?\d{1,9}"
_UID_LINE = lazy_compile(r"Uid (\S{1,40}):")
_PACKAGE_LINE = lazy_compile(r"Package (\S{1,300}):")
_OP_HEADER = lazy_compile(rf"({_OP_NAME}) \(({_MODE})(?: / switch {_OP_NAME}=(?:{_MODE}))?\):")
_MODE_LINE = lazy_compile(rf"({_OP_NAME}): mode=([^\s;]{{1,20}})(.*)")
_EVENT = lazy_compile(rf"(Access|Reject): \[([^\]]{{0,60}})\] ?({_DATE}) \(([^)]{{0,40}})\)(.*)")
_P_EVENT = lazy_compile(rf"(?:(Access|Reject): )?([a-z]{{2,6}}) *= ({_DATE}) \(([^)]{{0,40}})\)")
_TAG_OPEN = lazy_compile(r"(\S{1,200})=\[")
_DURATION_FIELD = lazy_compile(r"duration=(\S{1,40})")
_PROXY = lazy_compile(
    r"proxy\[uid=(-?\d{1,10}), pkg=([^,\]]{0,300})(?:, attributionTag=([^\]]{0,200}))?\]"
)
_LEGACY_TIME = lazy_compile(r"; time=(\S{1,40}+) ago")
_LEGACY_REJECT = lazy_compile(r"; rejectTime=(\S{1,40}+) ago")
_LEGACY_DURATION = lazy_compile(r"; duration=(\S{1,40})")
_LEGACY_EVENTS = (
    (EventKind.ACCESS, "; time=", _LEGACY_TIME),
    (EventKind.REJECT, "; rejectTime=", _LEGACY_REJECT),
)
# Android 4.4/5.x print modes as numbers (AppOpsManager.MODE_*).
_NUMERIC_MODES = {"0": "allow", "1": "ignore", "2": "deny", "3": "default", "4": "foreground"}
_IGNORED_PREFIXES = (
    "state=",
    "capability=",
    "appWidgetVisible=",
    "pendingState",
    "pendingCapability",
    "startNesting",
    "Running start at",
    "foregroundOps:",
    "hasForegroundWatchers",
    "startTime",
)
_IGNORED_SUFFIXES = (": WATCHER", ": SILENT")
_HEADER = "Current AppOps Service state"
# Lines dumpsys or the bugreport print around a service's own output.
_PREAMBLE = ("Service host process PID", "Threads in use", "Client PIDs", "DUMP OF SERVICE")


@mutable_record
class _OpBuilder:
    op: str
    mode: str
    line: int
    events: list[OpEvent] = field(default_factory=list)


class _Parser:
    """A line-by-line state machine over the ``Uid`` blocks."""

    def __init__(self, tz: tzinfo, reference: datetime | None) -> None:
        self.tz = tz
        self.reference = reference
        self.entries: list[OpEntry] = []
        self.skipped = 0
        self.seen_header = False
        self.seen_uid = False
        self.in_state = True
        self.uid: str | None = None
        self.user_id: int | None = None
        self.app_id: int | None = None
        self.package: str | None = None
        self.op: _OpBuilder | None = None
        self.tag: str | None = None
        self.p_kind: EventKind | None = None

    # -- structure ----------------------------------------------------------------------------

    def feed(self, index: int, raw: str) -> None:
        body = raw.strip()
        if not body:
            return
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0:
            self._close_uid()
            if body.startswith(_HEADER):
                self.seen_header = self.in_state = True
            elif not body.startswith(_PREAMBLE):
                # Another top-level section (Aggregated/Discrete accesses, Uid State Changes
                # Event Log): its ``Uid`` lines are history, not the current state.
                self.in_state = False
            return
        if self.in_state and indent <= 3 and body.startswith("Uid "):
            match = _UID_LINE.fullmatch(body)
            if match is not None:
                self._open_uid(match.group(1))
                return
        if self.uid is None:
            return
        if indent <= 2:
            self._close_uid()
            return
        if not self._uid_line(index, body):
            self.skipped += 1

    def _uid_line(self, index: int, body: str) -> bool:
        """Read one line inside a ``Uid`` block; False when it is not understood."""
        if body.startswith(("Access:", "Reject:")):
            return self._event_line(index, body)
        if body.startswith(_IGNORED_PREFIXES) or body.endswith(_IGNORED_SUFFIXES):
            return True
        return (
            self._structure_line(index, body)
            or self._event_line(index, body)
            or self._minor_line(body)
        )

    def finish(self) -> None:
        self._close_uid()

    def _open_uid(self, uid: str) -> None:
        self._close_uid()
        self.seen_uid = True
        self.uid = uid
        self.user_id, self.app_id = split_uid(uid)

    def _close_uid(self) -> None:
        self._close_op()
        self.uid = None
        self.package = None

    def _close_op(self) -> None:
        op = self.op
        if op is not None and self.uid is not None:
            self._add(op.op, op.mode, tuple(op.events), op.line)
        self.op = None
        self.tag = None
        self.p_kind = None

    def _add(self, op: str, mode: str, events: tuple[OpEvent, ...], line: int) -> None:
        assert self.uid is not None
        self.entries.append(
            OpEntry(self.uid, self.user_id, self.app_id, self.package or "", op, mode, events, line)
        )

    def _structure_line(self, index: int, body: str) -> bool:
        """``Package x:``, an op header, or a ``OP: mode=x`` line (uid-level or pre-9 op)."""
        if body.startswith("Package "):
            match = _PACKAGE_LINE.fullmatch(body)
            if match is None:
                return False
            self._close_op()
            self.package = match.group(1)
            return True
        # An op header ends with "):" (Android 9+): an Android 8 "OP: mode=x" line is not tried.
        match = _OP_HEADER.fullmatch(body) if body.endswith("):") else None
        if match is not None:
            self._close_op()
            self.op = _OpBuilder(match.group(1), _mode_name(match.group(2)), index)
            return True
        match = _MODE_LINE.fullmatch(body)
        if match is not None:
            self._close_op()
            events = self._legacy_events(index, match.group(3)) if self.package else ()
            self._add(match.group(1), _mode_name(match.group(2)), events, index)
            return True
        return False

    def _minor_line(self, body: str) -> bool:
        """Attribution-tag brackets and Android 9's op duration."""
        if body == "]":
            self.tag = None
            return True
        if self.op is not None:
            match = _TAG_OPEN.fullmatch(body)
            if match is not None:
                self.tag = None if match.group(1) == "null" else match.group(1)
                return True
            if body.startswith("duration="):
                self._set_op_duration(body[len("duration=") :])
                return True
        return False

    # -- events -------------------------------------------------------------------------------

    def _event_line(self, index: int, body: str) -> bool:
        op = self.op
        if op is None:
            return False
        match = _EVENT.fullmatch(body)
        if match is not None:
            op.events.append(self._modern_event(index, match))
            return True
        match = _P_EVENT.fullmatch(body)
        if match is None:
            return False
        if match.group(1):
            self.p_kind = EventKind.ACCESS if match.group(1) == "Access" else EventKind.REJECT
        if self.p_kind is None:
            return False
        state = match.group(2)
        op.events.append(
            OpEvent(
                kind=self.p_kind,
                time=_absolute(match.group(3), self.tz),
                raw_time=match.group(3),
                uid_state=state,
                foreground=_foreground(state),
                duration_ms=None,
                attribution_tag=None,
                proxy_package=None,
                proxy_uid=None,
                line=index,
            )
        )
        return True

    def _modern_event(self, index: int, match: re.Match[str]) -> OpEvent:
        kind = EventKind.ACCESS if match.group(1) == "Access" else EventKind.REJECT
        state = match.group(2).strip() or None
        rest = match.group(5)
        duration = _DURATION_FIELD.search(rest) if rest else None
        proxy = _PROXY.search(rest) if rest else None
        proxy_package: str | None = None
        proxy_uid: int | None = None
        if proxy is not None:
            proxy_uid = int(proxy.group(1))
            proxy_package = None if proxy.group(2).strip() in ("", "null") else proxy.group(2)
        return OpEvent(
            kind=kind,
            time=_absolute(match.group(3), self.tz),
            raw_time=match.group(3),
            uid_state=state,
            foreground=_foreground(state),
            duration_ms=None if duration is None else _duration_ms(duration.group(1)),
            attribution_tag=self.tag,
            proxy_package=proxy_package,
            proxy_uid=proxy_uid,
            line=index,
        )

    def _legacy_events(self, index: int, rest: str) -> tuple[OpEvent, ...]:
        """The ``; time=… ago; rejectTime=… ago; duration=…`` tail of a pre-Android-9 op line."""
        events: list[OpEvent] = []
        # Each search only when its literal is there (most ops print no reject, many no time).
        duration = _LEGACY_DURATION.search(rest) if "; duration=" in rest else None
        for kind, literal, pattern in _LEGACY_EVENTS:
            match = pattern.search(rest) if literal in rest else None
            if match is None:
                continue
            age = match.group(1)
            millis = None
            if kind is EventKind.ACCESS and duration is not None:
                millis = _duration_ms(duration.group(1))
            events.append(
                OpEvent(
                    kind=kind,
                    time=_aged(age, self.reference),
                    raw_time=age,
                    uid_state=None,
                    foreground=None,
                    duration_ms=millis,
                    attribution_tag=None,
                    proxy_package=None,
                    proxy_uid=None,
                    line=index,
                )
            )
        return tuple(events)

    def _set_op_duration(self, text: str) -> None:
        """Android 9 prints one duration per op: it belongs to the most recent access."""
        assert self.op is not None
        events = self.op.events
        millis = _duration_ms(text)
        target: int | None = None
        target_time: datetime | None = None
        for i, event in enumerate(events):
            if event.kind is not EventKind.ACCESS:
                continue
            if target_time is None or (event.time is not None and event.time > target_time):
                target, target_time = i, event.time
        if millis is not None and target is not None:
            events[target] = replace(events[target], duration_ms=millis)


def _mode_name(mode: str) -> str:
    if mode.startswith("mode="):
        return _NUMERIC_MODES.get(mode[len("mode=") :], mode)
    return _NUMERIC_MODES.get(mode, mode)


def parse_appops(text: str, *, tz: tzinfo, reference: datetime | None) -> AppOps:
    """Parse the body of ``dumpsys appops``.

    Absolute times are device-local: ``tz`` is attached to them. Relative ages (Android ≤ 8)
    resolve against ``reference`` (the aware acquisition time) and stay ``None`` without one.
    Blank text gives no entries; text with neither the ``Current AppOps Service state`` header
    nor any ``Uid`` block raises :class:`ParseError`.
    """
    parser = _Parser(tz, reference)
    for index, raw in enumerate(text.split("\n")):
        parser.feed(index, raw.rstrip("\r"))
    parser.finish()
    if not parser.seen_header and not parser.seen_uid and text.strip():
        first = text.strip().split("\n", 1)[0][:80]
        raise ParseError(f"dumpsys appops: no AppOps state or Uid blocks (starts with {first!r})")
    return AppOps(tuple(parser.entries), parser.skipped)
