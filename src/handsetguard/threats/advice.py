"""What a report tells the owner about a threat finding, after the Coalition Against
Stalkerware's advice (https://stopstalkerware.org/information-for-survivors/): removing the
app may alert whoever installed it, so safety comes first; a trusted support service can help
plan; evidence is worth keeping. ``check --safe-output`` leaves all of it out, and the fix lines
of the checks about the same powers, so that a report read on the phone by whoever installed
the app does not tell them they were found out.
"""

from __future__ import annotations

__all__ = ["SAFETY_ADVICE", "SAFE_OUTPUT_CHECKS", "SAFETY_SOURCE"]

SAFETY_SOURCE = "https://stopstalkerware.org"

SAFETY_ADVICE = (
    "Think about your safety first: if someone else installed this app to watch you, removing "
    "it or changing its settings may alert them.",
    "A trusted support service (a domestic-violence helpline, or one listed at "
    f"{SAFETY_SOURCE}) can help you decide what to do, and when.",
    "Keep evidence before you change anything: this report, screenshots, dates and times.",
    "When it is safe for you: remove the app (Settings > Apps), or have the support service "
    "help you do it.",
)

# The checks whose fix lines tell the owner to remove or revoke the very apps a threat
# finding is about: left out with --safe-output.
SAFE_OUTPUT_CHECKS = frozenset(
    {
        "accessibility_services",
        "notification_listeners",
        "device_admins",
        "sideloaded_apps",
        "unknown_sources",
    }
)
