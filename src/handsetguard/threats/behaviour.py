"""The behaviour score: one finding per app whose combination of powers and habits looks like
stalkerware, whatever the app is called — no indicator needed.

Each signal adds its weight; the score is the sum, at most 100. An app scoring
:data:`THRESHOLD` (50) or more is a finding (kind BEHAVIOUR, confidence HEURISTIC):

=========================  ======  ==========================================================
signal (code)              weight  what it means, and what it is read from
=========================  ======  ==========================================================
``accessibility``            25    an enabled accessibility service: reads the screen, acts
                                   for the owner (dumpsys accessibility, else the setting)
``hidden_icon``              25    every MAIN activity of the app is in its user-0
                                   ``disabledComponents``: it took its own icon away
                                   (Activity Resolver Table + package record)
``poses_as_system``          20    named com.android.*, com.google.android.*, com.sec.android.*
                                   … but neither a system app, nor platform-signed, nor
                                   from a store (a store ties a name to its publisher)
``notification_listener``    15    may read every notification (the secure setting, else
                                   dumpsys notification's approved list)
``device_admin``             15    an active device admin: harder to remove (device_policy)
``sideloaded``               15    the installer, or the app that started the install
                                   (``initiatingPackageName``), is not a known store
``background_location``      15    app ops recorded a use in the background (``bg``/``cch``
                                   uid state: not on screen, not a foreground service)
``background_microphone``    15    … of the microphone
``background_camera``        15    … of the camera
``background_sms``           10    … of SMS (a refused attempt is not a use)
``background_call_log``      10    … of the call log
``background_contacts``      10    … of contacts
``recent_install``            5    first installed in the 14 days before the acquisition
=========================  ======  ==========================================================

A finding also needs one of the :data:`COVERT` signals — a power over the owner or a way of
hiding (accessibility, notification access, device admin, hidden icon, a system-looking name):
a sideloaded app that used the location in the background is worth a look in the privacy
table, not a stalkerware finding.

Only non-system apps are scored (and power holders missing from the package list). No single
signal, nor the install signals together, reaches the threshold: a finding needs what the app
can do or did, not only where it came from. Tuned on the corpus bugreports (Android TV 14
emulator, Pixel 8.1, Meizu 7.1): no ordinary app there reaches it (tests pin the counts).
"""

from __future__ import annotations

from handsetguard.device import DeviceState
from handsetguard.threats.model import Confidence, Reason, Threat, ThreatKind
from handsetguard.threats.signals import Seen, Signal, app_signals, candidates, seen_on

__all__ = ["COVERT", "THRESHOLD", "WEIGHTS", "behaviour_threats", "is_finding", "score_app"]

THRESHOLD = 50
COVERT = frozenset(
    {"accessibility", "notification_listener", "device_admin", "hidden_icon", "poses_as_system"}
)

WEIGHTS: dict[str, int] = {
    "accessibility": 25,
    "hidden_icon": 25,
    "poses_as_system": 20,
    "notification_listener": 15,
    "device_admin": 15,
    "sideloaded": 15,
    "background_location": 15,
    "background_microphone": 15,
    "background_camera": 15,
    "background_sms": 10,
    "background_call_log": 10,
    "background_contacts": 10,
    "recent_install": 5,
}

# How a category reads in a sentence: "used your location and text messages".
_CATEGORY_WORDS = {
    "location": "location",
    "microphone": "microphone",
    "camera": "camera",
    "sms": "text messages",
    "call_log": "call log",
    "contacts": "contacts",
}


def _reason_text(signal: Signal) -> str:
    code, detail = signal.code, signal.detail
    if code.startswith("background_"):
        return f"used your {_CATEGORY_WORDS[detail]} in the background"
    return {
        "accessibility": "can read everything on your screen and act for you "
        "(an accessibility service)",
        "notification_listener": "reads every notification, messages included "
        "(notification access)",
        "device_admin": "is a device administrator, which makes it harder to remove",
        "hidden_icon": "hides its icon from the list of apps",
        "poses_as_system": f"has a name ({detail}) that looks like part of Android, "
        "but is not a system app",
        "sideloaded": f"was installed from outside an app store (by {detail})",
        "recent_install": f"was installed recently ({detail})",
    }[code]


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(codes: list[str], details: dict[str, str]) -> str:
    """``This app can read your screen and notifications, hides its icon and used your
    location in the background.``"""
    parts = []
    reads = [w for c, w in (("accessibility", "screen"), ("notification_listener",
             "notifications")) if c in codes]  # fmt: skip
    if reads:
        parts.append("can read your " + _and(reads))
    if "device_admin" in codes:
        parts.append("is a device administrator")
    if "hidden_icon" in codes:
        parts.append("hides its icon")
    if "poses_as_system" in codes:
        parts.append("is named like a part of Android")
    used = [_CATEGORY_WORDS[details[c]] for c in codes if c.startswith("background_")]
    if used:
        parts.append(f"used your {_and(used)} in the background")
    if "sideloaded" in codes:
        parts.append("was installed from outside an app store")
    if not parts:
        parts.append("was installed recently")
    return f"This app {_and(parts)}."


def score_app(state: DeviceState, package: str, seen: Seen | None = None) -> Threat:
    """The behaviour assessment of one app, whatever its score."""
    signals = app_signals(state, package, seen)
    reasons = tuple(
        sorted(
            (Reason(s.code, _reason_text(s), WEIGHTS[s.code], s.evidence) for s in signals),
            key=lambda r: -r.weight,  # stable: equal weights keep the signals' order
        )
    )
    score = min(100, sum(r.weight for r in reasons))
    codes = [s.code for s in signals]
    return Threat(
        package=package,
        kind=ThreatKind.BEHAVIOUR,
        confidence=Confidence.HEURISTIC,
        score=score,
        summary=_summary(codes, {s.code: s.detail for s in signals}) if signals else "",
        reasons=reasons,
    )


def is_finding(threat: Threat) -> bool:
    return threat.score >= THRESHOLD and any(r.code in COVERT for r in threat.reasons)


def behaviour_threats(state: DeviceState) -> list[Threat]:
    """One finding per app scoring :data:`THRESHOLD` or more with a :data:`COVERT` signal,
    highest score first."""
    seen = seen_on(state)
    scored = (score_app(state, name, seen) for name in candidates(state, seen))
    found = [t for t in scored if is_finding(t)]
    return sorted(found, key=lambda t: (-t.score, t.package or ""))
