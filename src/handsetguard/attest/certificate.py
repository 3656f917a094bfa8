"""One X.509 certificate read by the project's own DER reader (its signature is checked in
:mod:`handsetguard.attest.signatures`, its names compared in :mod:`handsetguard.attest.names`).

pyca/cryptography refuses certificates that Android's platform (Java, BoringSSL) accepts: a
DER file with a trailing newline, a BOOLEAN ``critical`` encoded as FALSE (an encoded
DEFAULT), non-minimal lengths, a subjectAltName with an x400Address, a duplicated extension.
Attestation needs only a few facts of each certificate, so they are read here, leniently, and
each deviation from DER is kept in :attr:`ParsedCertificate.quirks` for the verdict to report.
cryptography does only the public-key operations. A duplicated extension is recorded, never
resolved (which copy a reader would pick is exactly the ambiguity a forger wants): the chain
fails on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handsetguard.attest import der, oids
from handsetguard.attest.errors import ChainInputError
from handsetguard.attest.names import has_serial_number, name_text, same_name
from handsetguard.records import record

__all__ = ["ParsedCertificate", "parse_certificate"]

_EXPLICIT_0, _EXPLICIT_3 = 0xA0, 0xA3


@record
class ParsedCertificate:
    """The facts path validation needs from one certificate, read once from its DER."""

    der: bytes
    tbs: bytes
    """The exact signed bytes (TBSCertificate as encoded)."""
    signature_algorithm: bytes
    """The outer AlgorithmIdentifier, DER as encoded."""
    tbs_signature_algorithm: bytes
    signature: bytes
    serial: int
    subject: bytes
    issuer: bytes
    not_before: datetime
    not_after: datetime
    spki: bytes
    is_ca: bool
    path_length: int | None
    key_cert_sign: bool | None
    key_description: bytes | None
    provisioning_info: bytes | None
    unknown_critical: tuple[str, ...]
    duplicate_extensions: tuple[str, ...]
    quirks: tuple[str, ...]
    """Deviations from DER found while reading (empty for a strict DER certificate)."""

    @property
    def self_issued(self) -> bool:
        return same_name(self.subject, self.issuer)

    @property
    def serial_number_in_subject(self) -> bool:
        """The subject names a serialNumber: how Google's verifier recognises the intermediate
        of a factory-provisioned chain (read on demand: only one certificate is asked)."""
        return has_serial_number(self.subject)

    @property
    def subject_text(self) -> str:
        return name_text(self.subject)

    @property
    def issuer_text(self) -> str:
        return name_text(self.issuer)


def parse_certificate(data: bytes, where: str) -> ParsedCertificate:
    """Read one certificate (lenient DER); unusable input raises :class:`ChainInputError`."""
    try:
        return _parse(data)
    except der.DerError as exc:
        raise ChainInputError(f"{where}: not a DER X.509 certificate ({exc})") from None


def _parse(data: bytes) -> ParsedCertificate:
    quirks: list[str] = []
    start, end = der.expect(data, 0, len(data), der.SEQUENCE, "Certificate", quirks)
    if end != len(data):
        raise der.DerError(f"{len(data) - end} bytes after the certificate", end)
    parts = der.children(data, start, end, quirks)
    if len(parts) != 3 or parts[0][0] != der.SEQUENCE or parts[1][0] != der.SEQUENCE:
        raise der.DerError("Certificate: expected tbsCertificate, algorithm, signature", start)
    if parts[2][0] != der.BIT_STRING:
        raise der.DerError("Certificate: the signature is not a BIT STRING", parts[2][2])
    _, _, tbs_at, tbs_start, tbs_end = parts[0]
    _, _, sig_at, sig_start, sig_end = parts[2]
    if sig_start == sig_end or data[sig_start] != 0:
        raise der.DerError("signature BIT STRING with unused bits", sig_start)
    fields = _tbs(data, tbs_start, tbs_end, quirks)
    return ParsedCertificate(
        der=data,
        tbs=data[tbs_at:tbs_end],
        signature_algorithm=data[parts[1][2] : parts[1][4]],
        signature=data[sig_start + 1 : sig_end],
        quirks=tuple(quirks),
        **fields,
    )


def _tbs(data: bytes, start: int, end: int, quirks: list[str]) -> dict[str, Any]:
    items = der.children(data, start, end, quirks)
    if items and items[0][0] == _EXPLICIT_0:
        items = items[1:]  # version
    if len(items) < 6:
        raise der.DerError("tbsCertificate: too few fields", start)
    serial_item, algorithm, issuer, validity, subject, spki = items[:6]
    if serial_item[0] != der.INTEGER:
        raise der.DerError("tbsCertificate: serialNumber is not an INTEGER", serial_item[2])
    for item, what in ((issuer, "issuer"), (subject, "subject"), (spki, "subjectPublicKeyInfo")):
        if item[0] != der.SEQUENCE:
            raise der.DerError(f"tbsCertificate: {what} is not a SEQUENCE", item[2])
    serial = der.read_integer(data, serial_item[3], serial_item[4], "serialNumber", quirks)
    if serial <= 0:
        quirks.append(f"serialNumber {serial} is not positive")
    times = der.children(data, validity[3], validity[4], quirks)
    if validity[0] != der.SEQUENCE or len(times) != 2:
        raise der.DerError("tbsCertificate: validity is not two times", validity[2])
    not_before, not_after = (
        der.read_time(data, t[0], t[3], t[4], name, quirks)
        for t, name in zip(times, ("notBefore", "notAfter"), strict=True)
    )
    extensions: list[tuple[str, bool, bytes]] = []
    for item in items[6:]:
        if item[0] == _EXPLICIT_3:
            extensions = _extensions(data, item[3], item[4], quirks)
        elif item[0] not in (0x81, 0xA1, 0x82, 0xA2):  # issuer/subject unique IDs
            raise der.DerError("tbsCertificate: unexpected field", item[2])
    return {
        "tbs_signature_algorithm": data[algorithm[2] : algorithm[4]],
        "serial": serial,
        "issuer": data[issuer[2] : issuer[4]],
        "subject": data[subject[2] : subject[4]],
        "not_before": not_before,
        "not_after": not_after,
        "spki": data[spki[2] : spki[4]],
        **_extension_facts(extensions, quirks),
    }


def _extensions(
    data: bytes, start: int, end: int, quirks: list[str]
) -> list[tuple[str, bool, bytes]]:
    outer_start, outer_end = der.expect(data, start, end, der.SEQUENCE, "extensions", quirks)
    if outer_end != end:
        raise der.DerError("extensions: trailing data", outer_end)
    result = []
    for identifier, _, at, content, stop in der.children(data, outer_start, outer_end, quirks):
        if identifier != der.SEQUENCE:
            raise der.DerError("extension: not a SEQUENCE", at)
        parts = der.children(data, content, stop, quirks)
        if not parts or parts[0][0] != der.OID:
            raise der.DerError("extension: no extnID", content)
        raw_oid = data[parts[0][3] : parts[0][4]]
        oid = _KNOWN_OIDS.get(raw_oid) or der.read_oid(data, parts[0][3], parts[0][4])
        critical = False
        rest = parts[1:]
        if rest and rest[0][0] == der.BOOLEAN:
            critical = der.read_boolean(data, rest[0][3], rest[0][4], f"{oid} critical", quirks)
            if not critical:
                quirks.append(f"extension {oid}: critical FALSE encoded (a DER DEFAULT)")
            rest = rest[1:]
        if len(rest) != 1 or rest[0][0] != der.OCTET_STRING:
            raise der.DerError(f"extension {oid}: extnValue is not one OCTET STRING", content)
        result.append((oid, critical, data[rest[0][3] : rest[0][4]]))
    return result


def _oid_content(dotted: str) -> bytes:
    """The DER content octets of an OBJECT IDENTIFIER (for the lookup table below)."""
    arcs = [int(arc) for arc in dotted.split(".")]
    out = bytearray()
    for value in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [value & 0x7F]
        while value > 0x7F:
            value >>= 7
            chunk.append(0x80 | (value & 0x7F))
        out += bytes(reversed(chunk))
    return bytes(out)


# Extension OIDs recognised by their encoded bytes, without decoding them each time.
_KNOWN_OIDS = {_oid_content(oid): oid for oid in oids.KNOWN_CRITICAL}


def _extension_facts(
    extensions: list[tuple[str, bool, bytes]], quirks: list[str]
) -> dict[str, Any]:
    seen: dict[str, bytes] = {}
    duplicates: list[str] = []
    for oid, _, value in extensions:
        if oid in seen and oid not in duplicates:
            duplicates.append(oid)
        seen.setdefault(oid, value)
    is_ca, path_length, key_cert_sign = False, None, None
    constraints = seen.get(oids.BASIC_CONSTRAINTS)
    if constraints is not None:
        is_ca, path_length = _basic_constraints(constraints, quirks)
    usage = seen.get(oids.KEY_USAGE)
    if usage is not None:
        key_cert_sign = _key_cert_sign(usage, quirks)
    return {
        "is_ca": is_ca,
        "path_length": path_length,
        "key_cert_sign": key_cert_sign,
        "key_description": seen.get(oids.KEY_DESCRIPTION),
        "provisioning_info": seen.get(oids.PROVISIONING_INFO),
        "unknown_critical": tuple(
            oid for oid, critical, _ in extensions if critical and oid not in oids.KNOWN_CRITICAL
        ),
        "duplicate_extensions": tuple(duplicates),
    }


def _basic_constraints(value: bytes, quirks: list[str]) -> tuple[bool, int | None]:
    start, end = der.expect(value, 0, len(value), der.SEQUENCE, "basicConstraints", quirks)
    is_ca, path_length = False, None
    for identifier, _, _, content, stop in der.children(value, start, end, quirks):
        if identifier == der.BOOLEAN:
            is_ca = der.read_boolean(value, content, stop, "basicConstraints cA", quirks)
            if not is_ca:
                quirks.append("basicConstraints: cA FALSE encoded (a DER DEFAULT)")
        elif identifier == der.INTEGER:
            path_length = der.read_integer(value, content, stop, "pathLenConstraint", quirks)
    return is_ca, path_length


def _key_cert_sign(value: bytes, quirks: list[str]) -> bool:
    start, end = der.expect(value, 0, len(value), der.BIT_STRING, "keyUsage", quirks)
    if end - start < 2:
        return False
    return bool(value[start + 1] & 0x04)  # bit 5 (keyCertSign) of the first octet
