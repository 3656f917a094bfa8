"""The component facts of ``dumpsys package`` that tell whether an app shows an icon: the
``android.intent.action.MAIN`` activities of the Activity Resolver Table and each package's
per-user ``disabledComponents:``; plus the lines of its installer chain and install time,
so that a finding can point at them (:mod:`handsetguard.parsers.dumpsys_package` keeps the
values, not their lines).

Layout (PackageManagerService / ComponentResolver dump, Android 7–15)::

    Activity Resolver Table:
      Non-Data Actions:
          android.intent.action.MAIN:
            23a156 com.yelp.android/.ui.activities.RootActivity
            b429b7 com.example/com.example.LauncherActivity (2 filters)
      MIME Typed Actions:                 <- another sub-table: its MAIN entries carry data
    …
    Packages:
      Package [com.example] (fd3b8d1):
        installerPackageName=com.android.vending
        initiatingPackageName=com.android.vending      (Android 11+)
        originatingPackageName=null                     (Android 11+)
        User 0: ceDataInode=… installed=true …
          disabledComponents:
            com.example.LauncherActivity
          enabledComponents:
            com.example.SyncService

The resolver table lists every declared activity, enabled or not (the enabled state is applied
when an intent is resolved), so an app whose every MAIN activity is in ``disabledComponents``
has taken its own icon off the launcher. The table does not print intent categories: a MAIN
activity is not always a LAUNCHER one, so "no MAIN activity left" is the fact, not "no icon".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.values import split_lines
from handsetguard.records import field, mutable_record, record

__all__ = ["Component", "PackageComponents", "PackageLines", "parse_package_components"]

MAIN_ACTION = "android.intent.action.MAIN"
_RESOLVER_ENTRY = lazy_compile(r"[0-9a-f]{1,16} ([^\s/]{1,300})/(\S{1,500})")
_PACKAGE = lazy_compile(r"Package \[([^\]\s]+)\](?: \([0-9A-Fa-f]+\))?:")
_USER = lazy_compile(r"User (-?[0-9]{1,9}):")
_CHAIN_KEYS = (
    "installerPackageName",
    "initiatingPackageName",
    "originatingPackageName",
    "firstInstallTime",
)
# The first characters of the lines _packages reads outside a disabledComponents list: a
# "Package [" header, a "User N:" line, "disabledComponents:" and the install keys.
_READ_FIRST = frozenset({"P", "U", "d", *(key[0] for key in _CHAIN_KEYS)})


def _empty() -> Mapping[str, tuple[int, str]]:
    return MappingProxyType({})


@record
class Component:
    """An activity or other component: its full class name, the user whose state it is in
    (``None`` for the resolver table, which is not per user) and its 0-based line."""

    package: str
    name: str
    user: int | None
    line: int


@record
class PackageLines:
    """Where a package's install facts are printed: key -> (0-based line, value as printed)
    for ``installerPackageName``, ``initiatingPackageName``, ``originatingPackageName`` and
    ``firstInstallTime`` (the first one printed: the package's, else user 0's)."""

    package: str
    line: int
    facts: Mapping[str, tuple[int, str]] = field(default_factory=_empty, hash=False)
    disabled: tuple[Component, ...] = ()

    def value(self, key: str) -> str | None:
        found = self.facts.get(key)
        return None if found is None or found[1] in ("", "null") else found[1]


@record
class PackageComponents:
    """The MAIN activities per package (``None`` when the dump has no Activity Resolver Table,
    e.g. ``dumpsys package packages``) and the per-package install lines and disabled
    components of the ``Packages:`` block."""

    main_activities: Mapping[str, tuple[Component, ...]] | None
    packages: Mapping[str, PackageLines] = field(default_factory=dict, hash=False)

    def disabled(self, package: str, user: int = 0) -> frozenset[str]:
        record = self.packages.get(package)
        if record is None:
            return frozenset()
        return frozenset(c.name for c in record.disabled if c.user == user)


def full_class(package: str, name: str) -> str:
    """``pkg/.Cls`` as printed is ``pkg.Cls``; a name without a leading dot is already full."""
    return package + name if name.startswith(".") else name


def _main_activities(lines: list[str], start: int) -> dict[str, list[Component]]:
    """The entries under ``android.intent.action.MAIN:`` of the table's Non-Data Actions."""
    found: dict[str, list[Component]] = {}
    sub_table: str | None = None
    action: str | None = None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if sub_table != "Non-Data Actions:" and line.startswith("    "):
            # Deeper than a sub-table's header: an action or entry line of a sub-table whose
            # entries are not read (Schemes, MIME types: two thirds of the table).
            continue
        body = line.strip()
        if not body:
            continue
        depth = len(line) - len(line.lstrip(" "))
        if depth == 0:
            break  # the next top-level table
        if depth <= 3:
            sub_table, action = body, None
        elif body.endswith(":") and " " not in body:
            action = body[:-1]
        elif sub_table == "Non-Data Actions:" and action == MAIN_ACTION:
            entry = _RESOLVER_ENTRY.match(body)
            if entry is not None:
                package = entry.group(1)
                name = full_class(package, entry.group(2))
                found.setdefault(package, []).append(Component(package, name, None, index))
    return found


@mutable_record
class _Record:
    package: str
    line: int
    facts: dict[str, tuple[int, str]] = field(default_factory=dict)
    disabled: list[Component] = field(default_factory=list)

    def build(self) -> PackageLines:
        return PackageLines(
            self.package, self.line, MappingProxyType(self.facts), tuple(self.disabled)
        )


def _packages(lines: list[str], start: int) -> dict[str, PackageLines]:
    """The entries of the ``Packages:`` block (a package printed twice keeps its first)."""
    records: dict[str, PackageLines] = {}
    current: _Record | None = None
    user: int | None = None
    list_depth: int | None = None  # inside a ``disabledComponents:`` list opened at this depth
    # Once per line of the block (tens of thousands): the patterns are tried only on lines
    # that start as they do.
    for index in range(start + 1, len(lines)):
        line = lines[index]
        body = line.strip()
        if not body:
            continue
        if list_depth is None and body[0] not in _READ_FIRST and line.startswith(" "):
            continue  # an indented line none of the reads below can use (most of them)
        depth = len(line) - len(line.lstrip(" "))
        if depth == 0:
            break
        header = _PACKAGE.fullmatch(body) if body.startswith("Package [") else None
        if header is not None:
            if current is not None:
                records.setdefault(current.package, current.build())
            current, user, list_depth = _Record(header.group(1), index), None, None
            continue
        if current is None:
            continue
        if list_depth is not None and depth > list_depth and " " not in body:
            current.disabled.append(Component(current.package, body, user, index))
            continue
        list_depth = depth if body == "disabledComponents:" else None
        user_line = _USER.match(body) if body.startswith("User ") else None
        if user_line is not None:
            user = int(user_line.group(1))
            continue
        key, sep, value = body.partition("=")
        if sep and key in _CHAIN_KEYS:
            current.facts.setdefault(key, (index, value.strip()))
    if current is not None:
        records.setdefault(current.package, current.build())
    return records


def parse_package_components(text: str | None, lines: list[str] | None = None) -> PackageComponents:
    """Read the resolver table's MAIN activities and the ``Packages:`` block's install lines
    and disabled components; a dump without either gives empty results (never raises).
    ``lines`` is ``split_lines(text)`` when the caller has it already (it is not changed;
    ``text`` is then not read, and may be None)."""
    if lines is None:
        lines = split_lines(text or "")
    # The tables' header lines found by list.index (a C loop), not a Python loop over the dump.
    main: dict[str, list[Component]] | None = None
    if "Activity Resolver Table:" in lines:
        main = _main_activities(lines, lines.index("Activity Resolver Table:"))
    packages: dict[str, PackageLines] = {}
    at = -1
    while not packages:  # a "Packages:" block without entries: the next one is read
        try:
            at = lines.index("Packages:", at + 1)
        except ValueError:
            break
        packages = _packages(lines, at)
    return PackageComponents(
        None if main is None else MappingProxyType({k: tuple(v) for k, v in main.items()}),
        MappingProxyType(packages),
    )
