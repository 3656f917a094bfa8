"""dumpsys package: an entry's lines deeper than its attributes (a block's, a user's) are read
as runs, each by its block's reader in one pass. The records must be those of reading every
line on its own, as the parser did before: a reference reader of that kind is kept here and
both are run on entries made of real and hostile lines (blank and whitespace-only lines,
tabs, lines no reader can read, runs split by blank lines, users' sub-blocks)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.parsers import dumpsys_package
from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.package_builder import (
    ATTRIBUTES,
    PackageBuilder,
    UserBuilder,
    entry_time,
)

_GRANT = re.compile(r"([^\s:,]+): granted=(true|false)\b")
_NAME = re.compile(r"[^\s:,]+")
_USER = re.compile(r"User (-?[0-9]{1,9}):(.*)")


def _installed(builder: PackageBuilder, stripped: str) -> bool:
    grant = _GRANT.match(stripped)
    if grant is not None:
        builder.install_permissions[grant.group(1)] = grant.group(2) == "true"
    return grant is not None


def _requested(builder: PackageBuilder, stripped: str) -> bool:
    name = _NAME.match(stripped)
    if name is not None:
        builder.requested_permissions.append(name.group())
    return name is not None


def _granted(builder: PackageBuilder, stripped: str) -> bool:
    name = _NAME.match(stripped)
    if name is not None:
        builder.install_permissions[name.group()] = True
    return name is not None


_READERS: dict[str, Callable[[PackageBuilder, str], bool]] = {
    "requested permissions:": _requested,
    "install permissions:": _installed,
    "grantedPermissions:": _granted,
}


def _user_line(
    user: UserBuilder, builder: PackageBuilder, stripped: str, depth: int, block: str | None
) -> str | None:
    if depth <= 4:
        if stripped.startswith("firstInstallTime="):
            user.first_install_time = entry_time(stripped.partition("=")[2])
        return stripped if stripped.endswith(":") and "=" not in stripped else None
    if block == "runtime permissions:":
        grant = _GRANT.match(stripped)
        if grant is None:
            builder.skipped += 1
        else:
            user.runtime_permissions[grant.group(1)] = grant.group(2) == "true"
    return block


def _line_by_line(lines: list[str], start: int, end: int, header: re.Match[str]) -> PackageBuilder:
    """The reference: every line of the entry read on its own."""
    base = len(header.group(1))
    builder = PackageBuilder(header.group(2), start)
    block: str | None = None
    reader: Callable[[PackageBuilder, str], bool] | None = None
    user: UserBuilder | None = None
    for index in range(start + 1, end):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            continue
        depth = len(line) - len(line.lstrip(" ")) - base
        if depth > 2:
            if user is not None:
                block = _user_line(user, builder, stripped, depth, block)
            elif reader is not None and not reader(builder, stripped):
                builder.skipped += 1
        elif user is not None and stripped == "overlay paths:":
            block = stripped
        elif stripped.startswith("User "):
            match = _USER.fullmatch(stripped)
            if match is None:
                builder.skipped += 1
                user = None
            else:
                states = {k: v for k, _, v in (t.partition("=") for t in match.group(2).split())}
                user = UserBuilder(int(match.group(1)), index, states)
                builder.users.append(user)
            block = reader = None
        else:
            user = None
            key, sep, value = stripped.partition("=")
            if not sep:
                block = stripped if stripped.endswith(":") else None
                reader = _READERS.get(stripped)
                continue
            block = reader = None
            attribute = ATTRIBUTES.get(key)
            if attribute is not None and not attribute(builder, value, stripped):
                builder.skipped += 1
    return builder


_HEADERS = ["  Package [com.example.app] (1a2b):", "    Package [com.nested]:"]
_LINES = [
    "    userId=10123",
    "    firstInstallTime=2024-01-02 03:04:05",
    "    flags=[ SYSTEM HAS_CODE ]",
    "    install permissions:",
    "    requested permissions:",
    "    grantedPermissions:",
    "    declared permissions:",
    "      android.permission.CAMERA: granted=true",
    "      android.permission.RECORD_AUDIO: granted=false",
    "      android.permission.INTERNET",
    "      android.permission.X: granted=maybe",
    "      : granted=true",
    "      ,odd",
    "      \tandroid.permission.TAB: granted=true",
    "     \x1candroid.permission.SEP: granted=true",
    "\tandroid.permission.LEFT: granted=true",
    "        deeper.permission: granted=true",
    "   three.spaces: granted=true",
    "",
    "      ",
    "  \t ",
    "    User 0: ceDataInode=1 installed=true hidden=false enabled=0",
    "    User 10: installed=false",
    "    User x: broken",
    "      runtime permissions:",
    "      gids=[3003]",
    "      firstInstallTime=2024-05-06 07:08:09",
    "        android.permission.READ_SMS: granted=true",
    "        android.permission.READ_SMS: granted=false, flags=[ USER_SET ]",
    "        unreadable",
    "          android.permission.DEEP: granted=true",
    "    overlay paths:",
    "      /vendor/overlay/x.apk",
    "    pkgFlags=[ SYSTEM ]",
]


def _dump(text: str) -> object:
    dump = parse_dumpsys_package(text)
    return (
        dump.skipped,
        [
            (p.name, p.line, p.uid, p.flags, p.install_permissions, p.requested_permissions)
            + (p.first_install_time, [(u.user_id, u.line, u.runtime_permissions) for u in p.users])
            for p in dump.packages
        ],
    )


@settings(max_examples=300, deadline=None)
@given(
    header=st.sampled_from(_HEADERS),
    body=st.lists(st.sampled_from(_LINES), max_size=40),
    blocks=st.booleans(),
)
def test_runs_read_as_every_line_on_its_own(header: str, body: list[str], blocks: bool) -> None:
    text = ("Packages:\n" if blocks else "") + "\n".join([header, *body, header, *body[::-1]])
    ours = _dump(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dumpsys_package, "_read_package", _line_by_line)
        assert ours == _dump(text)


def test_a_block_split_by_blank_lines_and_its_unreadable_lines() -> None:
    text = "\n".join(
        [
            "Packages:",
            "  Package [com.example] (1):",
            "    install permissions:",
            "      android.permission.CAMERA: granted=true",
            "",
            "       ",
            "      android.permission.CAMERA: granted=false",
            "      not a grant",
            "    User 0: installed=true",
            "      runtime permissions:",
            "        android.permission.READ_SMS: granted=true",
            "",
            "        : granted=true",
        ]
    )
    dump = parse_dumpsys_package(text)
    (package,) = dump.packages
    assert dict(package.install_permissions) == {"android.permission.CAMERA": False}
    assert dict(package.users[0].runtime_permissions) == {"android.permission.READ_SMS": True}
    assert dump.skipped == 2  # "not a grant" and ": granted=true"
