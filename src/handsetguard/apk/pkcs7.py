"""The PKCS#7 / CMS SignedData of a JAR signature block (``META-INF/*.RSA|DSA|EC``), decoded
with pyasn1 (RFC 5652 schema, only the parts JAR verification reads), and one SignerInfo
checked as Android does: the signer certificate found by issuer and serial, the signed
attributes' content type and message digest, then the signature over the SET OF attributes
as it was encoded (or over the .SF file itself when there are none)."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from pyasn1.codec.der import decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

from handsetguard.apk.algorithms import CERTIFICATE_ERRORS, verify_signature
from handsetguard.records import record

__all__ = ["Pkcs7Error", "SignedData", "SignerVerdict", "parse_signed_data", "verify_signer"]

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
DIGEST_OIDS = {
    "1.2.840.113549.2.5": "md5",
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
# signatureAlgorithm OIDs: (key type, hash or None when the digestAlgorithm names it)
SIGNATURE_OIDS: dict[str, tuple[str, str | None]] = {
    "1.2.840.113549.1.1.1": ("RSA", None),
    "1.2.840.113549.1.1.4": ("RSA", "md5"),
    "1.2.840.113549.1.1.5": ("RSA", "sha1"),
    "1.2.840.113549.1.1.14": ("RSA", "sha224"),
    "1.2.840.113549.1.1.11": ("RSA", "sha256"),
    "1.2.840.113549.1.1.12": ("RSA", "sha384"),
    "1.2.840.113549.1.1.13": ("RSA", "sha512"),
    "1.2.840.10040.4.1": ("DSA", None),
    "1.2.840.10040.4.3": ("DSA", "sha1"),
    "2.16.840.1.101.3.4.3.1": ("DSA", "sha224"),
    "2.16.840.1.101.3.4.3.2": ("DSA", "sha256"),
    "1.2.840.10045.2.1": ("EC", None),
    "1.2.840.10045.4.1": ("EC", "sha1"),
    "1.2.840.10045.4.3.1": ("EC", "sha224"),
    "1.2.840.10045.4.3.2": ("EC", "sha256"),
    "1.2.840.10045.4.3.3": ("EC", "sha384"),
    "1.2.840.10045.4.3.4": ("EC", "sha512"),
}


def _implicit(number: int) -> tag.Tag:
    return tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, number)


class _AlgorithmIdentifier(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("algorithm", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType("parameters", univ.Any()),
    )


class _Attribute(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.ObjectIdentifier()),
        namedtype.NamedType("values", univ.SetOf(componentType=univ.Any())),
    )


class _IssuerAndSerial(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("issuer", univ.Any()),
        namedtype.NamedType("serial", univ.Integer()),
    )


class _SignerInfo(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("sid", univ.Any()),
        namedtype.NamedType("digestAlgorithm", _AlgorithmIdentifier()),
        namedtype.OptionalNamedType("signedAttrs", univ.Any().subtype(implicitTag=_implicit(0))),
        namedtype.NamedType("signatureAlgorithm", _AlgorithmIdentifier()),
        namedtype.NamedType("signature", univ.OctetString()),
        namedtype.OptionalNamedType("unsignedAttrs", univ.Any().subtype(implicitTag=_implicit(1))),
    )


class _EncapsulatedContent(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("contentType", univ.ObjectIdentifier()),
        namedtype.OptionalNamedType(
            "content",
            univ.Any().subtype(
                explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
            ),
        ),
    )


class _SignedData(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("version", univ.Integer()),
        namedtype.NamedType("digestAlgorithms", univ.SetOf(componentType=_AlgorithmIdentifier())),
        namedtype.NamedType("encapContentInfo", _EncapsulatedContent()),
        namedtype.OptionalNamedType(
            "certificates", univ.SetOf(componentType=univ.Any()).subtype(implicitTag=_implicit(0))
        ),
        namedtype.OptionalNamedType("crls", univ.Any().subtype(implicitTag=_implicit(1))),
        namedtype.NamedType("signerInfos", univ.SetOf(componentType=_SignerInfo())),
    )


class _ContentInfo(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("contentType", univ.ObjectIdentifier()),
        namedtype.NamedType(
            "content",
            univ.Any().subtype(
                explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0)
            ),
        ),
    )


class Pkcs7Error(Exception):
    """The signature block is not a SignedData this verifier can read (message says why)."""


@record
class SignedData:
    certificates: tuple[bytes, ...]
    signer_infos: tuple[Any, ...]  # pyasn1 values: they stay inside this module


@record
class SignerVerdict:
    verified: bool
    certificate: bytes | None  # the signer's certificate (DER), when found
    error: str | None
    algorithm: str
    key_type: str = ""  # RSA, DSA, EC
    digest: str = ""  # the SignerInfo's digest algorithm
    signature_hash: str | None = None  # the signature OID's own hash (None: a generic key OID)


def _decode(data: bytes, spec: Any) -> Any:
    value, rest = decoder.decode(data, asn1Spec=spec)
    if rest:
        raise Pkcs7Error("trailing data after the structure")
    return value


def parse_signed_data(block: bytes) -> SignedData:
    try:
        info = _decode(block, _ContentInfo())
        if str(info["contentType"]) != OID_SIGNED_DATA:
            raise Pkcs7Error(f"content type {info['contentType']} is not SignedData")
        signed = _decode(bytes(info["content"]), _SignedData())
        certificates: tuple[bytes, ...] = ()
        if signed["certificates"].isValue:
            certificates = tuple(bytes(c) for c in signed["certificates"])
        return SignedData(certificates, tuple(signed["signerInfos"]))
    except PyAsn1Error as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]  # pyasn1 may say nothing
        raise Pkcs7Error(f"malformed PKCS#7 ({first[:120]})") from None


def _find_certificate(
    sid: bytes, certificates: tuple[bytes, ...]
) -> tuple[bytes, x509.Certificate] | None:
    try:
        wanted = _decode(sid, _IssuerAndSerial())
    except (PyAsn1Error, Pkcs7Error):
        return None
    issuer, serial = bytes(wanted["issuer"]), int(wanted["serial"])
    for der in certificates:
        try:
            cert = x509.load_der_x509_certificate(der)
            found = _serial_and_issuer(cert.tbs_certificate_bytes)
        except (*CERTIFICATE_ERRORS, PyAsn1Error, Pkcs7Error):
            continue
        if found[0] == serial and (found[1] == issuer or _name_key(found[1]) == _name_key(issuer)):
            return der, cert
    return None


class _TypeAndValue(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("type", univ.ObjectIdentifier()),
        namedtype.NamedType("value", univ.Any()),
    )


_Name = univ.SequenceOf(componentType=univ.SetOf(componentType=_TypeAndValue()))


def _name_key(der: bytes) -> tuple[tuple[str, str], ...] | None:
    """A Name compared as X500Principal compares it: the string type of each value (UTF8,
    Printable, ...) ignored, case and runs of spaces folded."""
    try:
        name = _decode(der, _Name.clone())
    except (PyAsn1Error, Pkcs7Error):
        return None
    key = []
    for rdn in name:
        for pair in rdn:
            raw = bytes(pair["value"])
            body = raw[2 + (raw[1] & 0x7F if raw[1] & 0x80 else 0) :] if len(raw) >= 2 else b""
            text = body.decode("utf-16-be" if raw[:1] == b"\x1e" else "utf-8", "replace")
            key.append((str(pair["type"]), " ".join(text.lower().split())))
    return tuple(key)


def _serial_and_issuer(tbs_der: bytes) -> tuple[int, bytes]:
    """A TBSCertificate's serial and its issuer exactly as encoded (re-encoding a Name can
    change its bytes, and the SignerInfo names the issuer by those bytes)."""
    parts = [bytes(p) for p in _decode(tbs_der, univ.SequenceOf(componentType=univ.Any()))]
    if parts and parts[0][:1] == b"\xa0":  # [0] EXPLICIT version
        parts = parts[1:]
    if len(parts) < 3:
        raise Pkcs7Error("short TBSCertificate")
    return int(_decode(parts[0], univ.Integer())), parts[2]


def verify_signer(
    signer: Any, certificates: tuple[bytes, ...], signed_file: bytes
) -> SignerVerdict:
    """Whether ``signer`` (one SignerInfo) verifies over ``signed_file`` (the .SF content)."""
    digest_oid = str(signer["digestAlgorithm"]["algorithm"])
    signature_oid = str(signer["signatureAlgorithm"]["algorithm"])
    digest = DIGEST_OIDS.get(digest_oid)
    kind = SIGNATURE_OIDS.get(signature_oid)
    if digest is None or kind is None:
        return SignerVerdict(
            False, None, f"unsupported algorithm {digest_oid} / {signature_oid}", ""
        )
    key_type, named_hash = kind
    hash_name = named_hash or digest
    label = f"{hash_name.upper()}with{key_type}"
    found = _find_certificate(bytes(signer["sid"]), certificates)
    if found is None:
        return SignerVerdict(
            False, None, "signer certificate not found in the signature block", label
        )
    der, cert = found
    data = signed_file
    if signer["signedAttrs"].isValue:
        content = bytes(signer["signedAttrs"])
        data = _set_header(len(content)) + content
        error = _check_signed_attributes(data, digest, signed_file)
        if error is not None:
            return SignerVerdict(False, der, error, label)
    try:
        key: PublicKeyTypes = cert.public_key()
    except CERTIFICATE_ERRORS:
        return SignerVerdict(False, der, "signer certificate's key is unreadable", label)
    ok = verify_signature(key, key_type, hash_name, 0, bytes(signer["signature"]), data)
    error = None if ok else f"{label} signature did not verify"
    return SignerVerdict(ok, der, error, label, key_type, digest, named_hash)


def _set_header(length: int) -> bytes:
    """The DER header of a SET OF ``length`` bytes: the [0] IMPLICIT tag becomes SET (0x31)."""
    if length < 0x80:
        return bytes([0x31, length])
    size = (length.bit_length() + 7) // 8
    return bytes([0x31, 0x80 | size]) + length.to_bytes(size, "big")


def _check_signed_attributes(encoded: bytes, digest: str, signed_file: bytes) -> str | None:
    try:
        attributes = _decode(encoded, univ.SetOf(componentType=_Attribute()))
    except (PyAsn1Error, Pkcs7Error):
        return "malformed signed attributes"
    by_type: dict[str, list[bytes]] = {}
    for attribute in attributes:
        by_type.setdefault(str(attribute["type"]), []).extend(bytes(v) for v in attribute["values"])
    content_type = by_type.get(OID_CONTENT_TYPE, [])
    if len(content_type) != 1 or str(_decode(content_type[0], univ.ObjectIdentifier())) != OID_DATA:
        return "signed attributes lack a content type of data"
    message_digest = by_type.get(OID_MESSAGE_DIGEST, [])
    if len(message_digest) != 1:
        return "signed attributes lack one message digest"
    if (
        bytes(_decode(message_digest[0], univ.OctetString()))
        != hashlib.new(digest, signed_file).digest()
    ):
        return "signed attributes' message digest does not match the .SF file"
    return None
