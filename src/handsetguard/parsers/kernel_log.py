"""What the kernel log (``dmesg``, the bugreport's ``KERNEL LOG`` section) proves about the
SELinux mode: the last enforced denial and the last ``setenforce`` switch.

An ``avc: denied … permissive=0`` record was enforced, so the system was enforcing when it was
logged. ``permissive=1`` alone proves nothing global: a permissive *domain* logs it on an
enforcing system (``selinux_audit`` in the kernel's ``security/selinux/avc.c``) — except for
the core domains every app and the system run in (``untrusted_app``, ``system_server``, …):
the CDD (9.7) forbids permissive domains, and AOSP never makes these permissive, so their
unenforced denial means SELinux was not enforcing (the Meizu MX6, Android 7.1 user build, logs
them for ``untrusted_app``). A switch is the MAC_STATUS audit record (type=1404)
``enforcing=0 old_enforcing=1``.
"""

from __future__ import annotations

import enum

from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = ["KernelSelinux", "SelinuxEvent", "SelinuxEventKind", "parse_kernel_selinux"]


class SelinuxEventKind(enum.Enum):
    ENFORCED_DENIAL = "enforced-denial"  # avc: denied … permissive=0
    SWITCHED_ENFORCING = "switched-enforcing"  # enforcing=1 old_enforcing=0
    SWITCHED_PERMISSIVE = "switched-permissive"  # enforcing=0 old_enforcing=1
    UNENFORCED_CORE_DENIAL = "unenforced-core-denial"  # permissive=1 for a core domain
    UNENFORCED_DENIAL = "unenforced-denial"  # permissive=1 for any domain


@record
class SelinuxEvent:
    """One record; ``text`` is the record from ``avc:``/``enforcing=`` on (at most 240
    characters), ``line`` 0-based in the parsed text."""

    kind: SelinuxEventKind
    text: str
    line: int


@record
class KernelSelinux:
    """The latest record of each kind (``None`` if absent) and the count of ``permissive=1``
    denials, which are reported but prove no global mode."""

    last_enforced_denial: SelinuxEvent | None
    last_switch: SelinuxEvent | None
    permissive_denials: int
    last_unenforced_core: SelinuxEvent | None = None
    last_unenforced: SelinuxEvent | None = None  # any permissive=1 denial

    @property
    def latest(self) -> SelinuxEvent | None:
        """The newest proof: the last enforced denial, switch or unenforced core denial."""
        events = [
            e
            for e in (self.last_enforced_denial, self.last_switch, self.last_unenforced_core)
            if e is not None
        ]
        return max(events, key=lambda e: e.line, default=None)


_AVC = lazy_compile(r"\bavc: {1,2}denied .{0,2000}?\bpermissive=([01])\b")
_SWITCH = lazy_compile(r"\benforcing=([01]) old_enforcing=([01])\b")
_SCONTEXT = lazy_compile(r"\bscontext=u:r:([A-Za-z0-9_]+):")
# Domains no compatible device may run permissive (CDD 9.7; AOSP system/sepolicy).
_CORE_DOMAINS = frozenset(
    {
        "untrusted_app",
        "isolated_app",
        "platform_app",
        "priv_app",
        "system_app",
        "system_server",
        "shell",
    }
)


def _core_domain(line: str) -> bool:
    match = _SCONTEXT.search(line)
    if match is None:
        return False
    domain = match.group(1)
    return domain in _CORE_DOMAINS or domain.startswith("untrusted_app_")


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
    core: SelinuxEvent | None = None
    unenforced: SelinuxEvent | None = None
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
                unenforced = _event(SelinuxEventKind.UNENFORCED_DENIAL, line, avc.start(), index)
                if _core_domain(line):
                    kind = SelinuxEventKind.UNENFORCED_CORE_DENIAL
                    core = _event(kind, line, avc.start(), index)
            continue
        changed = _SWITCH.search(line)
        if changed is not None and changed.group(1) != changed.group(2):
            kind = (
                SelinuxEventKind.SWITCHED_ENFORCING
                if changed.group(1) == "1"
                else SelinuxEventKind.SWITCHED_PERMISSIVE
            )
            switch = _event(kind, line, changed.start(), index)
    return KernelSelinux(denial, switch, permissive, core, unenforced)
