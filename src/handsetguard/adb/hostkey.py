"""The adb key of this computer (the one the adb server authenticates with), so that a live
check can tell its own key from other computers the phone trusts."""

from __future__ import annotations

import os
from pathlib import Path

from handsetguard.parsers.adb import key_fingerprint

__all__ = ["host_key_fingerprint"]

_MAX_KEY_FILE = 64 * 1024


def _key_file() -> Path:
    # adb keeps its keys in $ANDROID_USER_HOME (older: $ANDROID_SDK_HOME/.android), else ~/.android.
    base = os.environ.get("ANDROID_USER_HOME")
    if base:
        return Path(base) / "adbkey.pub"
    sdk_home = os.environ.get("ANDROID_SDK_HOME")
    if sdk_home:
        return Path(sdk_home) / ".android" / "adbkey.pub"
    return Path.home() / ".android" / "adbkey.pub"


def host_key_fingerprint() -> str | None:
    """MD5 fingerprint of ``adbkey.pub``; ``None`` when there is none or it is unreadable."""
    try:
        with _key_file().open("rb") as handle:
            text = handle.read(_MAX_KEY_FILE).decode("ascii", "replace")
    except OSError:
        return None
    token = text.split()[0] if text.split() else ""
    return key_fingerprint(token)
