"""The user's own folders for HandsetGuard, by the XDG base-directory rule: the pattern cache
(patterncache.py), and the indicator cache and sets (threats/indicators/store.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["user_folder"]


def user_folder(variable: str, fallback: str, env: Mapping[str, str]) -> str | None:
    """``$variable/handsetguard`` if that is absolute, else ``$HOME/fallback/handsetguard``;
    None when neither gives an absolute folder (a relative HOME): never a folder relative to
    where the command runs, which could be an input's."""
    base = env.get(variable)
    if not (base and os.path.isabs(base)):
        base = os.path.join(env.get("HOME") or os.path.expanduser("~"), fallback)
    return os.path.join(base, "handsetguard") if os.path.isabs(base) else None
