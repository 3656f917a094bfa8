"""What a loose command output is, told from its first lines: the table of content signatures.

Each signature names the section the bugreport path gives the same text (``getprop``,
``settings:global``, ``dumpsys:package``, …) so the parsers read it unchanged; signatures with
no section recognise outputs that no check reads, so that they are refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from handsetguard.records import record

__all__ = ["GRADED_SECTIONS", "Recognised", "recognise", "settings_namespace"]

GRADED_SECTIONS = frozenset(
    {
        "getprop",
        "settings:global",
        "settings:secure",
        "settings:system",
        "dumpsys:settings",
        "dumpsys:package",
        "dumpsys:appops",
        "dumpsys:accessibility",
        "dumpsys:device_policy",
        "dumpsys:lock_settings",
        "dumpsys:window",
        "dumpsys:adb",
        "dumpsys:notification",
        "processes",
        "mounts",
        "selinux",
        "androidqf:packages",
        "androidqf:root_binaries",
    }
)
"""Sections some check reads (see state.py); a loose input holding none of them is refused."""


@record
class Recognised:
    """A recognised output: the section it feeds (None: not gradable, ``why`` says why), what
    it is, and how many leading lines (a command echo such as ``settings list global``) precede
    the output itself."""

    section: str | None
    what: str
    skip_lines: int = 0
    why: str = "no check reads it"


# Android 14+ dumpsys prints these binder lines before a service's own output.
_PREAMBLE = re.compile(
    r"Service host process PID: |Threads in use: |Client PIDs: |Unknown argument"
)
_GETPROP = re.compile(r"\s*\[[^\]\n]*\]: \[")
_SETTING = re.compile(r"[A-Za-z0-9_.\-:/@]+=")
_SETTINGS_COMMAND = re.compile(r"(?:\$ )?(?:adb shell )?settings list (global|secure|system)\b.*")
# `mount` output, /proc/mounts, /proc/<pid>/mountinfo.
_MOUNT = re.compile(
    r"\S+ on /\S* type \S+ \(.*\)|\S+ /\S* \S+ \S+ \d+ \d+|\d+ \d+ \d+:\d+ /.* - .*"
)
_ENFORCE = re.compile(r"Enforcing|Permissive|Disabled")
_PS_NAMES = ("NAME", "CMD", "COMMAND", "ARGS")

Test = Callable[[list[str]], bool]


def _first(pattern: str) -> Test:
    """The first line (after the binder preamble) matches ``pattern``."""
    regex = re.compile(pattern)
    return lambda lines: regex.match(lines[0]) is not None


def _most(regex: re.Pattern[str]) -> Test:
    """The first line and at least three quarters of the sampled lines match ``regex``."""
    return lambda lines: (
        regex.match(lines[0]) is not None
        and sum(regex.match(line) is not None for line in lines) * 4 >= len(lines) * 3
    )


def _starts(pattern: str) -> Test:
    """The sampled lines, joined, start with ``pattern`` (JSON spread over lines)."""
    regex = re.compile(pattern)
    return lambda lines: regex.match("\n".join(lines)) is not None


def _single(pattern: str) -> Test:
    """A one-line file whose line is ``pattern``."""
    regex = re.compile(pattern)
    return lambda lines: len(lines) == 1 and regex.fullmatch(lines[0].strip()) is not None


def _ps_header(lines: list[str]) -> bool:
    header = lines[0].split()
    return len(header) >= 2 and "PID" in header and header[-1] in _PS_NAMES


def _package_names(lines: list[str]) -> bool:
    return all(line.startswith("package:") for line in lines)


_TOMBSTONE = "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"

# Order matters only where two could match: the generic name=value test is last.
_SIGNATURES: tuple[tuple[str | None, str, Test], ...] = (
    ("getprop", "getprop output", _most(_GETPROP)),
    (
        "dumpsys:package",
        "dumpsys package output",
        _first(
            r"Database versions:|Verifiers:|Activity Resolver Table:|Receiver Resolver Table:"
            r"|Packages:$|  Package \[[^\]]+\] \(|Key Set Manager:|Intent Filter Verifier:"
        ),
    ),
    ("dumpsys:appops", "dumpsys appops output", _first(r"Current AppOps Service state:")),
    (
        "dumpsys:accessibility",
        "dumpsys accessibility output",
        _first(r"ACCESSIBILITY MANAGER \(dumpsys accessibility\)"),
    ),
    (
        "dumpsys:device_policy",
        "dumpsys device_policy output",
        _first(r"Current Device Policy Manager state:"),
    ),
    (
        "dumpsys:lock_settings",
        "dumpsys lock_settings output",
        _first(r"Current lock settings service state:"),
    ),
    ("dumpsys:window", "dumpsys window output", _first(r"WINDOW MANAGER [A-Z ]+\(dumpsys window")),
    ("dumpsys:adb", "dumpsys adb output", _first(r"ADB MANAGER STATE \(dumpsys adb\)")),
    (
        "dumpsys:notification",
        "dumpsys notification output",
        _first(r"Current Notification Manager state:"),
    ),
    (
        "dumpsys:settings",
        "dumpsys settings output",
        _first(r"(?:CONFIG|GLOBAL|SECURE|SYSTEM) SETTINGS \(user \d+\)"),
    ),
    ("processes", "process list (ps)", _ps_header),
    ("mounts", "mount table", _most(_MOUNT)),
    (
        "selinux",
        "SELinux mode (getenforce)",
        lambda lines: _ENFORCE.fullmatch(lines[0]) is not None,
    ),
    ("androidqf:packages", "AndroidQF packages.json", _starts(r'\[\s*\{\s*"name":')),
    ("androidqf:root_binaries", "AndroidQF root_binaries.json", _starts(r'\[\s*(?:"/|\]\s*$)')),
    # Recognised, but no check reads them: refused by name rather than as "unknown".
    (None, "a bugreport's main_entry.txt", _single(r"[\w.\-]+\.txt")),
    (None, "AndroidQF files.json (a file listing)", _starts(r'\[\s*\{\s*"path":')),
    (None, "native crash tombstone", _first(re.escape(_TOMBSTONE))),
    (None, "dumpsys batterystats output", _first(r"Battery History|Daily stats:|Statistics since")),
    (None, "dumpsys dbinfo output", _first(r"Applications Database Info:")),
    (None, "dumpsys platform_compat output", _first(r"ChangeId\(\d+; name=")),
    (None, "package name list (pm list packages)", _package_names),
    (None, "binder service list (service list)", _first(r"Found \d+ services:")),
    (None, "dumpsys activity output", _first(r"ACTIVITY MANAGER [A-Z ]+\(dumpsys activity")),
    (None, "running-services list (dumpsys -l)", _first(r"Currently running services:")),
    (None, "kernel name (uname -a)", _first(r"Linux \S+ \d+\.\d+\S* #")),
    (None, "CPU description (/proc/cpuinfo)", _first(r"[Pp]rocessor\s*: ")),
    (None, "free-space table (df)", _first(r"Filesystem\s+(?:Size|1K-blocks)")),
)

_WHY = {
    "a bugreport's main_entry.txt": "it only names the dumpstate text; pass the folder that "
    "holds both",
}

# Distinctive keys of each settings namespace (AOSP Settings.Global/.Secure/.System); a key
# that moved between namespaces across versions (install_non_market_apps) is left out.
_NAMESPACE_KEYS: dict[str, frozenset[str]] = {
    "global": frozenset(
        "adb_enabled adb_wifi_enabled airplane_mode_on airplane_mode_radios auto_time "
        "auto_time_zone bluetooth_on boot_count data_roaming development_settings_enabled "
        "device_provisioned device_name mobile_data package_verifier_enable "
        "package_verifier_user_consent verifier_verify_adb_installs stay_on_while_plugged_in "
        "wifi_on wifi_sleep_policy wifi_scan_always_enabled ble_scan_always_enabled "
        "transition_animation_scale window_animation_scale animator_duration_scale zen_mode "
        "mode_ringer heads_up_notifications_enabled low_power theater_mode_on "
        "preferred_network_mode captive_portal_mode usb_mass_storage_enabled "
        "network_recommendations_enabled call_auto_retry emergency_tone".split()
    ),
    "secure": frozenset(
        "android_id accessibility_enabled enabled_accessibility_services "
        "enabled_notification_listeners enabled_notification_assistant enabled_input_methods "
        "default_input_method selected_input_method_subtype location_mode "
        "location_providers_allowed lock_screen_show_notifications "
        "lock_screen_allow_private_notifications lock_screen_owner_info_enabled "
        "user_setup_complete screensaver_enabled screensaver_components backup_enabled "
        "backup_transport mock_location immersive_mode_confirmations long_press_timeout "
        "multi_press_timeout assistant voice_interaction_service voice_recognition_service "
        "double_tap_to_wake doze_enabled wake_gesture_enabled camera_gesture_disabled "
        "sysui_qs_tiles navigation_mode skip_first_use_hints bluetooth_address".split()
    ),
    "system": frozenset(
        "accelerometer_rotation alarm_alert dtmf_tone dtmf_tone_type haptic_feedback_enabled "
        "hearing_aid lockscreen_sounds_enabled mode_ringer_streams_affected "
        "mute_streams_affected notification_light_pulse notification_sound pointer_speed "
        "ringtone screen_brightness screen_brightness_mode screen_off_timeout "
        "sound_effects_enabled vibrate_when_ringing volume_music volume_ring volume_voice "
        "volume_alarm volume_notification font_scale user_rotation time_12_24 "
        "end_button_behavior dim_screen tty_mode show_touches pointer_location".split()
    ),
}


def settings_namespace(lines: list[str], hint: str) -> str | None:
    """The namespace of ``settings list`` rows: the one whose distinctive keys are most often
    listed; on a tie (or none), the one the file name or heading ``hint`` names."""
    keys = [line.split("=", 1)[0] for line in lines if _SETTING.match(line)]
    scores = {ns: sum(key in known for key in keys) for ns, known in _NAMESPACE_KEYS.items()}
    best = max(scores.values())
    leaders = [ns for ns, score in scores.items() if score == best]
    if best > 0 and len(leaders) == 1:
        return leaders[0]
    named = [ns for ns in _NAMESPACE_KEYS if ns in hint.lower()]
    return named[0] if len(named) == 1 else None


def recognise(lines: list[str], hint: str = "") -> Recognised | None:
    """What the output whose first non-blank lines are ``lines`` is; None when unknown.

    ``hint`` (a file name, a markdown heading) only breaks a settings-namespace tie.
    """
    skip = 0
    while skip < len(lines) and _PREAMBLE.match(lines[skip]):
        skip += 1
    body = lines[skip:]
    if not body:
        return None
    command = _SETTINGS_COMMAND.fullmatch(body[0])
    if command is not None:
        # The echoed command names the namespace: content, not a guess.
        return Recognised(f"settings:{command.group(1)}", "settings list output", 1)
    for section, what, test in _SIGNATURES:
        if test(body):
            why = _WHY.get(what)
            return Recognised(section, what) if why is None else Recognised(None, what, why=why)
    if _most(_SETTING)(body):
        namespace = settings_namespace(body, hint)
        if namespace is None:
            return Recognised(
                None,
                "settings list output",
                why="its namespace cannot be told from its keys or its name (name the file "
                "settings_global.txt, settings_secure.txt or settings_system.txt)",
            )
        return Recognised(f"settings:{namespace}", "settings list output")
    return None
