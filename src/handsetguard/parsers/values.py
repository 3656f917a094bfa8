"""Scalar values as dumpsys prints them (``true``/``false``, decimal integers), read strictly."""

from __future__ import annotations

from datetime import datetime

from handsetguard.textcodec import split_lines

__all__ = ["fixed_timestamp", "parse_bool", "parse_int", "split_lines"]

# Longer digit runs are not counters or ids in any dump we read; refusing them keeps int()
# cheap on hostile input.
_MAX_DIGITS = 12


def parse_int(value: str | None) -> int | None:
    """A decimal integer (optionally negative), else ``None``; surrounding spaces ignored."""
    if value is None:
        return None
    value = value.strip()
    digits = value[1:] if value.startswith("-") else value
    if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_DIGITS:
        return int(value)
    return None


_BOOLS = {"true": True, "false": False}


def parse_bool(value: str | None) -> bool | None:
    """``true``/``false`` (as Java prints booleans), else ``None``."""
    if value is None:
        return None
    return _BOOLS.get(value.strip())


def fixed_timestamp(text: str | bytes) -> datetime | None:
    """``YYYY-MM-DD HH:MM:SS``, a layout the caller's pattern has matched, as a naive datetime
    read by position; ``None`` when a field is out of range (month 13, 24:00:00). Not strptime:
    it imports _strptime, calendar and locale, and costs ~20x more per call."""
    try:
        return datetime(
            int(text[:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
        )
    except ValueError:
        return None
