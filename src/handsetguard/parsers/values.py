"""Scalar values as dumpsys prints them (``true``/``false``, decimal integers), read strictly."""

from __future__ import annotations

__all__ = ["parse_bool", "parse_int", "split_lines"]

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


def parse_bool(value: str | None) -> bool | None:
    """``true``/``false`` (as Java prints booleans), else ``None``."""
    if value is None:
        return None
    return {"true": True, "false": False}.get(value.strip())


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, each without a trailing ``\\r``. The common case, a text with no
    ``\\r`` at all (sections decode ``\\r\\n`` to ``\\n``), is one split, not a copy per line."""
    lines = text.split("\n")
    return lines if "\r" not in text else [line.rstrip("\r") for line in lines]
