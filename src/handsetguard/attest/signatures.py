"""Certificate signatures checked over the exact TBS bytes with pyca/cryptography, by the
algorithms Android's attestation certificates use (RSA PKCS#1 v1.5 and PSS, ECDSA, EdDSA,
ML-DSA), and public keys read from a SubjectPublicKeyInfo, leniently where cryptography
refuses a BER encoding the platform accepts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from handsetguard.attest import der
from handsetguard.attest._cache import BoundedCache

if TYPE_CHECKING:
    from handsetguard.attest.certificate import ParsedCertificate

__all__ = ["SignatureError", "clear_caches", "forget_key", "public_key", "verify_signature"]


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
