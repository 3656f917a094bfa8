"""Device identifiers: IMEI (15 digits, Luhn check digit; TAC = first 8 digits), serials,
model codes and ISO 3166-1 alpha-2 territories."""

from __future__ import annotations

import re

from handsetguard.server.core.codes import COUNTRIES, CURRENCIES

__all__ = [
    "is_country",
    "is_currency",
    "is_valid_imei",
    "is_valid_model_code",
    "is_valid_serial",
    "luhn_check_digit",
    "tac",
]

_SERIAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{3,63}")
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")


def luhn_check_digit(body: str) -> int:
    """The Luhn digit that completes ``body`` (digits only)."""
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:  # doubled: every second digit from the right of the full number
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def is_valid_imei(value: str) -> bool:
    return (
        len(value) == 15
        and value.isascii()
        and value.isdigit()
        and luhn_check_digit(value[:14]) == int(value[14])
    )


def tac(imei: str) -> str:
    """Type Allocation Code: the first 8 digits, which identify the make and model."""
    return imei[:8]


def is_valid_serial(value: str) -> bool:
    return _SERIAL.fullmatch(value) is not None


def is_valid_model_code(value: str) -> bool:
    return _MODEL.fullmatch(value) is not None


def is_country(value: str) -> bool:
    return value in COUNTRIES


def is_currency(value: str) -> bool:
    return value in CURRENCIES
