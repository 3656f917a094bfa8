"""Device identifiers: IMEI (15 digits, Luhn check digit; TAC = first 8 digits), MEID (3GPP2
S.R0048), serials, model codes and ISO 3166-1 alpha-2 territories."""

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
    "meid_check_digit",
    "parse_meid",
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


_HEX = "0123456789ABCDEF"


def meid_check_digit(body: str) -> str:
    """The check digit of a 14-hex-digit MEID: Luhn in base 16 (every second digit from the
    right doubled, a two-digit product's hex digits summed), as 3GPP2 X.S0008 displays it."""
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char, 16)
        if index % 2 == 0:
            digit *= 2
            digit = digit // 16 + digit % 16
        total += digit
    return _HEX[(16 - total % 16) % 16]


def _meid_from_decimal(value: str) -> str:
    """18 decimal digits (optionally a 19th Luhn check digit): the 32-bit regional and
    manufacturer code in 10 digits, then the 24-bit serial number in 8."""
    if len(value) == 19:
        if luhn_check_digit(value[:18]) != int(value[18]):
            raise ValueError("its decimal check digit (the 19th) is wrong")
        value = value[:18]
    maker, serial = int(value[:10]), int(value[10:])
    if maker > 0xFFFFFFFF or serial > 0xFFFFFF:
        raise ValueError(
            "its decimal form is out of range (10 digits <= 4294967295, then 8 <= 16777215)"
        )
    return f"{maker:08X}{serial:06X}"


def parse_meid(value: str) -> str:
    """A MEID as stored: 14 upper-case hex digits, the check digit dropped (S.R0048: it is not
    part of the MEID). Accepted: 14 hex digits, 15 with the hex check digit, and the decimal
    form of 18 digits (19 with its Luhn check digit). Refused (ValueError, saying why): other
    lengths or characters, a wrong check digit, a placeholder of one repeated digit (all
    zeros, all F), and hex digits A-F under a regional code below A0 (00-99 is the decimal
    IMEI range; the global hexadecimal administrator assigns A0-FF)."""
    if not value.isascii() or not value.isalnum():
        raise ValueError("it must be 14 hex digits (or 18 decimal digits)")
    if len(value) in (18, 19) and value.isdigit():
        meid = _meid_from_decimal(value)
    elif len(value) in (14, 15) and all(c in _HEX for c in value.upper()):
        meid = value[:14].upper()
        if len(value) == 15 and value[14].upper() != meid_check_digit(meid):
            raise ValueError(
                f"its check digit {value[14]} is wrong (expected {meid_check_digit(meid)})"
            )
    else:
        raise ValueError(
            "it must be 14 hex digits (15 with the check digit) or 18 decimal digits (19)"
        )
    if len(set(meid)) == 1:
        raise ValueError(f"{meid} is a placeholder, not an equipment identifier")
    if int(meid[:2], 16) < 0xA0 and not meid.isdigit():
        raise ValueError(
            "a regional code below A0 is the decimal (IMEI) range: all 14 digits are decimal"
        )
    return meid


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
