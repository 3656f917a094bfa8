"""Issue 12, WebAuthn ``android-key``: the attestation statement's signature over
``authData || clientDataHash`` by the leaf key, and the client data bound to the attested
challenge. Real data: the FIDO conformance response of fido2-net-lib (its chain ends at a FAKE
root, so the chain itself is untrusted; the statement is still checked)."""

from __future__ import annotations

import base64
import hashlib
import json
import os

from handsetguard.attest import ExpectedChallenge, UnsafeNoOp, Verifier, parse_chain, read_chain
from handsetguard.attest.cbor import decode_cbor
from tests.attest.helpers import ASSETS, FAIL_OPEN, TODAY, generator, unsafe_test_trust
from tests.conftest import corpus_path

FIDO = "attestation/webauthn-android-key/fido2-net-lib_attestationAndroidKeyResponse.json"
OPTIONS = "attestation/webauthn-android-key/fido2-net-lib_attestationAndroidKeyOptions.json"


def _cbor(value: object) -> bytes:
    """A minimal CBOR encoder (RFC 8949) for test attestation objects."""

    def head(major: int, number: int) -> bytes:
        if number < 24:
            return bytes([major << 5 | number])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if number < 1 << (8 * size):
                return bytes([major << 5 | info]) + number.to_bytes(size, "big")
        raise ValueError(number)

    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(_cbor(item) for item in value)
    assert isinstance(value, dict)
    return head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _fido() -> tuple[dict[str, object], dict[str, object]]:
    response = json.loads(corpus_path(FIDO).read_text())
    raw = response["response"]["attestationObject"]
    return response, decode_cbor(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))  # type: ignore[return-value]


def _codes(data: bytes, **kwargs: object) -> tuple[str, ...]:
    verifier = Verifier(trust=unsafe_test_trust(), revocation=FAIL_OPEN)
    return verifier.verify(parse_chain(data), UnsafeNoOp(), at=TODAY, **kwargs).codes  # type: ignore[arg-type]


def test_the_fido_conformance_statement_verifies_and_only_its_fake_root_fails() -> None:
    verdict = Verifier(revocation=FAIL_OPEN).verify(
        read_chain(corpus_path(FIDO)), UnsafeNoOp(), at=TODAY
    )
    assert verdict.codes == ("chain.untrusted_root",)


def test_a_zeroed_or_foreign_statement_signature_is_invalid() -> None:
    response, document = _fido()
    for signature in (bytes(len(document["attStmt"]["sig"])), b"\x30\x06\x02\x01\x01\x02\x01\x01"):  # type: ignore[index]
        document["attStmt"]["sig"] = signature  # type: ignore[index]
        response["response"]["attestationObject"] = _b64url(_cbor(document))  # type: ignore[index]
        codes = _codes(json.dumps(response).encode())
        assert "webauthn.signature" in codes


def test_changed_client_data_no_longer_matches_the_attested_challenge() -> None:
    response, _ = _fido()
    client = json.loads(base64.urlsafe_b64decode(response["response"]["clientDataJSON"] + "=="))  # type: ignore[index]
    client["challenge"] = _b64url(b"another challenge")
    response["response"]["clientDataJSON"] = _b64url(json.dumps(client).encode())  # type: ignore[index]
    assert "webauthn.client_data" in _codes(json.dumps(response).encode())


def test_the_relying_partys_challenge_is_checked_in_the_client_data() -> None:
    """--challenge / ExpectedChallenge compares the client data's challenge for WebAuthn."""
    options = json.loads(corpus_path(OPTIONS).read_text())
    expected = base64.urlsafe_b64decode(options["challenge"] + "==")
    chain = read_chain(corpus_path(FIDO))
    verifier = Verifier(revocation=FAIL_OPEN)
    # The chain is untrusted, so policies are not evaluated: call the policy the verifier builds.
    from handsetguard.attest.policy import Attestation

    verdict = verifier.verify(chain, UnsafeNoOp(), at=TODAY)
    assert verdict.key_description is not None
    attestation = Attestation(
        verdict.key_description,
        verdict.chain.provisioning,
        None,
        TODAY,
        expected,  # type: ignore[arg-type]
    )
    assert ExpectedChallenge(expected).check(attestation) == ()
    assert ExpectedChallenge(b"other").check(attestation)[0].code.value == (
        "policy.challenge_mismatch"
    )


def _auth_data(key_name: str = "valid-leaf") -> bytes:
    """authData (WebAuthn §6.1) with attested credential data naming ``key_name``'s Ed25519
    public key as the credential key (COSE OKP, EdDSA)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = generator().key(key_name).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    credential_id = os.urandom(16)
    cose = _cbor({1: 1, 3: -8, -1: 6, -2: raw})
    return (
        hashlib.sha256(b"example.org").digest()
        + b"\x41"  # user present, attested credential data
        + bytes(4)
        + bytes(16)
        + len(credential_id).to_bytes(2, "big")
        + credential_id
        + cose
    )


def _synthetic(signature: bytes | None, auth_data: bytes) -> bytes:
    """The trusted synthetic factory chain (challenge 'hg-challenge') as an android-key
    attestation object, the statement signed by the leaf key unless ``signature`` is given."""
    gen = generator()
    leaf_key = gen.key("valid-leaf")
    if signature is None:
        signature = leaf_key.sign(auth_data + b"hg-challenge")
    x5c = list(read_chain(ASSETS / "valid_factory.pem").certificates)
    return _cbor(
        {
            "fmt": "android-key",
            "authData": auth_data,
            "attStmt": {"alg": -8, "sig": signature, "x5c": x5c},
        }
    )


def test_zero_signature_over_random_auth_data_is_invalid_on_a_trusted_chain() -> None:
    """Finding: only the x5c chain was checked, so a zero attStmt signature over random
    authData was VALID."""
    random_data = os.urandom(37)
    assert "webauthn.signature" in _codes(_synthetic(bytes(64), random_data))
    assert "webauthn.credential_key" in _codes(_synthetic(bytes(64), random_data))
    auth_data = _auth_data()
    assert _codes(_synthetic(bytes(64), auth_data)) == ("webauthn.signature",)
    assert _codes(_synthetic(None, auth_data)) == ()
    other = generator().key("valid-leaf").sign(b"other authData" + b"hg-challenge")
    assert _codes(_synthetic(other, auth_data)) == ("webauthn.signature",)


def test_a_credential_key_other_than_the_attested_key_fails() -> None:
    """WebAuthn §8.4: the credential public key in authData must be the leaf's key."""
    assert _codes(_synthetic(None, _auth_data("someone-else"))) == ("webauthn.credential_key",)


def test_client_data_whose_hash_is_not_the_attested_challenge_fails() -> None:
    auth_data = _auth_data()
    client = json.dumps({"type": "webauthn.create", "challenge": _b64url(b"x")}).encode()
    response = {
        "response": {
            "attestationObject": _b64url(_synthetic(None, auth_data)),
            "clientDataJSON": _b64url(client),
        }
    }
    codes = _codes(json.dumps(response).encode())
    assert "webauthn.client_data" in codes
    assert hashlib.sha256(client).digest() != b"hg-challenge"
