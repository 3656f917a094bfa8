"""X.509 Names read from their DER: compared as Java's X500Principal compares them (which
Google's verifier uses for name chaining) and printed as RFC 4514 text for messages and
reports."""

from __future__ import annotations

from handsetguard.attest import der

__all__ = ["has_serial_number", "name_text", "same_name"]

_SERIAL_NUMBER_ATTRIBUTE = "2.5.4.5"


def has_serial_number(name: bytes) -> bool:
    """Whether a DER Name has a serialNumber attribute (False when it cannot be read)."""
    try:
        start, end = der.expect(name, 0, len(name), der.SEQUENCE, "Name", [])
        return _has_attribute(name, start, end, [])
    except der.DerError:
        return False


def _has_attribute(data: bytes, start: int, end: int, quirks: list[str]) -> bool:
    return any(
        oid == _SERIAL_NUMBER_ATTRIBUTE
        for rdn in _rdns(data, start, end, quirks)
        for oid, _, _ in rdn
    )


def _rdns(
    data: bytes, start: int, end: int, quirks: list[str]
) -> list[list[tuple[str, int, bytes]]]:
    """Each RDN of a Name's content: (type OID, value identifier, value content) per attribute."""
    rdns = []
    for rdn in der.children(data, start, end, quirks):
        attributes = []
        for _, _, _, content, stop in der.children(data, rdn[3], rdn[4], quirks):
            parts = der.children(data, content, stop, quirks)
            if len(parts) != 2 or parts[0][0] != der.OID:
                raise der.DerError("Name: malformed AttributeTypeAndValue", content)
            oid = der.read_oid(data, parts[0][3], parts[0][4])
            attributes.append((oid, parts[1][0], data[parts[1][3] : parts[1][4]]))
        rdns.append(attributes)
    return rdns


# RFC 4514 short names, as pyca/cryptography prints them (others appear dotted).
_SHORT_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_STRING_TYPES = frozenset({0x0C, 0x13, 0x14, 0x16, 0x1A, 0x1C, 0x1E})


def _escape(text: str) -> str:
    out = []
    for index, char in enumerate(text):
        if (
            char in ',+"\\<>;'
            or (index == 0 and char in "# ")
            or (index == len(text) - 1 and char == " ")
        ):
            out.append("\\" + char)
        elif char == "\0":
            out.append("\\00")
        else:
            out.append(char)
    return "".join(out)


def _value_text(identifier: int, value: bytes) -> str:
    if identifier not in _STRING_TYPES:
        return "#" + value.hex()
    codec = {0x1E: "utf-16-be", 0x1C: "utf-32-be"}.get(identifier, "utf-8")
    return _escape(value.decode(codec, errors="replace"))


def _canonical(name: bytes) -> tuple[frozenset[tuple[str, str]], ...] | None:
    """A Name compared as X500Principal compares them (RFC 2253 canonical form): string values
    whatever their ASN.1 string type, case-folded, whitespace collapsed; None if unreadable."""
    try:
        start, end = der.expect(name, 0, len(name), der.SEQUENCE, "Name", [])
        rdns = _rdns(name, start, end, [])
    except der.DerError:
        return None
    canonical = []
    for rdn in rdns:
        values = set()
        for oid, identifier, value in rdn:
            if identifier in _STRING_TYPES:
                codec = {0x1E: "utf-16-be", 0x1C: "utf-32-be"}.get(identifier, "utf-8")
                text = " ".join(value.decode(codec, errors="replace").split()).casefold()
            else:
                text = "#" + value.hex()
            values.add((oid, text))
        canonical.append(frozenset(values))
    return tuple(canonical)


def same_name(a: bytes, b: bytes) -> bool:
    """Whether two DER Names are the same name: identical bytes, or the same canonical form
    (Java's X500Principal equality, which Google's verifier uses for name chaining)."""
    if a == b:
        return True
    left = _canonical(a)
    return left is not None and left == _canonical(b)


def name_text(name: bytes) -> str:
    """A DER Name as RFC 4514 text (last RDN first), for messages and reports."""
    try:
        start, end = der.expect(name, 0, len(name), der.SEQUENCE, "Name", [])
        return ",".join(
            "+".join(f"{_SHORT_NAMES.get(oid, oid)}={_value_text(i, v)}" for oid, i, v in rdn)
            for rdn in reversed(_rdns(name, start, end, []))
        )
    except der.DerError:
        return "#" + name.hex()
