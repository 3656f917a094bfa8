"""Threats: spyware and stalkerware found on a phone, by indicator and by behaviour.

Re-exports, resolved lazily: ``handsetguard.threats.indicators`` (what ``apk`` loads to match
an APK) must not pull in the behaviour detector, the device model and every parser with it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from typing import Any

    from handsetguard.threats.behaviour import behaviour_threats
    from handsetguard.threats.model import (
        Confidence,
        IndicatorMatcher,
        Match,
        Reason,
        Threat,
        ThreatKind,
    )

__all__ = [
    "Confidence",
    "IndicatorMatcher",
    "Match",
    "Reason",
    "Threat",
    "ThreatKind",
    "behaviour_threats",
]

_WHERE = dict.fromkeys(__all__, "handsetguard.threats.model") | {
    "behaviour_threats": "handsetguard.threats.behaviour"
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'handsetguard.threats' has no attribute {name!r}")
