"""What the kernel log (``dmesg``, the bugreport's ``KERNEL LOG`` section) proves about the
SELinux mode: the last enforced denial and the last ``setenforce`` switch.

An ``avc: denied … permissive=0`` record was enforced, so the system was enforcing when it was
logged. ``permissive=1`` alone proves nothing global: a permissive *domain* logs it on an
enforcing system (``selinux_audit`` in the kernel's ``security/selinux/avc.c``). A switch is
the MAC_STATUS audit record (type=1404) ``enforcing=0 old_enforcing=1``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["KernelSelinux", "SelinuxEvent", "SelinuxEventKind", "parse_kernel_selinux"]


class SelinuxEventKind(enum.Enum):
    ENFORCED_DENIAL = "enforced-denial"  # avc: denied … permissive=0
    SWITCHED_ENFORCING = "switched-enforcing"  # enforcing=1 old_enforcing=0
    SWITCHED_PERMISSIVE = "switched-permissive"  # enforcing=0 old_enforcing=1


@dataclass(frozen=True, slots=True)
class SelinuxEvent:
    """One record; ``text`` is the record from ``avc:``/``enforcing=`` on (at most 240
    characters), ``line`` 0-based in the parsed text."""

    kind: SelinuxEventKind
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class KernelSelinux:
    """The latest record of each kind (``None`` if absent) and the count of ``permissive=1``
    denials, which are reported but prove no global mode."""

    last_enforced_denial: SelinuxEvent | None
    last_switch: SelinuxEvent | None
    permissive_denials: int

    @property
    def latest(self) -> SelinuxEvent | None:
        """The later of the last enforced denial and the last switch: the newest proof."""
        events = [e for e in (self.last_enforced_denial, self.last_switch) if e is not None]
        return max(events, key=lambda e: e.line, default=None)


_AVC = re.compile(r"\bavc: {1,2}denied .{0,2000}?\bpermissive=([01])\b")
_SWITCH = re.compile(r"\benforcing=([01]) old_enforcing=([01])\b")
_MAX_TEXT = 240


def _event(kind: SelinuxEventKind, line: str, start: int, index: int) -> SelinuxEvent:
    text = line[start:].strip()
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 1] + "…"
    return SelinuxEvent(kind, text, index)


def parse_kernel_selinux(text: str) -> KernelSelinux:
    """Scan a kernel log for SELinux denials and mode switches. Never raises: a log without
    such records gives an empty result."""
    denial: SelinuxEvent | None = None
    switch: SelinuxEvent | None = None
    permissive = 0
    for index, raw in enumerate(text.split("\n")):
        if "enforcing=" not in raw and "avc:" not in raw:
            continue
        line = raw.rstrip("\r")
        avc = _AVC.search(line)
        if avc is not None:
            if avc.group(1) == "0":
                denial = _event(SelinuxEventKind.ENFORCED_DENIAL, line, avc.start(), index)
            else:
                permissive += 1
            continue
        changed = _SWITCH.search(line)
        if changed is not None and changed.group(1) != changed.group(2):
            kind = (
                SelinuxEventKind.SWITCHED_ENFORCING
                if changed.group(1) == "1"
                else SelinuxEventKind.SWITCHED_PERMISSIVE
            )
            switch = _event(kind, line, changed.start(), index)
    return KernelSelinux(denial, switch, permissive)
