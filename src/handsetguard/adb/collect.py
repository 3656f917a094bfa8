"""Collect what the checks need from a live phone, concurrently, into a snapshot directory.

Each command runs on its own shell stream with its own deadline; a command the device refuses
or lacks (older Android, OEM differences, a non-root shell) is recorded with its exit status
and stderr and becomes a coverage entry, not a failure of the run. A transport failure
(timeout, unplugged cable) is recorded as an error and makes the snapshot incomplete.
The manifest records the collection window on the device's clock and the app ops each command
may be charged to, so the privacy views discount exactly what our own commands caused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handsetguard import __version__
from handsetguard.adb.transport import DeviceError, Phone, ShellResult
from handsetguard.errors import ParseError, SourceError
from handsetguard.parsers.getprop import parse_getprop
from handsetguard.records import record
from handsetguard.sources.snapshot import CommandRecord, Manifest, write_manifest

__all__ = ["BASE_PLAN", "Command", "Progress", "collect", "settings_commands"]


@record
class Command:
    name: str  # also the output file's stem
    command: str
    section: str  # the evidence section the output feeds
    timeout: float = 30.0
    # App ops AOSP may note against com.android.shell because this command ran (see BASE_PLAN).
    shell_ops: frozenset[str] = frozenset()


# Paths where su and root managers' binaries live (root-checker apps and AndroidQF look in the
# same places); `command -v su` adds whatever the shell's PATH finds.
_SU_PATHS = (
    "/system/bin/su /system/xbin/su /sbin/su /su/bin/su /system/sbin/su /vendor/bin/su "
    "/data/local/su /data/local/bin/su /data/local/xbin/su /system/app/Superuser.apk "
    "/system/bin/magisk /sbin/magisk /data/adb/magisk /data/adb/ksu /data/adb/ap"
)
_ROOT_PROBE = (
    f'for p in {_SU_PATHS} $(command -v su 2>/dev/null); do [ -e "$p" ] && echo "$p"; done; true'
)

# No command of the base plan is charged to any app op, so none declares ``shell_ops``:
# - dumpsys: services gate their dump on the DUMP permission (DumpUtils.checkDumpPermission), a
#   permission check that records nothing; the usage-stats gate returns early for the shell uid
#   before any app op (DumpUtils.checkUsageStatsPermission / checkUsageStatsOp, AOSP
#   frameworks/base core/java/com/android/internal/util/DumpUtils.java). Observed: on the
#   Android 14 emulator bugreport of the corpus, whose dumpstate ran every dumpsys as shell,
#   com.android.shell has VIBRATE (the Shell app's bugreport notification) and nothing else.
# - settings list, pm list users/packages: run in system_server by the services' shell-command
#   handlers (SettingsService calls its provider in-process, not through the provider binder
#   that would check a read permission's app op; PackageManagerShellCommand, UserManager), with
#   permission checks only.
# - getprop, date, getenforce, ps, cat /proc/mounts, the root probe: no binder call at all.
BASE_PLAN: tuple[Command, ...] = (
    Command("getprop", "getprop", "getprop"),
    Command("date", "date +%Y-%m-%dT%H:%M:%S%z", "device:date", 10.0),
    Command("users", "pm list users", "device:users"),
    Command("dumpsys_package", "dumpsys package", "dumpsys:package", 120.0),
    Command("dumpsys_appops", "dumpsys appops", "dumpsys:appops", 60.0),
    Command("dumpsys_accessibility", "dumpsys accessibility", "dumpsys:accessibility"),
    Command("dumpsys_device_policy", "dumpsys device_policy", "dumpsys:device_policy"),
    Command("dumpsys_lock_settings", "dumpsys lock_settings", "dumpsys:lock_settings"),
    Command("dumpsys_window_policy", "dumpsys window policy", "dumpsys:window"),
    Command("dumpsys_adb", "dumpsys adb", "dumpsys:adb"),
    Command("dumpsys_user", "dumpsys user", "dumpsys:user"),
    Command("pm_list_packages", "pm list packages -f -i -U -u", "pm:packages", 60.0),
    Command("getenforce", "getenforce", "selinux", 10.0),
    Command("root_probe", _ROOT_PROBE, "root_binaries", 10.0),
    Command("mounts", "cat /proc/mounts", "mounts", 10.0),
    Command("processes", "ps -A", "processes"),
)

# The id in each `pm list users` line, read as text and bounded before int(): a user id is at
# most UserHandle.MAX_SECONDARY_USER_ID (Integer.MAX_VALUE / PER_USER_RANGE - 1; AOSP
# frameworks/base core/java/android/os/UserHandle.java).
_USER_LINE = re.compile(r"UserInfo\{([^:}\n]*)")
_MAX_USER_ID = 21473

Progress = Callable[[Command, ShellResult], None]
# `date +%Y-%m-%dT%H:%M:%S%z` truncates to the second.
_DATE_RESOLUTION = timedelta(seconds=1)


def settings_commands(user: int) -> tuple[Command, ...]:
    """``settings list`` for one user; user 0's sections carry no user suffix."""
    suffix = "" if user == 0 else f":{user}"
    return tuple(
        Command(
            f"settings_{namespace}_{user}",
            f"settings --user {user} list {namespace}",
            f"settings:{namespace}{suffix}",
        )
        for namespace in ("global", "secure", "system")
    )


def _users(result: ShellResult | None) -> tuple[list[int], list[str]]:
    """The user ids `pm list users` lists, and a note for each entry that is not one."""
    if result is None or not result.complete:
        return [0], []
    ids: set[int] = set()
    notes: list[str] = []
    for text in _USER_LINE.findall(result.stdout.decode("utf-8", "replace")):
        if text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= _MAX_USER_ID:
            ids.add(int(text))
            continue
        shown = text if len(text) <= 12 else f"{text[:12]}… ({len(text)} characters)"
        notes.append(
            f"'pm list users' listed user {shown!r}, not a user id (0-{_MAX_USER_ID}): "
            "that user's settings were not collected"
        )
    return sorted(ids) or [0], notes


def _run_all(
    phone: Phone,
    commands: Iterable[Command],
    workers: int,
    progress: Progress | None,
    timeout_cap: float | None,
) -> dict[Command, tuple[datetime, ShellResult]]:
    """Each command's result and the host time (UTC) just before it was sent."""

    def run(command: Command) -> tuple[Command, tuple[datetime, ShellResult]]:
        timeout = command.timeout if timeout_cap is None else min(command.timeout, timeout_cap)
        sent = datetime.now(UTC)
        try:
            result = phone.shell(command.command, timeout)
        except DeviceError as exc:
            # The device went away mid-collection: keep what the other commands got.
            result = ShellResult(command.command, b"", b"", None, 0.0, exc.message)
        if progress is not None:
            progress(command, result)
        return command, (sent, result)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="adb-shell") as pool:
        return dict(pool.map(run, commands))


def _identity(results: dict[Command, ShellResult]) -> tuple[str | None, str | None, str | None]:
    """(model, manufacturer, timezone) from the getprop output, when it arrived whole."""
    getprop = next((r for c, r in results.items() if c.name == "getprop"), None)
    if getprop is None or not getprop.complete:
        return None, None, None
    try:
        props = parse_getprop(getprop.stdout.decode("utf-8", "replace"))
    except ParseError:
        return None, None, None
    return (
        props.get("ro.product.model"),
        props.get("ro.product.manufacturer"),
        props.get("persist.sys.timezone"),
    )


def _device_window(
    date: tuple[datetime, ShellResult] | None, started: datetime, ended: datetime
) -> tuple[datetime, datetime] | None:
    """The host's collection span on the device's clock, widened by the uncertainty of the one
    reading of that clock: ``date`` printed D (truncated to the second) at some moment between
    sending the command and its answer, so device − host lies in
    [D − answered, D + 1 s − sent]. None when the device clock was not read."""
    if date is None:
        return None
    sent, result = date
    if not result.complete or result.exit_code != 0:
        return None
    try:
        device_now = datetime.strptime(
            result.stdout.decode("utf-8", "replace").strip(), "%Y-%m-%dT%H:%M:%S%z"
        )
    except ValueError:
        return None
    answered = sent + timedelta(seconds=result.duration)
    zone = device_now.tzinfo
    return (
        (started + (device_now - answered)).astimezone(zone),
        (ended + (device_now + _DATE_RESOLUTION - sent)).astimezone(zone),
    )


def _save(directory: Path, command: Command, result: ShellResult) -> CommandRecord:
    file = f"{command.name}.txt"
    try:
        (directory / file).write_bytes(result.stdout)
    except OSError as exc:
        raise SourceError(f"{directory / file}: cannot write ({exc.strerror or exc})") from exc
    return CommandRecord(
        name=command.name,
        command=command.command,
        section=command.section,
        file=file,
        exit_status=result.exit_code,
        duration_s=round(result.duration, 3),
        error=result.error,
        stderr=result.stderr.decode("utf-8", "replace")[:2000],
        shell_ops=tuple(sorted(command.shell_ops)),
    )


def collect(
    phone: Phone,
    directory: Path,
    *,
    workers: int = 6,
    progress: Progress | None = None,
    host_key_fingerprint: str | None = None,
    plan: tuple[Command, ...] = BASE_PLAN,
    timeout_cap: float | None = None,
) -> Manifest:
    """Run the plan (and ``settings list`` for every user) and write the snapshot.

    Raises DeviceError when the device cannot be reached at all; once collection has started,
    failures are recorded per command and the snapshot is written with what arrived."""
    phone.check_reachable()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SourceError(f"{directory}: cannot create ({exc.strerror or exc})") from exc
    started = datetime.now(UTC)
    first = _run_all(phone, (*plan, *settings_commands(0)), workers, progress, timeout_cap)
    users, notes = _users(
        next((r for c, (_, r) in first.items() if c.section == "device:users"), None)
    )
    extra = [c for user in users if user != 0 for c in settings_commands(user)]
    timed = first | (_run_all(phone, extra, workers, progress, timeout_cap) if extra else {})
    ended = datetime.now(UTC)
    results = {command: result for command, (_, result) in timed.items()}
    model, manufacturer, timezone = _identity(results)
    window = _device_window(
        next((t for c, t in timed.items() if c.name == "date"), None), started, ended
    )
    date = next((r for c, r in results.items() if c.name == "date"), None)
    device_time = (
        date.stdout.decode("utf-8", "replace").strip() or None
        if date is not None and date.complete and date.exit_code == 0
        else None
    )
    manifest = Manifest(
        tool_version=__version__,
        serial=phone.serial,
        model=model or phone.info.model,
        manufacturer=manufacturer,
        acquired_utc=started,
        device_time=device_time,
        device_timezone=timezone,
        commands=tuple(_save(directory, command, result) for command, result in results.items()),
        host_key_fingerprint=host_key_fingerprint,
        device_window=window,
        notes=tuple(notes),
    )
    write_manifest(directory, manifest)
    return manifest
