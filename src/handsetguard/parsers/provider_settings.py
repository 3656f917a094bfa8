"""Settings from the SettingsProvider record of ``dumpsys activity provider all`` (the bugreport's
``APP PROVIDERS`` section): the only copy of the global/secure/system tables on Android ≤ 7
bugreports, which have no ``DUMP OF SERVICE settings``.

Android 7.1 (Meizu MX6) prints, indented under the record's ``Client:`` line::

    PROVIDER ContentProviderRecord{113a34e u0 com.android.providers.settings/.SettingsProvider}
        Client:
          GLOBAL SETTINGS (user 0)
          _id:112 name:development_settings_enabled value:1

The rows are those of ``dumpsys settings`` (``SettingsProvider.dumpSettings``) without
``pkg:``/``default:``, printed through the provider dump's indenting writer; a few rows lose the
indentation and a multi-line value's continuation lines carry it.
"""

from __future__ import annotations

from handsetguard.errors import ParseError
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.settings import Settings, parse_dumpsys_settings
from handsetguard.parsers.values import split_lines

__all__ = ["parse_provider_settings"]

_RECORD = "com.android.providers.settings/.SettingsProvider}"
_RECORD_START = "PROVIDER "
_TABLE = lazy_compile(r"( *)(?:GLOBAL|SECURE|SYSTEM|CONFIG|SSAID) SETTINGS \(user -?[0-9]{1,9}\)")


def _record_bounds(lines: list[str]) -> tuple[int, int]:
    """The first and one-past-last line of the SettingsProvider record."""
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(_RECORD_START) and _RECORD in line),
        None,
    )
    if start is None:
        raise ParseError("activity provider dump: no SettingsProvider record")
    end = start + 1
    while end < len(lines) and not lines[end].startswith(_RECORD_START):
        end += 1
    return start, end


def parse_provider_settings(text: str) -> Settings:
    """Parse the settings tables of the SettingsProvider record in an ``activity provider``
    dump. Line numbers are 0-based in ``text``. Raises :class:`ParseError` when there is no
    SettingsProvider record or it holds no ``<NAMESPACE> SETTINGS (user N)`` table (Android 8+
    print ``nothing to dump`` there and have ``dumpsys settings`` instead).
    """
    lines = split_lines(text)
    start, end = _record_bounds(lines)
    body = lines[start + 1 : end]
    indent: int | None = None
    for line in body:
        table = _TABLE.fullmatch(line)
        if table is not None:
            indent = len(table.group(1))
            break
    if indent is None:
        raise ParseError(
            f"activity provider dump: the SettingsProvider record (line {start + 1}) "
            "has no settings tables"
        )
    # Remove the writer's indentation (never more), so that rows, headers and continuation
    # lines read as in ``dumpsys settings``; the line count stays the same.
    prefix = " " * indent
    dedented = [line[indent:] if line.startswith(prefix) else line.lstrip(" ") for line in body]
    # Lines counted from the record's body in the provider dump (no copy of each setting).
    return parse_dumpsys_settings("\n".join(dedented), first_line=start + 1)
