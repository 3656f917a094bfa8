"""Threats: spyware and stalkerware found on a phone, by indicator and by behaviour."""

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
