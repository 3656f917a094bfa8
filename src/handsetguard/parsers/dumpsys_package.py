"""Installed packages from ``dumpsys package`` (its ``Packages:`` block): identity, installer,
flags, versions, permissions and per-user state, as :mod:`handsetguard.parsers.packages` records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.component import Unreadable, unreadable
from handsetguard.parsers.package_builder import (
    ATTRIBUTES,
    PackageBuilder,
    UserBuilder,
    entry_time,
)
from handsetguard.parsers.packages import Package, PackageDump
from handsetguard.parsers.values import split_lines
from handsetguard.records import field, mutable_record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parse_dumpsys_package", "parse_package_lines"]


_ENTRY = lazy_compile(r"( *)Package \[([^\]\s]+)\](?: \([0-9A-Fa-f]+\))?:")
_USER = lazy_compile(r"User (-?[0-9]{1,9}):(.*)")
# Possessive repeats (here and in other parsers' hot patterns) where the next item cannot match
# a character the repeat would give back: the same matches, without the backtracking.
# A block's run of lines is read joined, each line after a newline: the line's own reading
# (what follows its leading whitespace; nothing matches a blank line or crosses a newline).
_GRANT_LINE = lazy_compile(r"\n[^\S\n]*+([^\s:,]++): granted=(true|false)\b")
_NAME_LINE = lazy_compile(r"\n[^\S\n]*+([^\s:,]+)")

_MAIN_BLOCK = "Packages:"
_HIDDEN_BLOCK = "Hidden system packages:"
_OVERLAY_PATHS = "overlay paths:"


def parse_dumpsys_package(text: str, lines: list[str] | None = None) -> PackageDump:
    """Parse the ``DUMP OF SERVICE package`` section (or ``adb shell dumpsys package`` output);
    ``lines`` is ``split_lines(text)`` when the caller has it already (it is not changed).

    Only the ``Packages:`` and ``Hidden system packages:`` blocks are read (the resolver tables
    and shared users are not package entries). A text without a ``Packages:`` line is read as
    a bare list of ``Package [name]`` entries. A package that is also a hidden system package
    keeps its main entry's data and gets ``updated_system_app``. Blank text gives no packages;
    other text without any ``Package [name]`` entry raises :class:`ParseError`.
    """
    return parse_package_lines(split_lines(text) if lines is None else lines)


def parse_package_lines(lines: list[str]) -> PackageDump:
    """:func:`parse_dumpsys_package` of the text whose ``split_lines`` are ``lines`` (not
    changed): what a caller holding only the lines (Section.lines) parses."""
    has_block = _MAIN_BLOCK in lines
    main, hidden, garbled = _read_entries(lines, has_block, _first_block(lines) if has_block else 0)
    skipped = 0
    if not main and not hidden and not has_block and not garbled and any(map(str.strip, lines)):
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

    builders: list[PackageBuilder] = field(default_factory=list)
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
) -> tuple[list[PackageBuilder], list[PackageBuilder], list[Unreadable]]:
    """The package entries of the main and hidden blocks, and the broken headers; the lines
    before ``start`` are those before the first block (none without blocks)."""
    main, hidden = _Entries(), _Entries()
    target: _Entries | None = None if has_block else main
    garbled: list[Unreadable] = []
    for index, line in enumerate(islice(lines, start, None), start):
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


def _read_package(lines: list[str], start: int, end: int, header: re.Match[str]) -> PackageBuilder:
    """One entry's lines (~12,000 in all on a Meizu MX6). An attribute line is read here; the
    lines deeper than the attributes (a block's, or a user's) are taken as one run, found
    by a C loop over their common indent, and read by the open block's reader in one pass
    (none for the blocks not read, whose runs are passed over whole)."""
    base = len(header.group(1))
    deep = " " * (base + 3)  # a line that starts so is deeper than depth 2
    builder = PackageBuilder(header.group(2), start)
    block: str | None = None
    block_reader: Callable[[PackageBuilder, list[str]], int] | None = None
    user: UserBuilder | None = None
    attributes = ATTRIBUTES
    index = start + 1
    while index < end:
        line = lines[index]
        if line.startswith(deep):
            run_end = _run_end(lines, index, end, deep)
            if user is not None:
                block = _read_user_run(user, builder, lines, index, run_end, deep + "  ", block)
            elif block_reader is not None:
                builder.skipped += block_reader(builder, lines[index:run_end])
            index = run_end
            continue
        index += 1
        stripped = line.strip()
        if not stripped:
            continue
        if user is not None and stripped == _OVERLAY_PATHS:
            # Android 8.x prints a user's overlay paths at the depth of its "User N:" line,
            # then that user's gids/runtime permissions deeper (PackageManagerService
            # dumpPackageLPr): the block belongs to the user and does not end it.
            block = stripped
        elif stripped.startswith("User "):
            user = _read_user(builder, stripped, index - 1)
            block = block_reader = None
        else:
            user = None
            key, sep, value = stripped.partition("=")
            if not sep:
                # The block it opens (e.g. "install permissions:"), if any.
                block = stripped if stripped.endswith(":") else None
                block_reader = _BLOCK_READERS.get(stripped)
                continue
            block = block_reader = None
            reader = attributes.get(key)
            if reader is not None and not reader(builder, value, stripped):
                builder.skipped += 1
    return builder


def _run_end(lines: list[str], start: int, end: int, prefix: str) -> int:
    """The end of the run of lines from ``start`` (before ``end``) that start with ``prefix``."""
    while start < end and lines[start].startswith(prefix):
        start += 1
    return start


def _read_user(builder: PackageBuilder, stripped: str, index: int) -> UserBuilder | None:
    """A ``User N: installed=true …`` line: the user it starts (None, and a line skipped,
    when it cannot be read)."""
    match = _USER.fullmatch(stripped)
    if match is None:
        builder.skipped += 1
        return None
    states = {k: v for k, _, v in (t.partition("=") for t in match.group(2).split())}
    user = UserBuilder(int(match.group(1)), index, states)
    builder.users.append(user)
    return user


def _read_user_run(
    user: UserBuilder,
    builder: PackageBuilder,
    lines: list[str],
    index: int,
    end: int,
    deeper: str,
    block: str | None,
) -> str | None:
    """Read the lines ``index..end`` under ``User N:`` (all deeper than its attributes);
    return the sub-block the last one is in. Lines at depth 3-4 open sub-blocks; the runs
    deeper (``deeper``) are a sub-block's entries, of which runtime permissions are read."""
    while index < end:
        line = lines[index]
        if line.startswith(deeper):
            run_end = _run_end(lines, index, end, deeper)
            if block == "runtime permissions:":
                builder.skipped += _grants(user.runtime_permissions, lines[index:run_end])
            index = run_end
            continue
        index += 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("firstInstallTime="):
            user.first_install_time = entry_time(stripped.partition("=")[2])
        block = stripped if stripped.endswith(":") and "=" not in stripped else None
    return block


def _read_run(pattern: re.Pattern[str], run: list[str]) -> tuple[list[Any], int]:
    """What ``pattern`` (one of the ``\\n``-led line patterns) finds in the run's lines, and
    the count of its non-blank lines it finds nothing in."""
    found: list[Any] = pattern.findall("\n" + "\n".join(run))
    return found, sum(map(bool, map(str.strip, run))) - len(found)


def _grants(into: dict[str, bool], run: list[str]) -> int:
    """``name: granted=true|false`` lines into ``into``; the count of lines that are not."""
    found, unread = _read_run(_GRANT_LINE, run)
    into.update({name: granted == "true" for name, granted in found})
    return unread


def _requested(builder: PackageBuilder, run: list[str]) -> int:
    found, unread = _read_run(_NAME_LINE, run)
    builder.requested_permissions.extend(found)
    return unread


def _installed(builder: PackageBuilder, run: list[str]) -> int:
    return _grants(builder.install_permissions, run)


def _granted(builder: PackageBuilder, run: list[str]) -> int:
    """Android 5 and older: ``grantedPermissions:`` lists the granted names."""
    found, unread = _read_run(_NAME_LINE, run)
    builder.install_permissions.update(dict.fromkeys(found, True))
    return unread


# The package-level blocks read, each by its reader of a run of the block's lines (it returns
# how many lines it could not read).
_BLOCK_READERS: dict[str, Callable[[PackageBuilder, list[str]], int]] = {
    "requested permissions:": _requested,
    "install permissions:": _installed,
    "grantedPermissions:": _granted,
}
