"""Path validation: trust anchors by key, the root_0 expiry, RKP vs factory validity, untrusted
and broken chains from the corpus, and every synthetic negative case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handsetguard.attest import (
    ChainInputError,
    ExpectedChallenge,
    LinkCache,
    TrustStore,
    TrustStoreError,
    UnsafeNoOp,
    Verifier,
    load_status_list,
    read_chain,
)
from handsetguard.attest.roots import RootKind, load_roots
from handsetguard.errors import UsageError
from tests.attest.helpers import (
    ASSETS,
    FAIL_OPEN,
    ROOT_0_EXPIRY,
    TODAY,
    cases,
    chain_path,
    created_at,
    snapshot,
    unsafe_test_trust,
    verifier,
)
from tests.conftest import corpus_path

GOOGLE_TEE = "attestation/google-android-key-attestation/pem/algorithm_EC_SecurityLevel_TEE"


def _codes(source: str, at: datetime, **kwargs: object) -> tuple[str, ...]:
    path = corpus_path(source)
    return verifier(snapshot(), **kwargs).verify(read_chain(path), UnsafeNoOp(), at=at).codes


# --- the 2016 RSA root expired on 2026-05-24; its key still anchors chains -------------------


@pytest.mark.parametrize(
    "at",
    [
        ROOT_0_EXPIRY - timedelta(days=1),
        ROOT_0_EXPIRY - timedelta(seconds=1),
        ROOT_0_EXPIRY + timedelta(seconds=1),
        ROOT_0_EXPIRY + timedelta(days=1),
        TODAY,
    ],
)
def test_google_tee_chain_ending_in_expired_root_0_stays_valid(at: datetime) -> None:
    """google/android-key-attestation's TEE chain (factory, 2018) ends in root_0 (2016 issue)."""
    verdict = verifier(snapshot()).verify(read_chain(corpus_path(GOOGLE_TEE)), UnsafeNoOp(), at=at)
    assert verdict.ok, verdict.failures
    assert verdict.chain.root is not None and verdict.chain.root.kind is RootKind.BUNDLED
    expired = "chain.root_certificate_expired" in {n.code.value for n in verdict.notices}
    assert expired == (at > ROOT_0_EXPIRY)


def test_blueline_factory_chain_after_root_0_expiry_and_after_its_intermediates_expire() -> None:
    """Pixel 3 (SDK 28) factory chain: intermediates valid to 2028-07-20."""
    name = "blueline/sdk28/TEE_RSA_NONE"
    v = verifier(snapshot())
    today = v.verify(read_chain(chain_path(name)), UnsafeNoOp(), at=TODAY)
    assert today.ok
    later = v.verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=datetime(2029, 1, 1, tzinfo=UTC)
    )
    assert later.ok
    assert [n.code.value for n in later.notices].count(
        "chain.expired_factory_certificate_accepted"
    ) == 2
    before = v.verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=datetime(2018, 1, 1, tzinfo=UTC)
    )
    assert set(before.codes) == {"chain.not_yet_valid"}


def test_rkp_chain_outside_its_short_validity_is_rejected() -> None:
    """Pixel 8a RKP chain: the attestation cert lived 2024-09-10..2024-10-08."""
    name = "akita/sdk34/TEE_EC_NONE"
    assert _codes(f"attestation/android-keyattestation/testdata/{name}.pem", created_at(name)) == ()
    assert set(_codes(f"attestation/android-keyattestation/testdata/{name}.pem", TODAY)) == {
        "chain.expired"
    }
    early = datetime(2024, 9, 1, tzinfo=UTC)
    assert "chain.not_yet_valid" in _codes(
        f"attestation/android-keyattestation/testdata/{name}.pem", early
    )


def test_cached_signatures_never_skip_the_time_checks() -> None:
    name = "caiman/sdk36/SB_EC_RKP"
    v = verifier(snapshot(), link_cache=LinkCache())
    chain = read_chain(chain_path(name))
    assert v.verify(chain, UnsafeNoOp(), at=created_at(name)).ok
    assert "chain.expired" in v.verify(chain, UnsafeNoOp(), at=TODAY).codes
    assert v.verify(chain, UnsafeNoOp(), at=created_at(name)).ok


# --- chains that must not verify ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code"),
    [
        # Pixel XL (Android 10, userdebug): AOSP software keystore root.
        (
            "attestation/android-keyattestation/testdata/marlin/sdk29/TEE_EC_NONE.pem",
            "chain.software_root",
        ),
        # Self-signed "CN=Test Root" (not Google); its leaf's extension is not a KeyDescription.
        (
            "attestation/android-keyattestation/testdata/p256_sha384_intermediate.pem",
            "chain.untrusted_root",
        ),
        # StrongBox chain (2018) ending at a self-signed e35d38c6897d47e8 root, not Google's.
        (
            "attestation/google-android-key-attestation/der/algorithm_RSA_SecurityLevel_StrongBox",
            "chain.untrusted_root",
        ),
        # A lone 2025 TEE leaf: its issuer is not a trusted root and no chain follows.
        (
            "attestation/android-keyattestation/testdata/allow_while_on_body.pem",
            "chain.untrusted_root",
        ),
        # FIDO conformance "FAKE" android-key attestation (software level, fake root).
        (
            "attestation/webauthn-android-key/fido2-net-lib_attestationAndroidKeyResponse.json",
            "chain.untrusted_root",
        ),
        # Real-looking Google chain whose RootOfTrust.deviceLocked BOOLEAN is 0x01 (not DER).
        (
            "attestation/android-keyattestation/testdata/invalid/malformed_rot_device_locked.pem",
            "extension.malformed",
        ),
        # Tags re-ordered after signing: the leaf signature no longer verifies.
        (
            "attestation/android-keyattestation/testdata/invalid/tags_not_in_ascending_order.pem",
            "chain.signature",
        ),
    ],
)
def test_corpus_chain_is_rejected_for_the_right_reason(source: str, code: str) -> None:
    codes = _codes(source, TODAY)
    assert codes and codes[0] == code


def test_tags_out_of_order_are_reported_even_though_the_chain_fails() -> None:
    path = corpus_path(
        "attestation/android-keyattestation/testdata/invalid/tags_not_in_ascending_order.pem"
    )
    verdict = verifier(snapshot()).verify(read_chain(path), UnsafeNoOp(), at=TODAY)
    assert verdict.key_description is not None
    assert not verdict.key_description.hardware_enforced.tags_in_order
    assert "extension.tags_out_of_order" in {n.code.value for n in verdict.notices}


# --- trust anchors ----------------------------------------------------------------------------


def test_roots_file_from_android_keyattestation_replaces_the_bundled_set() -> None:
    trust = TrustStore.from_file(corpus_path("attestation/android-keyattestation/roots.json"))
    assert {r.spki_sha256 for r in trust.roots} == {
        r.spki_sha256 for r in TrustStore.bundled().roots
    }
    assert all(r.kind is RootKind.FILE for r in trust.roots)
    name = "tokay/sdk37/TEE_MLDSA_RKP"
    verdict = Verifier(trust=trust, status_list=snapshot()).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    assert verdict.ok


def test_key_only_roots_from_nl_wallet_public_keys_anchor_a_chain_without_its_root() -> None:
    pem = corpus_path("attestation/nl-wallet/google_hardware_attestation_root_rsa_pubkey.pem")
    trust = TrustStore.from_file(pem)
    assert trust.roots[0].subject is None
    name = "blueline/sdk28/TEE_EC_NONE"
    chain = read_chain(chain_path(name))
    without_root = chain.certificates[:-1]
    verdict = Verifier(trust=trust, status_list=snapshot()).verify(
        without_root, UnsafeNoOp(), at=created_at(name)
    )
    assert verdict.ok and not verdict.chain.root_presented


def test_each_google_root_issue_is_recognised_by_its_key() -> None:
    trust = TrustStore.bundled()
    from cryptography import x509

    from handsetguard.attest.roots import spki_of

    for index in range(5):
        der = corpus_path(
            f"attestation/roots/grapheneos-auditor/google_root_{index}.der"
        ).read_bytes()
        root = trust.by_spki(spki_of(x509.load_der_x509_certificate(der)))
        assert root is not None
        assert root.name == (
            "google-key-attestation-ca1-p384"
            if index == 4
            else "google-hardware-attestation-rsa-4096"
        )


def test_bad_roots_file_is_a_clear_error(tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "roots.pem"
    bad.write_text("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
    with pytest.raises(TrustStoreError, match="roots.pem"):
        TrustStore.from_file(bad)
    with pytest.raises(TrustStoreError):
        TrustStore.from_file(Path(str(tmp_path)) / "missing.json")


# --- synthetic cases (assets/build_testcases.py) ----------------------------------------------


@pytest.mark.parametrize("file", sorted(cases()))
def test_synthetic_case(file: str) -> None:
    case = cases()[file]
    status = load_status_list(ASSETS / case["status_list"]) if "status_list" in case else None
    v = Verifier(
        trust=unsafe_test_trust(),
        status_list=status,
        revocation=None if status is not None else FAIL_OPEN,
    )
    policy = ExpectedChallenge(bytes.fromhex(case.get("challenge_hex", b"hg-challenge".hex())))
    verdict = v.verify(read_chain(ASSETS / file), policy, at=datetime.fromisoformat(case["at"]))
    assert list(verdict.codes) == case["failures"], case["description"]
    notices = {n.code.value for n in verdict.notices}
    assert "chain.unsafe_root" in notices
    assert set(case.get("notices", [])) <= notices
    if "strict_failures" in case:
        v.strict = True
        strict = v.verify(read_chain(ASSETS / file), policy, at=datetime.fromisoformat(case["at"]))
        assert list(strict.codes) == case["strict_failures"]


def test_test_root_is_untrusted_without_the_unsafe_option() -> None:
    verdict = Verifier(status_list=None, revocation=FAIL_OPEN).verify(
        read_chain(ASSETS / "valid_factory.pem"), UnsafeNoOp(), at=TODAY
    )
    assert verdict.codes == ("chain.untrusted_root",)
    no_root = Verifier(status_list=None, revocation=FAIL_OPEN).verify(
        read_chain(ASSETS / "valid_factory_no_root.pem"), UnsafeNoOp(), at=TODAY
    )
    assert no_root.codes == ("chain.untrusted_root",)


def test_roots_can_be_loaded_for_unsafe_use_from_the_test_root_file() -> None:
    roots, _ = load_roots(ASSETS / "test-root.pem", RootKind.UNSAFE_EXTRA)
    assert len(roots) == 1 and roots[0].unsafe


def test_chain_without_its_root_certificate_anchors_on_the_bundled_root() -> None:
    name = "caiman/sdk36/SB_EC_RKP"
    chain = read_chain(chain_path(name)).certificates
    verdict = verifier(snapshot()).verify(chain[:-1], UnsafeNoOp(), at=created_at(name))
    assert verdict.ok and not verdict.chain.root_presented
    assert verdict.chain.root is not None
    assert verdict.chain.root.name == "google-hardware-attestation-rsa-4096"


def test_a_root_alone_is_no_attestation() -> None:
    root = corpus_path("attestation/roots/grapheneos-auditor/google_root_3.der").read_bytes()
    verdict = verifier(snapshot()).verify([root], UnsafeNoOp(), at=TODAY)
    assert verdict.codes == ("chain.no_leaf",)


@pytest.mark.parametrize("count", [0, 65])
def test_verify_bounds_raw_certificate_lists(count: int) -> None:
    leaf = read_chain(chain_path("caiman/sdk36/SB_EC_RKP")).certificates[0]
    with pytest.raises(ChainInputError, match="a chain has 1 to 64"):
        verifier(snapshot()).verify([leaf] * count, UnsafeNoOp(), at=TODAY)


def test_naive_verification_time_is_refused() -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        verifier(snapshot()).verify(
            read_chain(ASSETS / "valid_factory.pem"), UnsafeNoOp(), at=datetime(2026, 1, 1)
        )
