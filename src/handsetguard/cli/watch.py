"""``handsetguard watch``: a line the moment an app starts using the camera, microphone or
location of a live phone, from ``dumpsys appops`` polled over adb. Needs the ``adb`` extra."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from handsetguard.cli.common import ADB, Commands, describe, guard, needs_extra, say, summary
from handsetguard.cli.live import TARGET_HELP, device_target
from handsetguard.errors import UsageError

if TYPE_CHECKING:
    import argparse
    from datetime import tzinfo

    from handsetguard.adb.transport import Phone
    from handsetguard.adb.watch import AccessNotice
    from handsetguard.parsers.appops import AppOps
    from handsetguard.privacy import Category

__all__ = ["register", "watch"]


def _watch_categories(value: str) -> list[Category]:
    from handsetguard.privacy import Category

    try:
        return [Category(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise UsageError(f"--category {value!r}: {exc}") from None


def _notice_line(notice: AccessNotice) -> str:
    from handsetguard.textsafe import visible

    when = notice.time.strftime("%Y-%m-%d %H:%M:%S") if notice.time else "time unknown"
    where = {True: "foreground", False: "background", None: "state unknown"}[notice.foreground]
    duration = f", {notice.duration_ms / 1000:g} s" if notice.duration_ms else ""
    verb = "used" if notice.kind.value == "access" else "was refused"
    return f"{when}  {visible(notice.package)} {verb} {notice.category.value} ({where}{duration})"


def watch(
    target: str,
    category: str = "camera,microphone,location",
    package: str | None = None,
    interval: float = 2.0,
    as_json: bool = False,
    polls: int | None = None,
) -> int:
    """Print a line the moment an app starts using a monitored category, until Ctrl-C."""
    with needs_extra(ADB), guard():
        _watch(target, category, package, interval, as_json, polls)
    return 0


def _watch(
    target: str,
    category: str,
    package: str | None,
    interval: float,
    as_json: bool,
    polls: int | None,
) -> None:
    import json
    import time

    from handsetguard.adb.transport import AdbServer
    from handsetguard.adb.watch import AccessWatcher

    try:
        if interval < 0.2:
            raise UsageError("--interval must be at least 0.2 seconds")
        watcher = AccessWatcher(_watch_categories(category), package)
        server = AdbServer()
        phone = server.phone(server.select(device_target(target)))
        tz = _device_timezone(phone)
        done = 0
        while polls is None or done < polls:
            started = time.monotonic()
            for notice in watcher.feed(_poll(phone, tz)):
                # JSON escapes every control character (ensure_ascii); the line escapes them.
                say(json.dumps(notice.to_json()) if as_json else _notice_line(notice))
                sys.stdout.flush()  # the moment it happens, also into a pipe
            done += 1
            if polls is None or done < polls:
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        return


def _device_timezone(phone: Phone) -> tzinfo:
    from datetime import UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    result = phone.shell("getprop persist.sys.timezone", 10.0)
    name = result.stdout.decode("utf-8", "replace").strip()
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _poll(phone: Phone, tz: tzinfo) -> AppOps:
    from datetime import datetime

    from handsetguard.adb.transport import DeviceError
    from handsetguard.errors import ParseError
    from handsetguard.parsers.appops import parse_appops

    result = phone.shell("dumpsys appops", 30.0)
    if not result.complete:
        raise DeviceError(f"device {phone.serial}: 'dumpsys appops' {result.error}")
    try:
        return parse_appops(
            result.stdout.decode("utf-8", "replace"), tz=tz, reference=datetime.now(tz)
        )
    except ParseError as exc:
        raise DeviceError(f"device {phone.serial}: 'dumpsys appops' {exc.message}") from exc


def register(commands: Commands) -> None:
    """Add ``watch`` to the HandsetGuard command line."""
    parser = commands.add_parser("watch", help=summary(watch), description=describe(watch))
    parser.add_argument("target", metavar="TARGET", help=TARGET_HELP)
    parser.add_argument(
        "-c",
        "--category",
        default="camera,microphone,location",
        help="Categories to watch, comma-separated.",
    )
    parser.add_argument("--app", dest="package", metavar="PACKAGE", help="Only this package.")
    parser.add_argument(
        "--interval", type=float, default=2.0, help="Seconds between polls (>= 0.2)."
    )
    parser.add_argument(
        "--json", dest="as_json", action="store_true", help="One JSON object per event."
    )
    parser.add_argument(
        "--polls", type=int, metavar="N", help="Stop after N polls (default: Ctrl-C)."
    )
    parser.set_defaults(run=_run_watch)


def _run_watch(args: argparse.Namespace) -> int:
    return watch(args.target, args.category, args.package, args.interval, args.as_json, args.polls)
