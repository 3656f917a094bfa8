"""Every input form a chain arrives in, and the clear errors for those that are not a chain."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from handsetguard.attest import ChainInputError, InputForm, UnsafeNoOp, parse_chain, read_chain
from handsetguard.attest.cbor import decode_cbor
from handsetguard.attest.inputs import MAX_CERTIFICATES, MAX_INPUT_BYTES
from tests.attest.helpers import ASSETS, FAIL_OPEN, TODAY, chain_path, verifier
from tests.conftest import corpus_path

GOOGLE = "attestation/google-android-key-attestation"
FIDO = "attestation/webauthn-android-key/fido2-net-lib_attestationAndroidKeyResponse.json"


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der).decode().replace("\n", "\n")
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n".encode()


def test_directory_of_der_and_directory_of_pem() -> None:
    """google/android-key-attestation's TEE chain as cert0..3.der and cert0..3.pem: upstream's
    two folders hold different leaves (two captures) on the same intermediates and root."""
    der = read_chain(corpus_path(f"{GOOGLE}/der/algorithm_EC_SecurityLevel_TEE"))
    pem = read_chain(corpus_path(f"{GOOGLE}/pem/algorithm_EC_SecurityLevel_TEE"))
    assert der.form is pem.form is InputForm.DIRECTORY
    assert len(der.certificates) == len(pem.certificates) == 4
    assert der.certificates[1:] == pem.certificates[1:]
    for chain in (der, pem):
        assert verifier(revocation=FAIL_OPEN).verify(chain, UnsafeNoOp(), at=TODAY).ok


def test_directory_order_is_natural(tmp_path: Path) -> None:
    chain = read_chain(chain_path("akita/sdk34/TEE_EC_NONE"))
    for index, der in enumerate(chain.certificates):
        (tmp_path / f"cert{index * 5}.der").write_bytes(der)  # cert0, cert5, cert10, …
    (tmp_path / "README.txt").write_text("ignored")
    assert read_chain(tmp_path).certificates == chain.certificates


def test_pem_bundle_with_text_around_blocks() -> None:
    chain = read_chain(chain_path("akita/sdk34/TEE_EC_NONE"))
    text = b"subject=CN=Android Keystore Key\n" + b"".join(_pem(d) for d in chain.certificates)
    assert parse_chain(text).certificates == chain.certificates


@pytest.mark.parametrize("urlsafe", [False, True])
def test_x5c_json_array_base64_and_base64url(urlsafe: bool) -> None:
    chain = read_chain(chain_path("caiman/sdk36/TEE_EC_RKP"))
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    items = [encode(d).decode().rstrip("=" if urlsafe else "") for d in chain.certificates]
    parsed = parse_chain(json.dumps(items).encode())
    assert parsed.form is InputForm.X5C_JSON
    assert parsed.certificates == chain.certificates
    assert parse_chain(json.dumps({"x5c": items}).encode()).certificates == chain.certificates


def test_webauthn_response_json_raw_cbor_and_base64url_text_agree() -> None:
    response = read_chain(corpus_path(FIDO))
    assert response.form is InputForm.WEBAUTHN
    assert len(response.certificates) == 2
    text = json.loads(corpus_path(FIDO).read_text())["response"]["attestationObject"]
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    assert parse_chain(raw).certificates == response.certificates
    assert parse_chain(text.encode()).certificates == response.certificates
    document = decode_cbor(raw)
    assert isinstance(document, dict) and document["fmt"] == "android-key"


def test_fido_fake_root_software_chain_is_not_trusted() -> None:
    verdict = verifier(revocation=FAIL_OPEN).verify(
        read_chain(corpus_path(FIDO)), UnsafeNoOp(), at=TODAY
    )
    assert verdict.codes == ("chain.untrusted_root",)
    kd = verdict.key_description
    assert kd is not None and kd.attestation_security_level.name == "SOFTWARE"


# --- unusable input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty input"),
        (b"hello world, not a chain\n", "not a certificate chain"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a certificate chain"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n", "not closed"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END PUBLIC KEY-----\n", "does not close"),
        (b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "invalid base64"),
        (b"-----BEGIN CERTIFICATE----\nAAAA\n-----END CERTIFICATE-----\n", "armour"),
        (b"[1, 2]", "x5c array"),
        (b'{"response": {"attestationObject": "!!"}}', "invalid base64"),
        (b"[" * 100_000, "not valid JSON"),
        (b"\xa1\x63fmt\x66packed", "expected 'android-key'"),
        (b"\xbf\x63fmt", "indefinite"),
        (b"\xa1\x63fmt\x7a\xff\xff\xff\xff", "runs past the end"),
        (b"\x81" * 40 + b"\x00", "not a certificate chain"),
    ],
)
def test_not_a_chain_is_a_clear_error(data: bytes, match: str) -> None:
    with pytest.raises(ChainInputError, match=match):
        parse_chain(data, source="input.bin")


def test_public_key_pem_is_wrong_armour() -> None:
    path = corpus_path("attestation/nl-wallet/google_hardware_attestation_root_rsa_pubkey.pem")
    with pytest.raises(ChainInputError, match="'PUBLIC KEY', expected CERTIFICATE"):
        read_chain(path)


def test_too_many_certificates_is_refused_before_parsing() -> None:
    one = _pem(read_chain(chain_path("akita/sdk34/TEE_EC_NONE")).certificates[1])
    with pytest.raises(ChainInputError, match=f"more than {MAX_CERTIFICATES}"):
        parse_chain(one * (MAX_CERTIFICATES + 1))
    x5c = json.dumps(["MA=="] * 10_000).encode()
    with pytest.raises(ChainInputError, match="10000 certificates"):
        parse_chain(x5c)


def test_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(ChainInputError, match="larger than 1 MiB"):
        read_chain(big)


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ChainInputError, match="cannot read"):
        read_chain(tmp_path / "nope.pem")
    with pytest.raises(ChainInputError, match="no .pem"):
        read_chain(tmp_path)


def test_truncated_der_certificate_is_unusable_input() -> None:
    chain = read_chain(chain_path("akita/sdk34/TEE_EC_NONE"))
    truncated = (chain.certificates[0][:300], *chain.certificates[1:])
    with pytest.raises(ChainInputError, match="certificate 0: not a DER X.509"):
        verifier(revocation=FAIL_OPEN).verify(truncated, UnsafeNoOp(), at=TODAY)


def test_emulator_certificate_that_cryptography_cannot_parse_gets_a_verdict() -> None:
    """nl-wallet's emulator leaf (issue 12): the DER file ends in a newline, which OpenSSL and
    Java read and pyca/cryptography refuses ("ExtraData"). It is a verdict: a lone leaf of an
    emulator whose issuer is no trusted root, with the set-aside byte reported."""
    path = corpus_path("attestation/nl-wallet/emulator-cert.der")
    assert path.read_bytes().endswith(b"\n")
    chain = read_chain(path)
    assert chain.form is InputForm.DER and len(chain.certificates) == 1
    assert chain.certificates[0] == path.read_bytes()[:-1]
    verdict = verifier(revocation=FAIL_OPEN).verify(chain, UnsafeNoOp(), at=TODAY)
    assert verdict.codes == ("chain.untrusted_root",)
    assert "input.trailing_data" in {n.code.value for n in verdict.notices}
    kd = verdict.key_description
    assert kd is not None and kd.attestation_challenge == b"this_is_a_challenge_string"


def test_der_with_bytes_after_the_certificate_that_are_not_whitespace_is_refused() -> None:
    der = read_chain(ASSETS / "valid_factory.pem").certificates[0]
    with pytest.raises(ChainInputError, match="4 bytes after certificate 0"):
        parse_chain(der + b"junk", source="x.der")


def test_concatenated_der_certificates_are_one_chain() -> None:
    certs = read_chain(ASSETS / "valid_factory.pem").certificates
    chain = parse_chain(b"".join(certs), source="chain.der")
    assert chain.form is InputForm.DER and chain.certificates == certs and not chain.notes


def test_a_chain_given_root_first_is_read_leaf_first_with_a_notice() -> None:
    """Pixel 8a (SDK 34) RKP chain, certificates in reverse order (as some tools print)."""
    from tests.attest.helpers import created_at, snapshot

    name = "akita/sdk34/TEE_EC_NONE"
    certs = read_chain(chain_path(name)).certificates
    verdict = verifier(snapshot()).verify(certs[::-1], UnsafeNoOp(), at=created_at(name))
    assert verdict.ok, verdict.failures
    assert "input.reversed_order" in {n.code.value for n in verdict.notices}
    assert verdict.chain.certificates[0].key_description is not None


def test_x5c_json_of_pem_strings_as_in_android_keyattestation_roots_json() -> None:
    certs = read_chain(chain_path("blueline/sdk28/TEE_EC_NONE")).certificates
    document = [_pem(der).decode() for der in certs]
    chain = parse_chain(json.dumps(document).encode(), source="chain.json")
    assert chain.form is InputForm.X5C_JSON and chain.certificates == certs
