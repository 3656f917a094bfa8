"""The signature algorithms of APK Signature Schemes v2, v3, v3.1 and v4 (ids from AOSP apksig
``SignatureAlgorithm``), checked through ``cryptography``; and certificate facts for reports."""

from __future__ import annotations

import enum
import hashlib
import warnings

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from handsetguard.records import record

__all__ = [
    "ALGORITHMS",
    "CERTIFICATE_ERRORS",
    "Algorithm",
    "CertificateInfo",
    "ContentDigest",
    "certificate_info",
    "load_public_key",
    "verify_signature",
]


CERTIFICATE_ERRORS = (ValueError, UnsupportedAlgorithm, x509.InvalidVersion)
"""What ``cryptography`` raises for a certificate it cannot read (InvalidVersion is no
ValueError)."""


class ContentDigest(enum.Enum):
    CHUNKED_SHA256 = "sha256"
    CHUNKED_SHA512 = "sha512"
    VERITY_CHUNKED_SHA256 = "verity-sha256"


@record
class Algorithm:
    """One signature algorithm id: its key type, hash, padding, content digest and the first
    API level that knows it."""

    id: int
    name: str
    key: str  # "RSA", "EC", "DSA"
    hash: str  # "sha256", "sha512"
    pss_salt: int  # 0: PKCS#1 v1.5 (for RSA)
    digest: ContentDigest
    min_sdk: int


_S256, _S512, _V = (
    ContentDigest.CHUNKED_SHA256,
    ContentDigest.CHUNKED_SHA512,
    ContentDigest.VERITY_CHUNKED_SHA256,
)
ALGORITHMS = {
    a.id: a
    for a in (
        Algorithm(0x0101, "RSA_PSS_WITH_SHA256", "RSA", "sha256", 32, _S256, 24),
        Algorithm(0x0102, "RSA_PSS_WITH_SHA512", "RSA", "sha512", 64, _S512, 24),
        Algorithm(0x0103, "RSA_PKCS1_V1_5_WITH_SHA256", "RSA", "sha256", 0, _S256, 24),
        Algorithm(0x0104, "RSA_PKCS1_V1_5_WITH_SHA512", "RSA", "sha512", 0, _S512, 24),
        Algorithm(0x0201, "ECDSA_WITH_SHA256", "EC", "sha256", 0, _S256, 24),
        Algorithm(0x0202, "ECDSA_WITH_SHA512", "EC", "sha512", 0, _S512, 24),
        Algorithm(0x0301, "DSA_WITH_SHA256", "DSA", "sha256", 0, _S256, 24),
        Algorithm(0x0421, "VERITY_RSA_PKCS1_V1_5_WITH_SHA256", "RSA", "sha256", 0, _V, 28),
        Algorithm(0x0423, "VERITY_ECDSA_WITH_SHA256", "EC", "sha256", 0, _V, 28),
        Algorithm(0x0425, "VERITY_DSA_WITH_SHA256", "DSA", "sha256", 0, _V, 28),
    )
}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def load_public_key(der: bytes) -> PublicKeyTypes | None:
    """A SubjectPublicKeyInfo, or ``None`` when it is not one ``cryptography`` reads."""
    try:
        return serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm):
        return None


def verify_signature(
    key: PublicKeyTypes, key_type: str, hash_name: str, pss_salt: int, signature: bytes, data: bytes
) -> bool:
    """Whether ``signature`` over ``data`` verifies under ``key`` (False for another key type)."""
    digest = _HASHES[hash_name]()
    try:
        if key_type == "RSA" and isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(_HASHES[hash_name]()), pss_salt)
                if pss_salt
                else padding.PKCS1v15()
            )
            key.verify(signature, data, pad, digest)
        elif key_type == "EC" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        elif key_type == "DSA" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, digest)
        else:
            return False
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        return False
    return True


@record
class CertificateInfo:
    """What a report says about a signer certificate (strings are untrusted: from the APK)."""

    sha256: str
    sha1: str
    md5: str
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    key_algorithm: str
    key_size: int
    public_key_sha256: str


def key_facts(key: PublicKeyTypes | None) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return "unknown", 0


def certificate_info(der: bytes) -> CertificateInfo:
    """The digests of ``der`` and, when ``cryptography`` reads it, its names, validity, key."""
    digests = (
        hashlib.sha256(der).hexdigest(),
        hashlib.sha1(der).hexdigest(),
        hashlib.md5(der).hexdigest(),
    )
    try:
        with warnings.catch_warnings():
            # cryptography warns about names real signing certificates carry (a 7-letter
            # country); the certificate is still what Android accepted.
            warnings.simplefilter("ignore")
            return _described(der, digests)
    except CERTIFICATE_ERRORS:
        return CertificateInfo(*digests, "", "", "", "", "", "unreadable", 0, "")


def _described(der: bytes, digests: tuple[str, str, str]) -> CertificateInfo:
    cert = x509.load_der_x509_certificate(der)
    key = cert.public_key()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    algorithm, size = key_facts(key)
    return CertificateInfo(
        *digests,
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key_algorithm=algorithm,
        key_size=size,
        public_key_sha256=hashlib.sha256(spki).hexdigest(),
    )
