"""The WebAuthn ``android-key`` attestation statement (WebAuthn Level 2 §8.4): its signature
over ``authData || clientDataHash`` by the attested (leaf) key, and the binding of the client
data to the KeyDescription's challenge.

The x5c chain alone proves a key lives in secure hardware; only the statement's signature
proves *this* registration (authData, client data) was made with that key. Without the client
data, clientDataHash is taken from the attested challenge (which the spec requires to equal it).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from handsetguard.attest.cbor import decode_cbor_prefix
from handsetguard.attest.certificate import ParsedCertificate
from handsetguard.attest.errors import ChainInputError
from handsetguard.attest.inputs import WebAuthnStatement
from handsetguard.attest.keydescription import KeyDescription
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode
from handsetguard.attest.signatures import SignatureError, public_key

__all__ = ["check_statement"]

# COSE algorithm numbers (IANA COSE Algorithms registry).
_ECDSA: dict[int, Any] = {-7: hashes.SHA256, -35: hashes.SHA384, -36: hashes.SHA512}
_RSA_PKCS1: dict[int, Any] = {-257: hashes.SHA256, -258: hashes.SHA384, -259: hashes.SHA512}
_RSA_PSS: dict[int, Any] = {-37: hashes.SHA256, -38: hashes.SHA384, -39: hashes.SHA512}
_EDDSA = -8


def _verify(key: Any, alg: int | None, signature: bytes, message: bytes) -> None:
    if isinstance(key, ec.EllipticCurvePublicKey) and (alg is None or alg in _ECDSA):
        key.verify(signature, message, ec.ECDSA(_ECDSA.get(alg or -7, hashes.SHA256)()))
    elif isinstance(key, rsa.RSAPublicKey) and alg in _RSA_PKCS1:
        key.verify(signature, message, padding.PKCS1v15(), _RSA_PKCS1[alg]())
    elif isinstance(key, rsa.RSAPublicKey) and alg in _RSA_PSS:
        digest = _RSA_PSS[alg]()
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        key.verify(signature, message, pss, digest)
    elif isinstance(key, ed25519.Ed25519PublicKey) and alg in (None, _EDDSA):
        key.verify(signature, message)
    else:
        raise SignatureError(f"COSE algorithm {alg} with a {type(key).__name__} leaf key")


_ATTESTED_CREDENTIAL_DATA = 0x40
_EC_CURVES = {1: "secp256r1", 2: "secp384r1", 3: "secp521r1"}


def _credential_key(auth_data: bytes) -> dict[Any, Any] | str:
    """The COSE_Key of authData's attested credential data, or why there is none
    (WebAuthn §6.1: rpIdHash 32, flags 1, signCount 4, aaguid 16, idLength 2, id, key)."""
    if len(auth_data) < 37 or not auth_data[32] & _ATTESTED_CREDENTIAL_DATA:
        return "authData has no attested credential data"
    if len(auth_data) < 55:
        return "authData is too short for its attested credential data"
    length = int.from_bytes(auth_data[53:55], "big")
    try:
        key, _ = decode_cbor_prefix(auth_data[55 + length :], "authData credentialPublicKey")
    except ChainInputError as exc:
        return exc.message
    return key if isinstance(key, dict) else "credentialPublicKey is not a COSE_Key map"


def _same_key(cose: dict[Any, Any], key: Any) -> bool:
    kty = cose.get(1)
    if kty == 2 and isinstance(key, ec.EllipticCurvePublicKey):
        point = key.public_numbers()
        x, y = cose.get(-2), cose.get(-3)
        return (
            _EC_CURVES.get(int(cose.get(-1) or 0)) == key.curve.name
            and isinstance(x, bytes)
            and isinstance(y, bytes)
            and int.from_bytes(x, "big") == point.x
            and int.from_bytes(y, "big") == point.y
        )
    if kty == 3 and isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        n, e = cose.get(-1), cose.get(-2)
        return (
            isinstance(n, bytes)
            and isinstance(e, bytes)
            and int.from_bytes(n, "big") == numbers.n
            and int.from_bytes(e, "big") == numbers.e
        )
    if kty == 1 and cose.get(-1) == 6 and isinstance(key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return cose.get(-2) == key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return False


def _client_challenge(client_data_json: bytes) -> tuple[bytes | None, str | None]:
    """(challenge, problem) from the client data: its base64url challenge, its type."""
    import base64
    import binascii

    try:
        document = json.loads(client_data_json)
    except (ValueError, RecursionError):
        return None, "clientDataJSON is not JSON"
    if not isinstance(document, dict) or not isinstance(document.get("challenge"), str):
        return None, "clientDataJSON has no challenge"
    if document.get("type") != "webauthn.create":
        return None, f"clientDataJSON type is {document.get('type')!r}, not 'webauthn.create'"
    text = document["challenge"]
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), None
    except (binascii.Error, ValueError):
        return None, "clientDataJSON challenge is not base64url"


def check_statement(
    statement: WebAuthnStatement, leaf: ParsedCertificate, kd: KeyDescription | None
) -> tuple[list[Failure], list[Notice], bytes | None]:
    """Failures and notices of the statement, and the relying party's challenge from the
    client data (None without client data)."""
    failures: list[Failure] = []
    notices: list[Notice] = []
    challenge: bytes | None = None
    if statement.client_data_json is not None:
        client_hash = hashlib.sha256(statement.client_data_json).digest()
        challenge, problem = _client_challenge(statement.client_data_json)
        if problem is not None:
            failures.append(Failure(FailureCode.WEBAUTHN_CLIENT_DATA, problem))
        if kd is not None and kd.attestation_challenge != client_hash:
            failures.append(
                Failure(
                    FailureCode.WEBAUTHN_CLIENT_DATA,
                    "the attested challenge is not the SHA-256 of clientDataJSON",
                    0,
                )
            )
    elif kd is not None:
        client_hash = kd.attestation_challenge
        notices.append(
            Notice(
                NoticeCode.WEBAUTHN_NO_CLIENT_DATA,
                "no clientDataJSON given: the statement's signature is checked against the "
                "attested challenge, and the relying party's challenge cannot be",
            )
        )
    else:
        failures.append(
            Failure(FailureCode.WEBAUTHN_SIGNATURE, "no client data and no attested challenge")
        )
        return failures, notices, None
    try:
        leaf_key = public_key(leaf.spki)
    except SignatureError as exc:
        failures.append(Failure(FailureCode.WEBAUTHN_SIGNATURE, f"leaf key unusable ({exc})", 0))
        return failures, notices, challenge
    cose = _credential_key(statement.auth_data)
    if isinstance(cose, str) or not _same_key(cose, leaf_key):
        why = cose if isinstance(cose, str) else "it is not the attested (leaf) key"
        failures.append(
            Failure(FailureCode.WEBAUTHN_CREDENTIAL_KEY, f"credentialPublicKey: {why}", 0)
        )
    try:
        _verify(leaf_key, statement.alg, statement.signature, statement.auth_data + client_hash)
    except InvalidSignature:
        failures.append(
            Failure(
                FailureCode.WEBAUTHN_SIGNATURE,
                "attStmt.sig does not verify over authData || clientDataHash with the leaf key",
                0,
            )
        )
    except SignatureError as exc:
        failures.append(
            Failure(FailureCode.WEBAUTHN_SIGNATURE, f"attStmt.sig cannot be checked ({exc})", 0)
        )
    return failures, notices, challenge
