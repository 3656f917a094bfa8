"""App privacy: for every app, which sensitive categories it accessed (camera, microphone,
location, …), how often, when last, in the foreground or background, and rejected attempts.

Counts are app-op events as ``dumpsys appops`` records them: Android keeps the last access per
op, uid state and flag combination (plus discrete history on 12+), not every use, so a count
is the number of distinct recorded accesses, a lower bound on real use.

``com.android.shell`` is an app like any other here: adb users (scrcpy, ``screenrecord``,
``cmd``) reach the camera, microphone and location under it. Only an op that one of our own
collection's commands may be charged to, recorded inside that collection's window, is left out
(:func:`own_collection_event`); no command of the base plan is charged to any op.
"""

from __future__ import annotations

import enum
from datetime import datetime

from handsetguard.device import DeviceState, Unavailable
from handsetguard.evidence import CollectionWindow
from handsetguard.parsers.appops import OpEntry, OpEvent
from handsetguard.records import record

__all__ = [
    "CATEGORY_OPS",
    "DANGEROUS_PERMISSIONS",
    "AppPrivacy",
    "Category",
    "CategoryAccess",
    "SHELL_PACKAGE",
    "app_privacy",
    "own_collection_event",
]


class Category(enum.Enum):
    CAMERA = "camera"
    MICROPHONE = "microphone"
    LOCATION = "location"
    CONTACTS = "contacts"
    SMS = "sms"
    CALL_LOG = "call_log"
    CALENDAR = "calendar"
    MEDIA = "media"
    BODY_SENSORS = "body_sensors"
    CLIPBOARD = "clipboard"


# App-op names per category (AOSP frameworks/base/core/java/android/app/AppOpsManager.java).
CATEGORY_OPS: dict[Category, frozenset[str]] = {
    Category.CAMERA: frozenset({"CAMERA", "PHONE_CALL_CAMERA"}),
    Category.MICROPHONE: frozenset(
        {
            "RECORD_AUDIO",
            "PHONE_CALL_MICROPHONE",
            "RECORD_AUDIO_HOTWORD",
            "RECEIVE_AMBIENT_TRIGGER_AUDIO",
            "RECORD_AUDIO_SANDBOXED",
        }
    ),
    Category.LOCATION: frozenset(
        {
            "COARSE_LOCATION",
            "FINE_LOCATION",
            "GPS",
            "MONITOR_LOCATION",
            "MONITOR_HIGH_POWER_LOCATION",
        }
    ),
    Category.CONTACTS: frozenset({"READ_CONTACTS", "WRITE_CONTACTS"}),
    Category.SMS: frozenset(
        {
            "READ_SMS",
            "WRITE_SMS",
            "RECEIVE_SMS",
            "SEND_SMS",
            "RECEIVE_MMS",
            "RECEIVE_WAP_PUSH",
            "READ_ICC_SMS",
            "WRITE_ICC_SMS",
            "RECEIVE_EMERGECY_SMS",
            "READ_CELL_BROADCASTS",
        }
    ),
    Category.CALL_LOG: frozenset({"READ_CALL_LOG", "WRITE_CALL_LOG", "PROCESS_OUTGOING_CALLS"}),
    Category.CALENDAR: frozenset({"READ_CALENDAR", "WRITE_CALENDAR"}),
    Category.MEDIA: frozenset(
        {
            "READ_EXTERNAL_STORAGE",
            "WRITE_EXTERNAL_STORAGE",
            "READ_MEDIA_AUDIO",
            "READ_MEDIA_VIDEO",
            "READ_MEDIA_IMAGES",
            "READ_MEDIA_VISUAL_USER_SELECTED",
            "ACCESS_MEDIA_LOCATION",
            "MANAGE_EXTERNAL_STORAGE",
            "WRITE_MEDIA_AUDIO",
            "WRITE_MEDIA_VIDEO",
            "WRITE_MEDIA_IMAGES",
        }
    ),
    Category.BODY_SENSORS: frozenset(
        {"BODY_SENSORS", "ACTIVITY_RECOGNITION", "ACTIVITY_RECOGNITION_SOURCE"}
    ),
    Category.CLIPBOARD: frozenset({"READ_CLIPBOARD", "WRITE_CLIPBOARD"}),
}

# The package app ops of adb shell commands are noted against (uid 2000, and uid 0 after
# `adb root`).
SHELL_PACKAGE = "com.android.shell"

_OP_CATEGORY = {op: category for category, ops in CATEGORY_OPS.items() for op in ops}

# Runtime ("dangerous") permissions (AOSP core/res/AndroidManifest.xml, protectionLevel
# dangerous), the ones the app privacy view lists as granted.
DANGEROUS_PERMISSIONS = frozenset(
    {
        "android.permission." + name
        for name in (
            "READ_CALENDAR",
            "WRITE_CALENDAR",
            "CAMERA",
            "READ_CONTACTS",
            "WRITE_CONTACTS",
            "GET_ACCOUNTS",
            "ACCESS_FINE_LOCATION",
            "ACCESS_COARSE_LOCATION",
            "ACCESS_BACKGROUND_LOCATION",
            "RECORD_AUDIO",
            "READ_PHONE_STATE",
            "READ_PHONE_NUMBERS",
            "CALL_PHONE",
            "ANSWER_PHONE_CALLS",
            "READ_CALL_LOG",
            "WRITE_CALL_LOG",
            "ADD_VOICEMAIL",
            "USE_SIP",
            "PROCESS_OUTGOING_CALLS",
            "BODY_SENSORS",
            "BODY_SENSORS_BACKGROUND",
            "SEND_SMS",
            "RECEIVE_SMS",
            "READ_SMS",
            "RECEIVE_WAP_PUSH",
            "RECEIVE_MMS",
            "READ_EXTERNAL_STORAGE",
            "WRITE_EXTERNAL_STORAGE",
            "ACCESS_MEDIA_LOCATION",
            "ACTIVITY_RECOGNITION",
            "READ_MEDIA_AUDIO",
            "READ_MEDIA_VIDEO",
            "READ_MEDIA_IMAGES",
            "READ_MEDIA_VISUAL_USER_SELECTED",
            "POST_NOTIFICATIONS",
            "NEARBY_WIFI_DEVICES",
            "BLUETOOTH_SCAN",
            "BLUETOOTH_CONNECT",
            "BLUETOOTH_ADVERTISE",
            "UWB_RANGING",
            "ACCEPT_HANDOVER",
        )
    }
)


@record
class CategoryAccess:
    count: int
    last: datetime | None
    foreground: int
    background: int
    rejected: int


@record
class AppPrivacy:
    package: str
    installer: str | None
    system: bool | None
    granted_dangerous: tuple[str, ...]
    access: dict[Category, CategoryAccess]


def own_collection_event(entry: OpEntry, event: OpEvent, window: CollectionWindow | None) -> bool:
    """True when ``event`` is our own collection's doing: a ``com.android.shell`` op that one of
    its commands may be charged to (``window.shell_ops``), at a known time inside its window.

    Inputs we did not collect (bugreports, AndroidQF) have no window: nothing is ours there."""
    return (
        window is not None
        and entry.package == SHELL_PACKAGE
        and entry.op in window.shell_ops
        and event.time is not None
        and window.start <= event.time <= window.end
    )


def _merge(entries: list[OpEntry], window: CollectionWindow | None) -> CategoryAccess:
    count = foreground = background = rejected = 0
    last: datetime | None = None
    for entry in entries:
        for event in entry.events:
            if own_collection_event(entry, event, window):
                continue
            if event.kind.value == "reject":
                rejected += 1
                continue
            count += 1
            if event.foreground is True:
                foreground += 1
            elif event.foreground is False:
                background += 1
            if event.time is not None and (last is None or event.time > last):
                last = event.time
    return CategoryAccess(count, last, foreground, background, rejected)


def app_privacy(state: DeviceState) -> tuple[AppPrivacy, ...] | Unavailable:
    """One record per app with app-op history in a category, plus every non-system app
    (installed apps with no recorded access show empty ``access``); sorted by package."""
    if isinstance(state.appops, Unavailable):
        return state.appops
    grouped: dict[str, dict[Category, list[OpEntry]]] = {}
    window = state.collection_window
    for entry in state.appops.value.entries:
        category = _OP_CATEGORY.get(entry.op)
        if (
            category is None
            or not entry.package
            or all(own_collection_event(entry, event, window) for event in entry.events)
        ):
            # No events at all (all() of nothing), or only our own collection's.
            continue
        grouped.setdefault(entry.package, {}).setdefault(category, []).append(entry)
    packages = (
        {}
        if isinstance(state.packages, Unavailable)
        else {pkg.name: pkg for pkg in state.packages.value.packages}
    )
    names = set(grouped) | {name for name, pkg in packages.items() if not pkg.is_system}
    apps = []
    for name in sorted(names):
        pkg = packages.get(name)
        granted = (
            () if pkg is None else tuple(sorted(DANGEROUS_PERMISSIONS & pkg.granted_permissions(0)))
        )
        apps.append(
            AppPrivacy(
                package=name,
                installer=None if pkg is None else pkg.installer,
                system=None if pkg is None else pkg.is_system,
                granted_dangerous=granted,
                access={
                    category: _merge(entries, window)
                    for category, entries in sorted(
                        grouped.get(name, {}).items(), key=lambda item: item[0].value
                    )
                },
            )
        )
    return tuple(apps)
