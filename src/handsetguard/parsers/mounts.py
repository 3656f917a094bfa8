"""Mounted filesystems from ``/proc/mounts``, ``/proc/<pid>/mountinfo`` or ``mount`` output
(``dev on /dir type fs (opts)``), for checks such as a writable ``/system``.
"""

from __future__ import annotations

from collections.abc import Iterator

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = ["Mount", "Mounts", "parse_mounts"]


@record
class Mount:
    """One mount; ``line`` is its 0-based line in the given text."""

    device: str
    mount_point: str
    fs_type: str
    options: tuple[str, ...]
    line: int

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


@record
class Mounts:
    """Mounts in the order listed; ``skipped`` counts unreadable lines."""

    mounts: tuple[Mount, ...] = ()
    skipped: int = 0

    def find(self, mount_point: str) -> Mount | None:
        """The mount visible at ``mount_point``: the last one listed there (later mounts stack
        on top of earlier ones), or ``None``."""
        for mount in reversed(self.mounts):
            if mount.mount_point == mount_point:
                return mount
        return None

    def __iter__(self) -> Iterator[Mount]:
        return iter(self.mounts)

    def __len__(self) -> int:
        return len(self.mounts)


# The kernel escapes space, tab, newline and backslash in paths as \ooo (fs/proc_namespace.c).
_OCTAL_ESCAPE = lazy_compile(r"\\([0-3][0-7]{2})")
_DIGITS = lazy_compile(r"[0-9]{1,10}")
_DEVICE_NUMBER = lazy_compile(r"[0-9]{1,10}:[0-9]{1,10}")


def parse_mounts(text: str) -> Mounts:
    """Parse mount listings, one mount a line, in any of three layouts:

    - ``/proc/mounts``: ``device mount_point fs_type options dump pass``
    - ``mountinfo``: ``id parent major:minor root mount_point options [tags] - fs_type device
      super_options`` (options are the mount's, then the superblock's not already listed)
    - ``mount`` (toybox/busybox): ``device on mount_point type fs_type (options)``

    Blank lines and markdown fences are ignored; other unreadable lines are counted in
    ``skipped``. Raises :class:`ParseError` when no line at all is a mount.
    """
    mounts: list[Mount] = []
    skipped = 0
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("```"):
            continue
        mount = _parse_line(line, index)
        if mount is None:
            skipped += 1
        else:
            mounts.append(mount)
    if skipped and not mounts:
        raise ParseError("mounts: no '/proc/mounts', mountinfo or 'dev on /dir type fs' lines")
    return Mounts(tuple(mounts), skipped)


def _parse_line(line: str, index: int) -> Mount | None:
    if " on " in line and line.endswith(")"):
        mount = _parse_mount_command(line, index)
        if mount is not None:
            return mount
    fields = line.split()
    if len(fields) == 6:
        return _parse_proc_mounts(fields, index)
    if len(fields) >= 10:
        return _parse_mountinfo(fields, index)
    return None


def _parse_proc_mounts(fields: list[str], index: int) -> Mount | None:
    device, mount_point, fs_type, options, dump, passno = fields
    if not mount_point.startswith("/") or not _is_number(dump) or not _is_number(passno):
        return None
    return Mount(_unescape(device), _unescape(mount_point), fs_type, _options(options), index)


def _parse_mountinfo(fields: list[str], index: int) -> Mount | None:
    if not (_is_number(fields[0]) and _is_number(fields[1])):
        return None
    if _DEVICE_NUMBER.fullmatch(fields[2]) is None or not fields[4].startswith("/"):
        return None
    try:
        separator = fields.index("-", 6)
    except ValueError:
        return None
    if len(fields) != separator + 4:
        return None
    fs_type, device, super_options = fields[separator + 1 :]
    options = _options(fields[5])
    extra = tuple(o for o in _options(super_options) if o not in options)
    return Mount(_unescape(device), _unescape(fields[4]), fs_type, options + extra, index)


def _parse_mount_command(line: str, index: int) -> Mount | None:
    """``device on /mount/point type fs_type (options)``; paths may contain spaces."""
    type_at = line.rfind(" type ")
    on_at = line.find(" on ")
    if type_at < 0 or on_at < 0 or on_at > type_at:
        return None
    fs_type, _, options = line[type_at + 6 :].partition(" ")
    mount_point = line[on_at + 4 : type_at]
    if not fs_type or not options.startswith("(") or not mount_point.startswith("/"):
        return None
    return Mount(line[:on_at], mount_point, fs_type, _options(options[1:-1]), index)


def _options(raw: str) -> tuple[str, ...]:
    return tuple(option for option in raw.split(",") if option)


def _is_number(field: str) -> bool:
    return _DIGITS.fullmatch(field) is not None


def _unescape(path: str) -> str:
    if "\\" not in path:
        return path
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), path)
