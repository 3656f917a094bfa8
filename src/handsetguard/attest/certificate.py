"""One X.509 certificate read by the project's own DER reader, and its signature checked over
the exact TBS bytes.

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

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from handsetguard.attest import der, oids
from handsetguard.attest._cache import BoundedCache
from handsetguard.attest.errors import ChainInputError
from handsetguard.records import record

__all__ = [
    "ParsedCertificate",
    "SignatureError",
    "clear_caches",
    "name_text",
    "parse_certificate",
    "public_key",
    "same_name",
    "verify_signature",
]

_EXPLICIT_0, _EXPLICIT_3 = 0xA0, 0xA3
_SERIAL_NUMBER_ATTRIBUTE = "2.5.4.5"


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
        try:
            start, end = der.expect(self.subject, 0, len(self.subject), der.SEQUENCE, "Name", [])
            return _has_attribute(self.subject, start, end, [])
        except der.DerError:
            return False

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


# --- signatures -----------------------------------------------------------------------------


class SignatureError(Exception):
    """The signature cannot be checked (unknown algorithm, key mismatch, unusable key)."""


_RSA_PKCS1: dict[str, Any] = {
    "1.2.840.113549.1.1.5": hashes.SHA1,
    "1.2.840.113549.1.1.14": hashes.SHA224,
    "1.2.840.113549.1.1.11": hashes.SHA256,
    "1.2.840.113549.1.1.12": hashes.SHA384,
    "1.2.840.113549.1.1.13": hashes.SHA512,
}
_ECDSA: dict[str, Any] = {
    "1.2.840.10045.4.1": hashes.SHA1,
    "1.2.840.10045.4.3.1": hashes.SHA224,
    "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512,
}
_HASH_BY_OID: dict[str, Any] = {
    "1.3.14.3.2.26": hashes.SHA1,
    "2.16.840.1.101.3.4.2.4": hashes.SHA224,
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}
_RSA_PSS = "1.2.840.113549.1.1.10"
# The signature parameters of each algorithm, built once (they are immutable).
_ECDSA_PARAMETERS = {oid: ec.ECDSA(digest()) for oid, digest in _ECDSA.items()}
_PKCS1_PARAMETERS = {oid: (padding.PKCS1v15(), digest()) for oid, digest in _RSA_PKCS1.items()}
_ALGORITHMS: BoundedCache[bytes, tuple[str, bytes]] = BoundedCache(256)
_PURE: dict[str, Any] = {  # algorithms that sign the message itself, with their key types
    "1.3.101.112": ed25519.Ed25519PublicKey,
    "1.3.101.113": ed448.Ed448PublicKey,
}
try:  # ML-DSA (FIPS 204) keys: cryptography 47 and later
    from cryptography.hazmat.primitives.asymmetric import mldsa

    _PURE["2.16.840.1.101.3.4.3.17"] = mldsa.MLDSA44PublicKey
    _PURE["2.16.840.1.101.3.4.3.18"] = mldsa.MLDSA65PublicKey
    _PURE["2.16.840.1.101.3.4.3.19"] = mldsa.MLDSA87PublicKey
except ImportError:  # pragma: no cover - older cryptography
    pass
_KEYS: BoundedCache[bytes, Any] = BoundedCache(4096)


def clear_caches() -> None:
    _KEYS.clear()
    _ALGORITHMS.clear()


def forget_key(spki: bytes) -> None:
    _KEYS.discard(spki)


def public_key(spki: bytes) -> Any:
    """The public key of a DER SubjectPublicKeyInfo (cached: a pure function of the bytes)."""
    key = _KEYS.get(spki)
    if key is None:
        try:
            key = load_der_public_key(spki)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            key = _lenient_public_key(spki)
            if key is None:
                raise SignatureError(f"unusable public key ({exc})") from None
        _KEYS.put(spki, key)
    return key


_RSA_KEY = "1.2.840.113549.1.1.1"
_EC_KEY = "1.2.840.10045.2.1"
_CURVES: dict[str, Any] = {
    "1.2.840.10045.3.1.7": ec.SECP256R1,
    "1.3.132.0.34": ec.SECP384R1,
    "1.3.132.0.35": ec.SECP521R1,
}


def _lenient_public_key(spki: bytes) -> Any:
    """An RSA or EC key whose SubjectPublicKeyInfo cryptography refuses for its encoding (a
    non-minimal INTEGER or length, as BER readers accept), rebuilt from its numbers; None when
    it is not such a key."""
    quirks: list[str] = []
    try:
        start, end = der.expect(spki, 0, len(spki), der.SEQUENCE, "SubjectPublicKeyInfo", quirks)
        algorithm, bits = der.children(spki, start, end, quirks)
        oid, parameters = _read_algorithm(spki[algorithm[2] : algorithm[4]])
        if bits[0] != der.BIT_STRING or bits[3] == bits[4] or spki[bits[3]] != 0:
            return None
        point = spki[bits[3] + 1 : bits[4]]
        if oid == _EC_KEY and parameters[:1] == bytes([der.OID]):
            curve = _CURVES.get(der.read_oid(parameters, 2, len(parameters)))
            return (
                None
                if curve is None
                else ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
            )
        if oid == _RSA_KEY:
            inner_start, inner_end = der.expect(point, 0, len(point), der.SEQUENCE, "RSA", quirks)
            modulus, exponent = der.children(point, inner_start, inner_end, quirks)
            n = der.read_integer(point, modulus[3], modulus[4], "modulus", quirks)
            e = der.read_integer(point, exponent[3], exponent[4], "exponent", quirks)
            return rsa.RSAPublicNumbers(e, n).public_key()
    except (der.DerError, SignatureError, ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return None


def _algorithm(identifier: bytes) -> tuple[str, bytes]:
    """(OID, parameters DER) of an AlgorithmIdentifier; cached, a pure function of its bytes."""
    known = _ALGORITHMS.get(identifier)
    if known is None:
        known = _read_algorithm(identifier)
        _ALGORITHMS.put(identifier, known)
    return known


def _read_algorithm(identifier: bytes) -> tuple[str, bytes]:
    start, end = der.expect(identifier, 0, len(identifier), der.SEQUENCE, "algorithm", [])
    parts = der.children(identifier, start, end, [])
    if not parts or parts[0][0] != der.OID:
        raise SignatureError("malformed AlgorithmIdentifier")
    oid = der.read_oid(identifier, parts[0][3], parts[0][4])
    return oid, identifier[parts[1][2] : parts[-1][4]] if len(parts) > 1 else b""


def _pss(parameters: bytes) -> tuple[padding.PSS, Any]:
    """RSASSA-PSS-params (RFC 4055): hash [0], MGF1 [1], salt length [2]; defaults SHA-1/20."""
    digest: Any = hashes.SHA1
    salt = 20
    start, end = der.expect(parameters, 0, len(parameters), der.SEQUENCE, "RSASSA-PSS", [])
    for identifier, _, _, content, stop in der.children(parameters, start, end, []):
        if identifier == 0xA0:
            oid, _ = _algorithm(parameters[content:stop])
            if oid not in _HASH_BY_OID:
                raise SignatureError(f"RSASSA-PSS hash {oid} not supported")
            digest = _HASH_BY_OID[oid]
        elif identifier == 0xA2:
            inner = der.expect(parameters, content, stop, der.INTEGER, "saltLength", [])
            salt = der.read_integer(parameters, *inner, "saltLength")
    algorithm = digest()
    return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt), algorithm


def verify_signature(cert: ParsedCertificate, key: Any) -> None:
    """Check ``cert``'s signature over its exact TBS bytes with ``key``. Raises
    ``InvalidSignature`` when it does not verify and :class:`SignatureError` when it cannot be
    checked (the inner and outer algorithms differ, unknown algorithm, wrong key type)."""
    if cert.signature_algorithm != cert.tbs_signature_algorithm:
        raise SignatureError("the signed and the outer signature algorithms differ")
    try:
        oid, parameters = _algorithm(cert.signature_algorithm)
        if oid in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs, _ECDSA_PARAMETERS[oid])
        elif oid in _RSA_PKCS1 and isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs, *_PKCS1_PARAMETERS[oid])
        elif oid == _RSA_PSS and isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs, *_pss(parameters))
        elif oid in _PURE and isinstance(key, _PURE[oid]):
            key.verify(cert.signature, cert.tbs)
        else:
            raise SignatureError(f"signature algorithm {oid} with a {type(key).__name__}")
    except InvalidSignature:
        raise
    except (der.DerError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(str(exc)) from None
