"""Notification listeners from ``dumpsys notification``: the approved ("Allowed", Android 8+),
enabled, live and snoozed lists of its ``Notification listeners:`` block.

``ManagedServices.dump`` (AOSP ``frameworks/base/services/core/java/com/android/server/
notification/ManagedServices.java``) prints, at four spaces::

    Allowed notification listeners:                             <- Android 8+, one line per user
      a.b/a.b.L:c.d/.M (user: 0 isPrimary: true)
    All notification listeners (2) enabled for current profiles:
      ComponentInfo{a.b/a.b.L}
    Live notification listeners (3):
      ComponentInfo{com.android.systemui/…} (user -1): android.service…Proxy@3d9c414 SYSTEM
    Snoozed notification listeners (1):
      c.d/.M

An entry this parser cannot read is kept in ``unreadable`` (with its line), never dropped: an
unreadable entry of a security-relevant list is how an evasive app would hide.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import (
    is_component,
    is_package_name,
    parse_component,
    unreadable,
)
from handsetguard.records import field, record

__all__ = [
    "ListenerEntry",
    "ListenerList",
    "NotificationListeners",
    "UnreadableEntry",
    "is_component",
    "parse_notification_listeners",
]


class ListenerList(enum.Enum):
    ALLOWED = "allowed"  # approved in settings, every user (Android 8+)
    ENABLED = "enabled"  # approved and installed, current profiles
    LIVE = "live"  # bound right now
    SNOOZED = "snoozed"  # approved but unbound on request (Android 8+)


@record
class ListenerEntry:
    """One listener of one list. ``component`` is ``package/class`` as printed (or a bare
    package, which approves every listener of it); ``user`` is ``None`` where the list does not
    say. ``line`` is 0-based in the parsed text."""

    kind: ListenerList
    component: str
    package: str
    user: int | None
    system: bool
    line: int


@record
class UnreadableEntry:
    """Text in a listener list that is not a listener as AOSP prints one, or a count mismatch."""

    kind: ListenerList
    text: str
    line: int


@record
class NotificationListeners:
    """The lists of the ``Notification listeners:`` block. ``allowed`` is ``None`` when the dump
    has no such list (Android 7 and older); ``header_line`` is the block's 0-based line and
    ``list_lines`` the 0-based line of each list header present."""

    allowed: tuple[ListenerEntry, ...] | None
    enabled: tuple[ListenerEntry, ...] | None
    live: tuple[ListenerEntry, ...]
    snoozed: tuple[ListenerEntry, ...]
    unreadable: tuple[UnreadableEntry, ...]
    header_line: int
    list_lines: Mapping[ListenerList, int] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    @property
    def approved(self) -> tuple[ListenerList, tuple[ListenerEntry, ...]] | None:
        """The list that says which listeners may read notifications: ``Allowed`` (every
        user, Android 8+), else ``All … enabled for current profiles``; ``None`` if neither."""
        if self.allowed is not None:
            return ListenerList.ALLOWED, self.allowed
        if self.enabled is not None:
            return ListenerList.ENABLED, self.enabled
        return None

    def entries(self, which: ListenerList) -> tuple[ListenerEntry, ...]:
        found = {
            ListenerList.ALLOWED: self.allowed,
            ListenerList.ENABLED: self.enabled,
            ListenerList.LIVE: self.live,
            ListenerList.SNOOZED: self.snoozed,
        }[which]
        return found or ()


_BLOCK = "Notification listeners:"
_LIST_HEADERS = (
    (lazy_compile(r"Allowed notification listeners:"), ListenerList.ALLOWED),
    (
        lazy_compile(r"All notification listeners \((\d{1,6})\) enabled for current profiles:"),
        ListenerList.ENABLED,
    ),
    (lazy_compile(r"Live notification listeners \((\d{1,6})\):"), ListenerList.LIVE),
    (lazy_compile(r"Snoozed notification listeners \((\d{1,6})\):"), ListenerList.SNOOZED),
)
_ALLOWED_ROW = lazy_compile(r"(?:(.*) )?\(user: (-?\d{1,9}) isPrimary: (?:true|false)\)")
_INFO = lazy_compile(r"ComponentInfo\{([^{}]*)\}(.*)")
_LIVE_USER = lazy_compile(r" \(user (-?\d{1,9})\): \S+((?: [A-Z]+)*)")


class _Reader:
    def __init__(self) -> None:
        self.lists: dict[ListenerList, list[ListenerEntry]] = {}
        self.declared: dict[ListenerList, int] = {}
        self.list_lines: dict[ListenerList, int] = {}
        self.unreadable: list[UnreadableEntry] = []
        self.current: ListenerList | None = None

    def header(self, index: int, body: str) -> bool:
        for pattern, which in _LIST_HEADERS:
            match = pattern.fullmatch(body)
            if match is not None:
                self.current = which
                self.lists.setdefault(which, [])
                self.list_lines.setdefault(which, index)
                if match.groups():
                    self.declared[which] = self.declared.get(which, 0) + int(match.group(1))
                return True
        return False

    def bad(self, index: int, text: str) -> None:
        assert self.current is not None
        capped = unreadable(self.current.value, text, index).text
        self.unreadable.append(UnreadableEntry(self.current, capped, index))

    def entry(self, index: int, body: str) -> None:
        which = self.current
        assert which is not None
        if which is ListenerList.ALLOWED:
            self._allowed(index, body)
            return
        user: int | None = None
        system = False
        component = body
        if which is not ListenerList.SNOOZED:
            match = _INFO.fullmatch(body)
            if match is None:
                self.bad(index, body)
                return
            component, rest = match.group(1), match.group(2)
            if which is ListenerList.LIVE:
                live = _LIVE_USER.fullmatch(rest)
                if live is None:
                    self.bad(index, body)
                    return
                user, system = int(live.group(1)), "SYSTEM" in live.group(2).split()
            elif rest:
                self.bad(index, body)
                return
        self._add(which, index, component, user, system, body)

    def _allowed(self, index: int, body: str) -> None:
        match = _ALLOWED_ROW.fullmatch(body)
        if match is None:
            self.bad(index, body)
            return
        user = int(match.group(2))
        for item in (match.group(1) or "").split(":"):
            if item:
                self._add(ListenerList.ALLOWED, index, item, user, False, item)

    def _add(
        self, which: ListenerList, index: int, component: str, user: int | None, system: bool,
        text: str,
    ) -> None:  # fmt: skip
        # A bare package approves all its listeners; else pkg/cls (parsers/component.py).
        parsed = parse_component(component)
        package = component if is_package_name(component) else parsed and parsed.package
        if not package:
            self.bad(index, text)
            return
        self.lists[which].append(ListenerEntry(which, component, package, user, system, index))

    def check_counts(self) -> None:
        """A list with fewer or more lines than its header's count hides something."""
        for which, count in self.declared.items():
            read = len(self.lists[which]) + sum(1 for u in self.unreadable if u.kind is which)
            if read != count:
                self.unreadable.append(
                    UnreadableEntry(
                        which,
                        f"the header counts {count} listener(s), {read} line(s) follow",
                        self.list_lines[which],
                    )
                )


def parse_notification_listeners(text: str) -> NotificationListeners:
    """Parse the ``Notification listeners:`` block of ``dumpsys notification``.

    Raises :class:`ParseError` when the text has no such block.
    """
    reader = _Reader()
    header_line: int | None = None
    block_indent = list_indent = 0
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        body = line.strip()
        if not body:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if header_line is None:
            if body == _BLOCK:
                header_line, block_indent = index, indent
            continue
        if indent <= block_indent:
            break  # the next block (assistants, ranker services, zen mode)
        if reader.header(index, body):
            list_indent = indent
            continue
        if reader.current is None:
            continue
        if indent <= list_indent:
            reader.current = None  # mListenerHints:, mListenersDisablingEffects:
            continue
        reader.entry(index, body)
    if header_line is None:
        raise ParseError("dumpsys notification: no 'Notification listeners:' block")
    reader.check_counts()
    lists = reader.lists
    allowed = lists.get(ListenerList.ALLOWED)
    enabled = lists.get(ListenerList.ENABLED)
    return NotificationListeners(
        allowed=None if allowed is None else tuple(allowed),
        enabled=None if enabled is None else tuple(enabled),
        live=tuple(lists.get(ListenerList.LIVE, ())),
        snoozed=tuple(lists.get(ListenerList.SNOOZED, ())),
        unreadable=tuple(reader.unreadable),
        header_line=header_line,
        list_lines=MappingProxyType(dict(reader.list_lines)),
    )
