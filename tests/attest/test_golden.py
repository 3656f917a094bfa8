"""Every real chain in the corpus against its golden JSON (android/keyattestation): the verdict
at the key's creation time, and the whole decoded KeyDescription record."""

from __future__ import annotations

import base64
import json

import pytest

from handsetguard.attest import (
    ExpectedChallenge,
    Provisioning,
    SecurityLevel,
    UnsafeNoOp,
    key_description_to_dict,
    parse_key_description,
    read_chain,
)
from handsetguard.attest.chain import parse_certificates
from tests.attest.helpers import (
    GOLDEN_CHAINS,
    chain_path,
    created_at,
    generator,
    golden,
    snapshot,
    verifier,
)
from tests.conftest import corpus_path

ANDROID_RELEASE = {28: 9, 29: 10, 34: 14, 36: 16, 37: 17}
IDS = [f"{device}-sdk{sdk}-{name.rsplit('/', 1)[1]}" for name, device, sdk, _ in GOLDEN_CHAINS]


@pytest.mark.parametrize(("name", "device", "sdk", "provisioning"), GOLDEN_CHAINS, ids=IDS)
def test_chain_verifies_and_decodes_to_its_golden_record(
    name: str, device: str, sdk: int, provisioning: str
) -> None:
    expected = golden(name)
    challenge = base64.b64decode(expected["attestationChallenge"])
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(name)), ExpectedChallenge(challenge), at=created_at(name)
    )

    assert verdict.failures == ()
    assert verdict.ok
    assert verdict.chain.trusted
    assert verdict.chain.provisioning is Provisioning(provisioning)
    assert verdict.chain.root is not None
    expected_root = (
        "google-key-attestation-ca1-p384"
        if name.endswith("TEE_MLDSA_RKP")
        else "google-hardware-attestation-rsa-4096"
    )
    assert verdict.chain.root.name == expected_root
    assert verdict.revocation.checked and verdict.revocation.hits == ()
    assert verdict.key_description is not None
    assert key_description_to_dict(verdict.key_description) == expected
    assert (verdict.provisioning_info is not None) == (provisioning == "remote")
    assert int(expected["hardwareEnforced"]["osVersion"]) // 10000 == ANDROID_RELEASE[sdk]
    hw = expected["hardwareEnforced"]
    ids = verdict.key_description.attested_ids
    assert ids.model == hw.get("attestationIdModel")
    assert ids.imei == hw.get("attestationIdImei")
    assert ids.second_imei == hw.get("attestationIdSecondImei")
    if ids.model is not None:
        assert ids.model == device


def test_rkp_provisioning_info_of_pixel_9_pro() -> None:
    name = "caiman/sdk36/TEE_EC_RKP"
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    info = verdict.provisioning_info
    assert info is not None
    assert (info.certificates_issued, info.manufacturer, info.other) == (64, "Google", ((2, True),))


def test_software_chain_decodes_but_is_not_trusted() -> None:
    """Pixel XL, Android 10 userdebug: the AOSP software keystore (attestation level SOFTWARE)."""
    name = "marlin/sdk29/TEE_EC_NONE"
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    assert verdict.codes == ("chain.software_root",)
    assert verdict.key_description is not None
    assert key_description_to_dict(verdict.key_description) == golden(name)
    assert verdict.key_description.attestation_security_level is SecurityLevel.SOFTWARE


def test_allow_while_on_body_leaf_decodes_every_tag() -> None:
    """A lone TEE leaf (2025) with allowWhileOnBody [506] and the three date-time limits."""
    leaf = parse_certificates(
        read_chain(
            corpus_path("attestation/android-keyattestation/testdata/allow_while_on_body.pem")
        ).certificates,
        "allow_while_on_body.pem",
    )[0]
    assert leaf.key_description is not None
    kd = parse_key_description(leaf.key_description)
    sw = kd.software_enforced
    assert sw.allow_while_on_body and sw.unlocked_device_required
    assert None not in (sw.active_date_time, sw.origination_expire_date_time)
    assert sw.usage_expire_date_time is not None
    assert kd.hardware_enforced.root_of_trust is not None
    assert kd.hardware_enforced.root_of_trust.device_locked
    packages = sw.attestation_application_id.packages if sw.attestation_application_id else ()
    assert [p.name for p in packages] == ["com.google.android.gsf", "com.google.android.gms"]


def test_complete_authorization_list_round_trips_through_an_independent_encoder() -> None:
    """complete_authlist.json (every tag populated) encoded by the generator's own DER encoder,
    decoded by handsetguard: the whole record comes back."""
    expected = json.loads(
        corpus_path(
            "attestation/android-keyattestation/testdata/complete_authlist.json"
        ).read_text()
    )
    der = generator().encode_key_description(expected)
    assert key_description_to_dict(parse_key_description(der)) == expected
