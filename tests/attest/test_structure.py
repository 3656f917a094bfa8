"""Issue 12, attestation interop: chains judged by Google's structural rules, certificates that
pyca/cryptography refuses read by the project's own DER reader, and the strict mode.

Each test names the finding it reproduces; the synthetic chains come from
assets/build_testcases.py, and the test first shows that cryptography indeed refuses them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509

from handsetguard.attest import UnsafeNoOp, Verifier, read_chain
from handsetguard.attest.certificate import parse_certificate
from handsetguard.attest.chain import parse_certificates
from handsetguard.attest.names import name_text
from tests.attest.helpers import ASSETS, FAIL_OPEN, GOLDEN_CHAINS, chain_path, unsafe_test_trust
from tests.conftest import CORPUS

AT = datetime(2026, 11, 25, 12, tzinfo=UTC)
# android/keyattestation @ 47f970d: testdata/sony-xperia10-iii/sdk33/TEE_EC.pem (Apache-2.0), a
# real Sony Xperia 10 III (docomo SO-52B, Android 13) factory chain. Read where the corpus would
# hold it beside the other android-keyattestation chains; skipped when the corpus lacks it.
SONY = "attestation/android-keyattestation/testdata/sony-xperia10-iii/sdk33/TEE_EC.pem"
SONY_CREATED = datetime.fromtimestamp(1780585145, UTC)  # its creationDateTime, 2026-06-04


def _cryptography_refuses(der: bytes) -> str:
    try:
        x509.load_der_x509_certificate(der).extensions  # noqa: B018 - extensions parse lazily
    except Exception as exc:  # noqa: BLE001 - any refusal is what this helper reports
        return type(exc).__name__
    return ""


def _verify(file: str, *, strict: bool = False) -> tuple[tuple[str, ...], set[str]]:
    verifier = Verifier(trust=unsafe_test_trust(), revocation=FAIL_OPEN, strict=strict)
    verdict = verifier.verify(read_chain(ASSETS / file), UnsafeNoOp(), at=AT)
    return verdict.codes, {n.code.value for n in verdict.notices}


def test_sony_xperia_10_iii_factory_chain_verifies_by_its_structure() -> None:
    """Finding: the genuine Sony chain was rejected with chain.issuer_not_ca (its factory
    attestation certificate has cA FALSE and no keyCertSign) and, after 2026-05-24, expired."""
    path = CORPUS / SONY
    if not path.is_file():
        pytest.skip(f"{SONY} is not in the corpus at {CORPUS}")
    chain = read_chain(path)
    certs = parse_certificates(chain.certificates, "sony")
    assert not certs[1].is_ca and certs[1].key_cert_sign is False
    lenient = Verifier(revocation=FAIL_OPEN).verify(chain, UnsafeNoOp(), at=SONY_CREATED)
    assert lenient.ok, lenient.failures
    assert lenient.chain.provisioning.value == "factory"
    notices = [n.code.value for n in lenient.notices]
    assert "chain.issuer_not_ca_accepted" in notices
    assert notices.count("chain.expired_factory_certificate_accepted") == 2
    strict = Verifier(revocation=FAIL_OPEN, strict=True).verify(
        chain, UnsafeNoOp(), at=SONY_CREATED
    )
    assert strict.codes == ("chain.expired", "chain.expired")


def test_sony_shaped_synthetic_chain_lenient_and_strict() -> None:
    codes, notices = _verify("factory_attestation_cert_not_ca.pem")
    assert codes == () and "chain.issuer_not_ca_accepted" in notices
    assert _verify("factory_attestation_cert_not_ca.pem", strict=True)[0] == (
        "chain.expired",
        "chain.expired",
    )


def test_strict_mode_leaves_valid_chains_valid_and_rkp_expiry_unchanged() -> None:
    assert _verify("valid_factory.pem", strict=True)[0] == ()
    assert _verify("expired_factory_intermediate.pem", strict=True)[0] == ("chain.expired",)
    assert _verify("expired_rkp_intermediate.pem")[0] == ("chain.expired",)


@pytest.mark.parametrize(
    ("file", "index", "refusal", "codes", "notice"),
    [
        # Finding: a duplicate extension ended in an uncaught traceback (exit 1, service 500).
        ("duplicate_extension.pem", 0, "DuplicateExtension", ("chain.duplicate_extension",), None),
        # Finding: an x400Address subjectAltName ended in an uncaught traceback.
        ("x400_address_san.pem", 1, "UnsupportedGeneralNameType", (), None),
        # Finding: BER (an encoded DEFAULT, a long-form length) was "not a DER certificate".
        ("non_strict_der.pem", 1, "ValueError", (), "chain.non_strict_encoding"),
    ],
)
def test_certificates_cryptography_refuses_get_a_verdict(
    file: str, index: int, refusal: str, codes: tuple[str, ...], notice: str | None
) -> None:
    der = read_chain(ASSETS / file).certificates[index]
    assert _cryptography_refuses(der) == refusal
    got, notices = _verify(file)
    assert got == codes
    if notice is not None:
        assert notice in notices


def test_non_strict_certificate_quirks_are_named() -> None:
    der = read_chain(ASSETS / "non_strict_der.pem").certificates[1]
    cert = parse_certificate(der, "x")
    assert any("critical FALSE" in quirk for quirk in cert.quirks)
    assert any("non-minimal length" in quirk for quirk in cert.quirks)
    assert der.startswith(b"\x30") and cert.tbs in der


def test_a_changed_byte_in_a_non_strict_certificate_breaks_its_signature() -> None:
    chain = list(read_chain(ASSETS / "non_strict_der.pem").certificates)
    tampered = bytearray(chain[1])
    tampered[tampered.index(b"\xfa\xc7\x00\x01") + 3] ^= 0x01  # the serial number
    chain[1] = bytes(tampered)
    verifier = Verifier(trust=unsafe_test_trust(), revocation=FAIL_OPEN)
    verdict = verifier.verify(chain, UnsafeNoOp(), at=AT)
    assert "chain.signature" in verdict.codes


@pytest.mark.parametrize(("name", "device", "sdk"), [g[:3] for g in GOLDEN_CHAINS])
def test_names_render_as_cryptography_renders_them(name: str, device: str, sdk: int) -> None:
    for der in read_chain(chain_path(name)).certificates:
        reference = x509.load_der_x509_certificate(der)
        cert = parse_certificate(der, name)
        assert cert.subject_text == reference.subject.rfc4514_string(), device
        assert cert.issuer_text == reference.issuer.rfc4514_string(), sdk
        assert (
            cert.serial == reference.serial_number and cert.tbs == reference.tbs_certificate_bytes
        )


def test_name_text_escapes_rfc4514_specials() -> None:
    name = x509.Name(
        [
            x509.NameAttribute(x509.NameOID.COMMON_NAME, "#a,b+c<d> "),
            x509.NameAttribute(x509.NameOID.SERIAL_NUMBER, "1"),
        ]
    )
    assert name_text(name.public_bytes()) == name.rfc4514_string()


def test_public_keys_cryptography_refuses_for_their_encoding_are_rebuilt() -> None:
    """An RSA key with a non-minimal modulus INTEGER and an EC key with a long-form length,
    from the Pixel 3 (SDK 28) StrongBox RSA leaf and TEE EC leaf: read as BER readers read
    them, to the same key."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from handsetguard.attest.signatures import public_key
    from tests.attest.helpers import generator

    gen = generator()
    rsa_leaf = parse_certificate(
        read_chain(chain_path("blueline/sdk28/SB_RSA_NONE")).certificates[0], "rsa"
    )
    numbers = load_der_public_key(rsa_leaf.spki).public_numbers()  # type: ignore[union-attr]
    assert isinstance(numbers, rsa.RSAPublicNumbers)
    modulus = b"\x00\x00" + numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    body = gen.der_seq(gen.tlv(b"\x02", modulus), gen.der_int(numbers.e))
    algorithm = gen.der_seq(gen.tlv(b"\x06", bytes.fromhex("2a864886f70d010101")), b"\x05\x00")
    spki = gen.der_seq(algorithm, gen.tlv(b"\x03", b"\x00" + body))
    ec_leaf = parse_certificate(
        read_chain(chain_path("blueline/sdk28/TEE_EC_NONE")).certificates[0], "ec"
    )
    long_form = b"\x30\x81" + ec_leaf.spki[1:]  # 0x59 written as 81 59
    for encoded, reference in ((spki, numbers), (long_form, None)):
        with pytest.raises(ValueError):
            load_der_public_key(encoded)
        key = public_key(encoded)
        if reference is not None:
            assert key.public_numbers() == reference
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            assert key.public_numbers() == load_der_public_key(ec_leaf.spki).public_numbers()  # type: ignore[union-attr]
