"""Installed packages from ``dumpsys package`` (its ``Packages:`` block): identity, installer,
flags, versions, permissions and per-user state, as :mod:`handsetguard.parsers.packages` records.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, unreadable
from handsetguard.parsers.packages import (
    EnabledState,
    Package,
    PackageDump,
    PackageUser,
)
from handsetguard.parsers.values import fixed_timestamp, parse_bool, split_lines
from handsetguard.records import field, mutable_record

__all__ = ["parse_dumpsys_package"]


_ENTRY = lazy_compile(r"( *)Package \[([^\]\s]+)\](?: \([0-9A-Fa-f]+\))?:")
_USER = lazy_compile(r"User (-?[0-9]{1,9}):(.*)")
_GRANT = lazy_compile(r"([^\s:,]+): granted=(true|false)\b")
_PERMISSION_NAME = lazy_compile(r"[^\s:,]+")
_INT_FIELD = {
    key: lazy_compile(rf"\b{key}=(-?[0-9]{{1,19}})\b")
    for key in ("versionCode", "minSdk", "targetSdk")
}
_LEADING_INT = lazy_compile(r"-?[0-9]{1,19}")
_SHARED_USER = lazy_compile(r"\{\S+ ([^/{}\s]+)/")
_SIGNATURES = lazy_compile(r"(?<!past )signatures:\[([^\]]*)\]")
_BRACKETED = lazy_compile(r"\[([^\]]*)\]")
_TIMESTAMP = lazy_compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")

_MAIN_BLOCK = "Packages:"
_HIDDEN_BLOCK = "Hidden system packages:"
_OVERLAY_PATHS = "overlay paths:"


@mutable_record
class _UserBuilder:
    user_id: int
    line: int
    states: dict[str, str]
    first_install_time: datetime | None = None
    runtime_permissions: dict[str, bool] = field(default_factory=dict)

    def build(self) -> PackageUser:
        return PackageUser(
            user_id=self.user_id,
            line=self.line,
            installed=parse_bool(self.states.get("installed")),
            hidden=parse_bool(self.states.get("hidden")),
            suspended=parse_bool(self.states.get("suspended")),
            stopped=parse_bool(self.states.get("stopped")),
            not_launched=parse_bool(self.states.get("notLaunched")),
            enabled=_enabled(self.states.get("enabled")),
            first_install_time=self.first_install_time,
            runtime_permissions=MappingProxyType(self.runtime_permissions),
        )


@mutable_record
class _Builder:
    """Mutable twin of :class:`Package` while its lines are read."""

    name: str
    line: int
    uid: int | None = None
    shared_user: str | None = None
    version_code: int | None = None
    version_name: str | None = None
    min_sdk: int | None = None
    target_sdk: int | None = None
    installer: str | None = None
    initiating_package: str | None = None
    code_path: str | None = None
    flags: frozenset[str] | None = None
    pkg_flags: frozenset[str] | None = None
    private_flags: frozenset[str] | None = None
    private_pkg_flags: frozenset[str] | None = None
    first_install_time: datetime | None = None
    last_update_time: datetime | None = None
    requested_permissions: list[str] = field(default_factory=list)
    install_permissions: dict[str, bool] = field(default_factory=dict)
    users: list[_UserBuilder] = field(default_factory=list)
    signatures: tuple[str, ...] = ()
    skipped: int = 0

    def build(self, updated_system_app: bool) -> Package:
        flags = self.flags if self.flags is not None else self.pkg_flags or frozenset()
        private = self.private_flags if self.private_flags is not None else self.private_pkg_flags
        users = tuple(u.build() for u in self.users)
        first_install = self.first_install_time
        if first_install is None:
            per_user = [u.first_install_time for u in users if u.first_install_time is not None]
            first_install = min(per_user, default=None)
        return Package(
            name=self.name,
            line=self.line,
            uid=self.uid,
            shared_user=self.shared_user,
            version_code=self.version_code,
            version_name=self.version_name,
            min_sdk=self.min_sdk,
            target_sdk=self.target_sdk,
            installer=self.installer,
            initiating_package=self.initiating_package,
            code_path=self.code_path,
            flags=flags,
            private_flags=private or frozenset(),
            first_install_time=first_install,
            last_update_time=self.last_update_time,
            requested_permissions=tuple(self.requested_permissions),
            install_permissions=MappingProxyType(self.install_permissions),
            users=users,
            signatures=self.signatures,
            updated_system_app=updated_system_app or "UPDATED_SYSTEM_APP" in flags,
        )


def parse_dumpsys_package(text: str, lines: list[str] | None = None) -> PackageDump:
    """Parse the ``DUMP OF SERVICE package`` section (or ``adb shell dumpsys package`` output);
    ``lines`` is ``split_lines(text)`` when the caller has it already (it is not changed).

    Only the ``Packages:`` and ``Hidden system packages:`` blocks are read (the resolver tables
    and shared users are not package entries). A text without a ``Packages:`` line is read as
    a bare list of ``Package [name]`` entries. A package that is also a hidden system package
    keeps its main entry's data and gets ``updated_system_app``. Blank text gives no packages;
    other text without any ``Package [name]`` entry raises :class:`ParseError`.
    """
    if lines is None:
        lines = split_lines(text)
    has_block = _MAIN_BLOCK in lines
    main, hidden, garbled = _read_entries(lines, has_block, _first_block(lines) if has_block else 0)
    skipped = 0
    if not main and not hidden and not has_block and not garbled and text.strip():
        raise ParseError("dumpsys package: no 'Packages:' block or 'Package [name]' entries")
    hidden_names = {b.name for b in hidden}
    seen: set[str] = set()
    packages: list[Package] = []
    for is_hidden, builders in ((False, main), (True, hidden)):
        for builder in builders:
            skipped += builder.skipped
            if builder.name not in seen:
                seen.add(builder.name)
                packages.append(builder.build(is_hidden or builder.name in hidden_names))
    return PackageDump(tuple(packages), skipped, tuple(garbled))


@mutable_record
class _Entries:
    """Collects the entries of one block: each runs from its header to the next header."""

    builders: list[_Builder] = field(default_factory=list)
    header: re.Match[str] | None = None
    start: int = -1

    def close(self, lines: list[str], end: int) -> None:
        if self.header is not None:
            self.builders.append(_read_package(lines, self.start, end, self.header))
        self.header = None

    def open(self, lines: list[str], start: int, header: re.Match[str] | None) -> None:
        """Start an entry at ``start``; a ``None`` header (a garbled one) only ends the
        current entry, so that the garbled entry's lines are not read into its predecessor."""
        self.close(lines, start)
        self.header, self.start = header, start


def _first_block(lines: list[str]) -> int:
    """The first ``Packages:`` or ``Hidden system packages:`` line (the text has the first):
    with blocks, nothing before it is read, and list.index finds it in a C loop."""
    first = lines.index(_MAIN_BLOCK)
    try:
        return lines.index(_HIDDEN_BLOCK, 0, first)
    except ValueError:
        return first


def _read_entries(
    lines: list[str], has_block: bool, start: int = 0
) -> tuple[list[_Builder], list[_Builder], list[Unreadable]]:
    """The package entries of the main and hidden blocks, and the broken headers; the lines
    before ``start`` are those before the first block (none without blocks)."""
    main, hidden = _Entries(), _Entries()
    target: _Entries | None = None if has_block else main
    garbled: list[Unreadable] = []
    for index, line in enumerate(itertools.islice(lines, start, None), start):
        if line[:1] not in (" ", ""):
            if target is not None:
                target.close(lines, index)
            if line == _MAIN_BLOCK:
                target = main
            elif line == _HIDDEN_BLOCK:
                target = hidden
            elif has_block:
                target = None
            continue
        if target is None or "Package [" not in line:
            continue
        header = _ENTRY.fullmatch(line)
        if header is not None or line.lstrip().startswith("Package ["):
            target.open(lines, index, header)
            if header is None:  # a truncated or garbled entry header: a package unread
                where = "hidden system packages" if target is hidden else "packages"
                garbled.append(unreadable(where, line.strip(), index))
    if target is not None:
        target.close(lines, len(lines))
    return main.builders, hidden.builders, garbled


def _read_package(lines: list[str], start: int, end: int, header: re.Match[str]) -> _Builder:
    base = len(header.group(1))
    builder = _Builder(header.group(2), start)
    block: str | None = None
    user: _UserBuilder | None = None
    for index in range(start + 1, end):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            continue
        depth = len(line) - len(line.lstrip(" ")) - base
        if depth <= 2 and user is not None and stripped == _OVERLAY_PATHS:
            # Android 8.x prints a user's overlay paths at the depth of its "User N:" line,
            # then that user's gids/runtime permissions deeper (PackageManagerService
            # dumpPackageLPr): the block belongs to the user and does not end it.
            block = stripped
        elif depth <= 2:
            block, user = _read_attribute(builder, stripped, index)
        elif user is not None:
            block = _read_user_line(user, builder, stripped, depth, block)
        elif block is not None:
            builder.skipped += not _read_block_line(builder, block, stripped)
    return builder


def _read_attribute(
    builder: _Builder, stripped: str, index: int
) -> tuple[str | None, _UserBuilder | None]:
    """Read one line at attribute depth; return the block it opens and the user it starts."""
    if stripped.startswith("User "):
        match = _USER.fullmatch(stripped)
        if match is None:
            builder.skipped += 1
            return None, None
        states = {k: v for k, _, v in (t.partition("=") for t in match.group(2).split())}
        user = _UserBuilder(int(match.group(1)), index, states)
        builder.users.append(user)
        return None, user
    key, sep, value = stripped.partition("=")
    if not sep:
        return (stripped if stripped.endswith(":") else None), None
    reader = _ATTRIBUTES.get(key)
    if reader is not None and not reader(builder, value, stripped):
        builder.skipped += 1
    return None, None


def _read_user_line(
    user: _UserBuilder, builder: _Builder, stripped: str, depth: int, block: str | None
) -> str | None:
    """Read a line under ``User N:``; return the sub-block it is in."""
    if depth <= 4:
        if stripped.startswith("firstInstallTime="):
            user.first_install_time = _time(stripped.partition("=")[2])
        return stripped if stripped.endswith(":") and "=" not in stripped else None
    if block == "runtime permissions:":
        match = _GRANT.match(stripped)
        if match is None:
            builder.skipped += 1
        else:
            user.runtime_permissions[match.group(1)] = match.group(2) == "true"
    return block


def _read_block_line(builder: _Builder, block: str, stripped: str) -> bool:
    """Read a line of a package-level block; ``False`` if it is unreadable."""
    if block == "requested permissions:":
        match = _PERMISSION_NAME.match(stripped)
        if match is not None:
            builder.requested_permissions.append(match.group())
        return match is not None
    if block == "install permissions:":
        grant = _GRANT.match(stripped)
        if grant is not None:
            builder.install_permissions[grant.group(1)] = grant.group(2) == "true"
        return grant is not None
    if block == "grantedPermissions:":  # Android 5 and older: the list of granted names
        name = _PERMISSION_NAME.match(stripped)
        if name is not None:
            builder.install_permissions[name.group()] = True
        return name is not None
    return True


def _set_uid(builder: _Builder, value: str, _line: str) -> bool:
    builder.uid = _leading_int(value)
    return builder.uid is not None


def _set_shared_user(builder: _Builder, value: str, _line: str) -> bool:
    match = _SHARED_USER.search(value)
    builder.shared_user = None if match is None else match.group(1)
    return match is not None


def _set_versions(builder: _Builder, _value: str, line: str) -> bool:
    numbers = {key: _search_int(pattern, line) for key, pattern in _INT_FIELD.items()}
    builder.version_code = numbers["versionCode"]
    builder.min_sdk = numbers["minSdk"]
    builder.target_sdk = numbers["targetSdk"]
    return builder.version_code is not None


def _set_version_name(builder: _Builder, value: str, _line: str) -> bool:
    builder.version_name = _nullable(value)
    return True


def _set_code_path(builder: _Builder, value: str, _line: str) -> bool:
    builder.code_path = _nullable(value)
    return True


def _set_installer(builder: _Builder, value: str, _line: str) -> bool:
    builder.installer = _nullable(value)
    return True


def _set_initiating(builder: _Builder, value: str, _line: str) -> bool:
    builder.initiating_package = _nullable(value)
    return True


def _flag_setter(attribute: str) -> Callable[[_Builder, str, str], bool]:
    def setter(builder: _Builder, value: str, _line: str) -> bool:
        match = _BRACKETED.match(value)
        if match is None:
            return False
        setattr(builder, attribute, frozenset(match.group(1).split()))
        return True

    return setter


def _time_setter(attribute: str) -> Callable[[_Builder, str, str], bool]:
    def setter(builder: _Builder, value: str, _line: str) -> bool:
        setattr(builder, attribute, _time(value))
        return True

    return setter


def _set_signatures(builder: _Builder, value: str, _line: str) -> bool:
    # Android 9+: PackageSignatures{b5c4981 version:1, signatures:[d7f1f224], past signatures:[]}
    # Android 8 and older: PackageSignatures{4f3d7bd [a21a2de9]}
    match = _SIGNATURES.search(value) or _BRACKETED.search(value)
    if match is None:
        return False
    builder.signatures = tuple(s.strip() for s in match.group(1).split(",") if s.strip())
    return True


_ATTRIBUTES: dict[str, Callable[[_Builder, str, str], bool]] = {
    "userId": _set_uid,
    "appId": _set_uid,
    "sharedUser": _set_shared_user,
    "versionCode": _set_versions,
    "versionName": _set_version_name,
    "codePath": _set_code_path,
    "installerPackageName": _set_installer,
    "initiatingPackageName": _set_initiating,
    "flags": _flag_setter("flags"),
    "pkgFlags": _flag_setter("pkg_flags"),
    "privateFlags": _flag_setter("private_flags"),
    "privatePkgFlags": _flag_setter("private_pkg_flags"),
    "firstInstallTime": _time_setter("first_install_time"),
    "lastUpdateTime": _time_setter("last_update_time"),
    "signatures": _set_signatures,
}


def _nullable(value: str) -> str | None:
    return None if value in ("", "null") else value


def _leading_int(value: str) -> int | None:
    match = _LEADING_INT.match(value)
    return None if match is None else int(match.group())


def _search_int(pattern: re.Pattern[str], line: str) -> int | None:
    match = pattern.search(line)
    return None if match is None else int(match.group(1))


def _enabled(value: str | None) -> EnabledState | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 2:
        return None
    try:
        return EnabledState(int(value))
    except ValueError:
        return None


def _time(value: str) -> datetime | None:
    """``2019-12-11 12:24:01`` as a naive datetime; anything else (``0``, garbage) is None."""
    if _TIMESTAMP.fullmatch(value) is None:
        return None
    return fixed_timestamp(value)


# ---------------------------------------------------------------------------------------------
# AndroidQF packages.json: a list of {name, uid, installer, system, disabled, files: [...]}.
