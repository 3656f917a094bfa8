"""The sections state.py reads: a streamed dumpstate keeps the bytes of these and of no other
(the rest is indexed and counted, then dropped), so a 25 MB text costs the 1–3 MB checks read."""

from __future__ import annotations

__all__ = ["LINK_ONLY_SECTIONS", "STATE_SECTIONS", "STATE_SECTION_PREFIXES", "read_by_state"]

STATE_SECTIONS = frozenset(
    {
        "header",
        "getprop",
        "processes",
        "mounts",
        "selinux",
        "kernel_log",
        "app_providers",
        "app_providers:platform",
        "root_binaries",
        "androidqf:packages",
        "androidqf:files",
        "androidqf:root_binaries",
        "dumpsys:settings",
        "dumpsys:package",
        "dumpsys:appops",
        "dumpsys:accessibility",
        "dumpsys:device_policy",
        "dumpsys:lock_settings",
        "dumpsys:window",
        "dumpsys:adb",
        "dumpsys:notification",
        # Package names the indicator matcher looks up (parsers/package_mentions.py).
        "dumpsys:dbinfo",
        "dumpsys:batterystats",
        "dumpsys:platform_compat",
        # Links the indicator matcher looks up (parsers/links.py): intents' data URIs.
        "dumpsys:activity",
        "dumpsys:shortcut",
        "androidqf:sms",
        "logcat",
        # A bugreport zip's FS/ tree, as paths (file-path indicators).
        "bugreport:fs",
    }
)
"""Every section name state.py asks the evidence for (tests/sources/test_streaming.py reads
state.py to keep this in step)."""

LINK_ONLY_SECTIONS = frozenset({"dumpsys:activity", "dumpsys:shortcut"})
"""Kept by a streamed dumpstate as their lines that hold ``://`` only (the others emptied, so
that line numbers hold): the link parser is all that reads them, and ``dumpsys activity`` is
1–2 MB of which a few kB are links."""

STATE_SECTION_PREFIXES = ("settings:",)
"""Families state.py reads by prefix: ``settings:<namespace>[:<user>]``."""


def read_by_state(name: str) -> bool:
    """Whether state.py reads the section ``name`` (its bytes must be kept)."""
    return name in STATE_SECTIONS or name.startswith(STATE_SECTION_PREFIXES)
