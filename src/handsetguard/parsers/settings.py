"""Android settings (global/secure/system, per user) from ``settings list <namespace>`` output and
from the ``dumpsys settings`` section, as one typed collection.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.records import field, mutable_record, record

__all__ = [
    "Namespace",
    "Setting",
    "Settings",
    "parse_dumpsys_settings",
    "parse_settings_list",
]


class Namespace(enum.Enum):
    GLOBAL = "global"
    SECURE = "secure"
    SYSTEM = "system"
    # DeviceConfig flags (``settings list config``, ``CONFIG SETTINGS`` in dumpsys, Android 10+).
    CONFIG = "config"


# Namespaces that exist once per device: ``dumpsys settings`` prints them for user 0 only.
_DEVICE_WIDE = frozenset({Namespace.GLOBAL, Namespace.CONFIG})

_Key = tuple[Namespace, int, str]


@record
class Setting:
    """One setting; ``value`` is ``None`` for a null value. ``package`` (who wrote it) and
    ``default`` come from ``dumpsys settings`` only; ``line`` is 0-based in the given text."""

    namespace: Namespace
    user: int
    name: str
    value: str | None
    line: int
    package: str | None = None
    default: str | None = None


@record
class Settings:
    """Settings by (namespace, user, name); ``skipped`` counts unreadable lines."""

    by_key: Mapping[_Key, Setting] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    skipped: int = 0

    def get(self, namespace: Namespace, name: str, user: int = 0) -> Setting | None:
        """The setting, or ``None``. Global and config settings are device-wide, so for those
        a lookup for another user falls back to user 0."""
        found = self.by_key.get((namespace, user, name))
        if found is None and user != 0 and namespace in _DEVICE_WIDE:
            found = self.by_key.get((namespace, 0, name))
        return found

    def users(self) -> frozenset[int]:
        return frozenset(key[1] for key in self.by_key)

    def merge(self, other: Settings) -> Settings:
        """Both collections in one; where both hold a setting, ``other``'s wins."""
        merged = dict(self.by_key)
        merged.update(other.by_key)
        return Settings(MappingProxyType(merged), self.skipped + other.skipped)

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.by_key.values())

    def __len__(self) -> int:
        return len(self.by_key)


# ``settings list``: a name never contains ``=`` or whitespace; the value is the rest of the line.
_LIST_ROW = lazy_compile(r"([^\s=]+)=(.*)")


def parse_settings_list(text: str, namespace: Namespace, user: int = 0) -> Settings:
    """Parse ``settings list <namespace>`` output (one ``name=value`` a line; AndroidQF
    ``settings_<namespace>.txt``). A literal ``null`` value becomes ``None``.

    A value containing newlines is printed over several lines: a line that is not
    ``name=value`` directly after a setting continues its value. Blank lines and markdown
    fences are ignored; other unreadable lines are counted in ``skipped``.
    """
    entries: dict[_Key, Setting] = {}
    skipped = 0
    seen_row = False
    open_key: _Key | None = None
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("```"):
            open_key = None
            continue
        match = _LIST_ROW.fullmatch(line)
        if match is not None:
            seen_row = True
            key = (namespace, user, match.group(1))
            value = None if match.group(2) == "null" else match.group(2)
            entries[key] = Setting(namespace, user, match.group(1), value, index)
            open_key = key
        elif open_key is not None:
            entries[open_key] = _continued(entries[open_key], line)
        else:
            skipped += 1
    if skipped and not seen_row:
        raise ParseError(f"settings list {namespace.value}: no name=value lines")
    return Settings(MappingProxyType(entries), skipped)


def _continued(setting: Setting, line: str) -> Setting:
    # A None value was printed as "null": the continued value starts with that text.
    value = f"{'null' if setting.value is None else setting.value}\n{line}"
    return Setting(setting.namespace, setting.user, setting.name, value, setting.line)


# dumpsys settings (SettingsProvider.dumpForUserLocked / SettingsState.dumpSettingsLocked,
# Android 8+; Android 6-7 print the same rows without default/defaultSystemSet):
#   GLOBAL SETTINGS (user 0)
#   _id:65 name:adb_enabled pkg:android value:1 default:1 defaultSystemSet:true
#   _id:58 name:zen_duration pkg:android value:{null}
#   Historical operations          <- past writes, never current values
# https://cs.android.com/android/platform/superproject/+/main:frameworks/base/packages/SettingsProvider/src/com/android/providers/settings/SettingsState.java
_HEADER = lazy_compile(r"(GLOBAL|SECURE|SYSTEM|CONFIG|SSAID) SETTINGS \(user (-?[0-9]{1,9})\)")
_ROW = lazy_compile(r"_id:(\S*+) name:(\S*+)(?: pkg:(\S*+))? value:")  # possessive: a space follows
_TRAILER = lazy_compile(r" defaultSystemSet:(?:true|false)(?: tag:\S*)?")
_TAG = lazy_compile(r" tag:\S*")
_DEFAULT = " default:"
_NULL = "{null}"

_NAMESPACES = {ns.name: ns for ns in Namespace}


@mutable_record
class _Block:
    """Where the dumpsys reader is: which namespace/user block, and the row being read."""

    namespace: Namespace | None = None
    user: int = 0
    row_start: int = -1
    row_lines: list[str] = field(default_factory=list)


def parse_dumpsys_settings(text: str, *, first_line: int = 0) -> Settings:
    """Parse the body of ``DUMP OF SERVICE settings``: every ``<NAMESPACE> SETTINGS (user N)``
    block's ``_id:`` rows. Historical operations, the generation registry and other trailing
    tables are ignored. A value spanning several lines continues until the next row or blank
    line. Raises :class:`ParseError` when there is no settings block header at all.
    ``first_line`` is the 0-based line of ``text``'s first line in the text it was cut from
    (each setting's ``line`` counts from there).
    """
    entries: dict[_Key, Setting] = {}
    skipped = 0
    headers = 0
    block = _Block()
    for index, raw in enumerate(text.split("\n")):
        line = raw.rstrip("\r")
        # A header holds " SETTINGS (user ": the pattern is tried on those lines only.
        header = _HEADER.fullmatch(line) if " SETTINGS (user " in line else None
        if header is not None or _ends_block(line):
            skipped += _flush(block, entries)
            block = _Block()
            if header is not None:
                headers += 1
                block.namespace = _NAMESPACES.get(header.group(1))
                block.user = int(header.group(2))
            continue
        if block.namespace is None:
            continue
        if line.startswith("_id:"):
            skipped += _flush(block, entries)
            block.row_start, block.row_lines = first_line + index, [line]
        elif not line.strip():
            skipped += _flush(block, entries)
        elif block.row_lines:
            block.row_lines.append(line)
        elif not line.startswith("version:"):
            skipped += 1
    skipped += _flush(block, entries)
    if headers == 0 and text.strip():
        raise ParseError("dumpsys settings: no 'GLOBAL/SECURE/SYSTEM SETTINGS (user N)' blocks")
    return Settings(MappingProxyType(entries), skipped)


def _ends_block(line: str) -> bool:
    """Lines after which rows are no longer current settings of the block."""
    return (
        line == "Historical operations"
        or line == "GENERATION REGISTRY"
        or line.startswith("--------- ")
    )


def _flush(block: _Block, entries: dict[_Key, Setting]) -> int:
    """Store the row being read, if any; return how many lines were unreadable."""
    if not block.row_lines or block.namespace is None:
        return 0
    lines, start = block.row_lines, block.row_start
    block.row_lines = []
    setting = _parse_row("\n".join(lines), block.namespace, block.user, start)
    if setting is None:
        return len(lines)
    entries[(setting.namespace, setting.user, setting.name)] = setting
    return 0


def _parse_row(row: str, namespace: Namespace, user: int, line: int) -> Setting | None:
    match = _ROW.match(row)
    if match is None or not match.group(2):
        return None
    value, default = _split_value(row[match.end() :])
    return Setting(namespace, user, match.group(2), value, line, _value(match.group(3)), default)


def _split_value(rest: str) -> tuple[str | None, str | None]:
    """Split ``VALUE[ default:DEFAULT defaultSystemSet:BOOL][ tag:TAG]`` into value and default.

    Values may contain spaces (and in theory `` default:``), so the split is made from the
    right: the trailer first, then the `` default:`` exactly in the middle if it leaves two
    equal halves (the usual case, value == default), else the last one. Linear in the row.
    """
    trailer = rest.rfind(" defaultSystemSet:")
    if trailer < 0 or _TRAILER.fullmatch(rest, trailer) is None:
        tag = rest.rfind(" tag:")
        if tag >= 0 and _TAG.fullmatch(rest, tag) is not None and rest.count(" tag:") == 1:
            rest = rest[:tag]
        return _value(rest), None
    head = rest[:trailer]
    width = len(_DEFAULT)
    middle, odd = divmod(len(head) - width, 2)
    if middle >= 0 and not odd and head.startswith(_DEFAULT, middle):
        if head[:middle] == head[middle + width :]:
            return _value(head[:middle]), _value(head[middle + width :])
    cut = head.rfind(_DEFAULT)
    if cut < 0:
        return _value(head), None
    return _value(head[:cut]), _value(head[cut + width :])


def _value(raw: str | None) -> str | None:
    return None if raw == _NULL else raw
