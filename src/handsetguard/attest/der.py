"""A small, bounded reader of ASN.1 DER: the project's own ASN.1 code for certificates and the
KeyDescription extension.

Two modes. *Strict* (``quirks=None``) accepts DER only (X.690 §10). *Lenient* (a list given)
also reads the BER deviations that real attestation certificates carry and that OpenSSL and
Java accept while pyca/cryptography refuses them — non-minimal lengths, BOOLEAN values other
than 00/FF, non-minimal INTEGERs, an explicitly encoded DEFAULT — and appends one line per
deviation to the list, so the verdict can report the quirk. Indefinite lengths, lengths past
the end, tag numbers over 28 bits and lengths over 4 bytes are refused in both modes.
Every function works on (data, start, end) offsets: nothing is copied until a value is read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = [
    "BIT_STRING",
    "BOOLEAN",
    "ENUMERATED",
    "GENERALIZED_TIME",
    "INTEGER",
    "NULL",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "SET",
    "UTC_TIME",
    "DerError",
    "children",
    "expect",
    "read",
    "read_boolean",
    "read_integer",
    "read_oid",
    "read_time",
]

# Identifier octets of the universal types used here (constructed bit set for SEQUENCE/SET).
BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID, ENUMERATED = 1, 2, 3, 4, 5, 6, 10
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
SEQUENCE, SET = 0x30, 0x31

_MAX_LENGTH_OCTETS = 4


class DerError(ValueError):
    """Input that is not (even lenient) DER; ``offset`` is where reading stopped."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at byte {offset}")
        self.offset = offset


def _tag_number(data: bytes, pos: int, end: int, quirks: list[str] | None) -> tuple[int, int]:
    """A high-tag-number form's number (X.690 §8.1.2.4) and the offset after it."""
    number = 0
    for count in range(5):
        if pos >= end:
            raise DerError("truncated tag number", pos)
        octet = data[pos]
        pos += 1
        if count == 0 and octet == 0x80:
            if quirks is None:
                raise DerError("tag number with a leading zero group", pos - 1)
            quirks.append(f"tag number with a leading zero group at byte {pos - 1}")
        number = (number << 7) | (octet & 0x7F)
        if not octet & 0x80:
            return number, pos
    raise DerError("tag number too long", pos)


def _long_length(
    data: bytes, pos: int, end: int, count: int, quirks: list[str] | None
) -> tuple[int, int]:
    if count == 0:
        raise DerError("indefinite length (BER, not DER)", pos - 1)
    if count > _MAX_LENGTH_OCTETS:
        raise DerError(f"a {count}-byte length", pos - 1)
    if pos + count > end:
        raise DerError("truncated length", pos)
    length = int.from_bytes(data[pos : pos + count], "big")
    if length < 0x80 or data[pos] == 0:
        if quirks is None:
            raise DerError("non-minimal length encoding", pos - 1)
        quirks.append(f"non-minimal length encoding at byte {pos - 1}")
    return length, pos + count


def read(
    data: bytes, pos: int, end: int, quirks: list[str] | None = None
) -> tuple[int, int, int, int]:
    """One TLV header at ``pos``: (identifier octet, tag number, content start, content end).

    For a multi-byte tag the identifier octet keeps its class and form bits with 0x1F.
    """
    if pos >= end:
        raise DerError("truncated: an identifier was expected", pos)
    first = data[pos]
    number = first & 0x1F
    pos += 1
    if number == 0x1F:
        number, pos = _tag_number(data, pos, end, quirks)
    if pos >= end:
        raise DerError("truncated: a length was expected", pos)
    length = data[pos]
    pos += 1
    if length & 0x80:
        length, pos = _long_length(data, pos, end, length & 0x7F, quirks)
    if pos + length > end:
        raise DerError(f"a length of {length} runs past the end", pos)
    return first, number, pos, pos + length


def expect(
    data: bytes, pos: int, end: int, identifier: int, what: str, quirks: list[str] | None = None
) -> tuple[int, int]:
    """The (content start, content end) of a TLV that must have ``identifier``."""
    if pos < end and data[pos] != identifier:
        raise DerError(f"{what}: identifier 0x{data[pos]:02x}, expected 0x{identifier:02x}", pos)
    _, _, start, stop = read(data, pos, end, quirks)
    return start, stop


def children(
    data: bytes, start: int, end: int, quirks: list[str] | None = None
) -> list[tuple[int, int, int, int, int]]:
    """Every TLV inside ``data[start:end]``: (identifier, number, TLV start, content start,
    content end). The contents must be exactly covered (no trailing bytes)."""
    items = []
    pos = start
    while pos < end:
        identifier, number, content, stop = read(data, pos, end, quirks)
        items.append((identifier, number, pos, content, stop))
        pos = stop
    return items


def read_integer(
    data: bytes, start: int, end: int, what: str, quirks: list[str] | None = None
) -> int:
    """A two's-complement INTEGER (or ENUMERATED) content."""
    if start >= end:
        raise DerError(f"{what}: empty INTEGER", start)
    if end - start > 1:
        first, second = data[start], data[start + 1]
        if (first == 0 and second < 0x80) or (first == 0xFF and second >= 0x80):
            if quirks is None:
                raise DerError(f"{what}: non-minimal INTEGER", start)
            quirks.append(f"{what}: non-minimal INTEGER encoding")
    return int.from_bytes(data[start:end], "big", signed=True)


def read_boolean(
    data: bytes, start: int, end: int, what: str, quirks: list[str] | None = None
) -> bool:
    if end - start != 1:
        raise DerError(f"{what}: a BOOLEAN has one content byte", start)
    value = data[start]
    if value not in (0, 0xFF):
        if quirks is None:
            raise DerError(f"{what}: BOOLEAN 0x{value:02x} (DER allows 00 and ff)", start)
        quirks.append(f"{what}: BOOLEAN encoded as 0x{value:02x}")
    return value != 0


def read_oid(data: bytes, start: int, end: int) -> str:
    """An OBJECT IDENTIFIER content as dotted text."""
    if start >= end or data[end - 1] & 0x80:
        raise DerError("malformed OBJECT IDENTIFIER", start)
    arcs: list[int] = []
    value = 0
    for pos in range(start, end):
        octet = data[pos]
        if value == 0 and octet == 0x80:
            raise DerError("OBJECT IDENTIFIER arc with a leading zero group", pos)
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            if not arcs:
                top = min(value // 40, 2)
                arcs += [top, value - 40 * top]
            else:
                arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))


def read_time(
    data: bytes, identifier: int, start: int, end: int, what: str, quirks: list[str] | None
) -> datetime:
    """UTCTime (years 1950-2049) or GeneralizedTime, in UTC. Lenient mode also reads a time
    without seconds, with fractional seconds or with a +hhmm offset."""
    digits = 2 if identifier == UTC_TIME else 4
    if end - start == digits + 11 and data[end - 1] == 0x5A:  # the DER form: fast path
        raw = data[start : end - 1]
        if raw.isdigit():
            year = int(raw[:digits])
            if digits == 2:
                year += 1900 if year >= 50 else 2000
            rest = raw[digits:]
            try:
                return datetime(
                    year,
                    int(rest[0:2]),
                    int(rest[2:4]),
                    int(rest[4:6]),
                    int(rest[6:8]),
                    int(rest[8:10]),
                    tzinfo=UTC,
                )
            except ValueError:
                raise DerError(f"{what}: {raw!r} is not a valid date", start) from None
    try:
        text = data[start:end].decode("ascii")
    except UnicodeDecodeError:
        raise DerError(f"{what}: time is not ASCII", start) from None
    strict = len(text) == digits + 11 and text.endswith("Z") and text[:-1].isdigit()
    if not strict:
        if quirks is None or identifier not in (UTC_TIME, GENERALIZED_TIME):
            raise DerError(f"{what}: {text!r} is not a DER time", start)
        quirks.append(f"{what}: time encoded as {text!r}")
    return _parse_time(text, digits, what, start)


def _parse_time(text: str, digits: int, what: str, offset: int) -> datetime:
    body, shift = text, timedelta(0)
    if body.endswith("Z"):
        body = body[:-1]
    elif len(body) > 5 and body[-5] in "+-":
        sign = 1 if body[-5] == "+" else -1
        if not body[-4:].isdigit():
            raise DerError(f"{what}: bad time offset in {text!r}", offset)
        shift = sign * timedelta(hours=int(body[-4:-2]), minutes=int(body[-2:]))
        body = body[:-5]
    body = body.split(".", 1)[0].split(",", 1)[0]
    if not body.isdigit() or len(body) not in (digits + 8, digits + 10):
        raise DerError(f"{what}: {text!r} is not a time", offset)
    year = int(body[:digits])
    if digits == 2:
        year += 1900 if year >= 50 else 2000
    rest = body[digits:]
    try:
        when = datetime(
            year,
            int(rest[0:2]),
            int(rest[2:4]),
            int(rest[4:6]),
            int(rest[6:8]),
            int(rest[8:10]) if len(rest) == 10 else 0,
            tzinfo=UTC,
        )
    except ValueError:
        raise DerError(f"{what}: {text!r} is not a valid date", offset) from None
    return when - shift
