"""Policies on real attestations: each property alone, composition, single-use challenges, and
policy files (TOML/JSON)."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from handsetguard.attest import (
    AllOf,
    AnyOf,
    AttestPolicyError,
    DeviceLocked,
    ExpectedChallenge,
    ExpectedPackage,
    ExpectedSigningDigests,
    ExpectedVerifiedBootKey,
    InMemoryNonceStore,
    KeyOrigin,
    KeyOriginIn,
    MinimumBootPatchLevel,
    MinimumOsPatchLevel,
    MinimumSecurityLevel,
    MinimumVendorPatchLevel,
    Policy,
    RequiredAttestedIds,
    SecurityLevel,
    SingleUseChallenge,
    UnsafeNoOp,
    VerifiedBootState,
    VerifiedBootStateIn,
    load_policy,
    policy_from_mapping,
    read_chain,
)
from handsetguard.errors import PolicyError
from tests.attest.helpers import chain_path, created_at, snapshot, verifier

PIXEL_9_PRO_SB = "caiman/sdk36/SB_EC_RKP"  # locked, VERIFIED, StrongBox, Nov 2025 patch
PIXEL_8A_TEE = "akita/sdk34/TEE_RSA_BASE+IMEI"  # unlocked, UNVERIFIED, TEE, IMEI attested
PIXEL_3_TEE = "blueline/sdk28/TEE_EC_NONE"  # vendor patch level 201809 (YYYYMM)
COLLECTOR_DIGEST = base64.b64decode("EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV/DOfz8jsE=")


def _codes(name: str, policy: Policy) -> list[str]:
    verdict = verifier(snapshot()).verify(read_chain(chain_path(name)), policy, at=created_at(name))
    return list(verdict.codes)


@pytest.mark.parametrize(
    ("name", "policy", "codes"),
    [
        (PIXEL_9_PRO_SB, MinimumSecurityLevel(SecurityLevel.STRONG_BOX), []),
        (PIXEL_8A_TEE, MinimumSecurityLevel(SecurityLevel.STRONG_BOX), ["policy.security_level"]),
        (PIXEL_9_PRO_SB, DeviceLocked(), []),
        (PIXEL_8A_TEE, DeviceLocked(), ["policy.device_unlocked"]),
        (PIXEL_9_PRO_SB, VerifiedBootStateIn(), []),
        (PIXEL_8A_TEE, VerifiedBootStateIn(), ["policy.verified_boot_state"]),
        (PIXEL_8A_TEE, VerifiedBootStateIn({VerifiedBootState.UNVERIFIED}), []),
        (PIXEL_9_PRO_SB, MinimumOsPatchLevel(202511), []),
        (PIXEL_9_PRO_SB, MinimumOsPatchLevel(202512), ["policy.os_patch_level"]),
        (PIXEL_9_PRO_SB, MinimumVendorPatchLevel(20251105), []),
        (PIXEL_9_PRO_SB, MinimumBootPatchLevel(20251106), ["policy.boot_patch_level"]),
        (PIXEL_3_TEE, MinimumVendorPatchLevel(201809), []),
        (PIXEL_3_TEE, MinimumVendorPatchLevel(20180901), ["policy.vendor_patch_level"]),
        (PIXEL_9_PRO_SB, ExpectedPackage({"com.google.android.attestation"}), []),
        (PIXEL_8A_TEE, ExpectedPackage({"com.example"}), ["policy.package"]),
        (PIXEL_9_PRO_SB, ExpectedSigningDigests({COLLECTOR_DIGEST}), []),
        (PIXEL_8A_TEE, ExpectedSigningDigests({COLLECTOR_DIGEST}), ["policy.signing_digest"]),
        (PIXEL_8A_TEE, RequiredAttestedIds({"imei": "351163520096208", "model": None}), []),
        (
            PIXEL_9_PRO_SB,
            RequiredAttestedIds({"imei": None, "brand": "samsung"}),
            ["policy.attested_id", "policy.attested_id"],
        ),
        (PIXEL_9_PRO_SB, KeyOriginIn(), []),
        (PIXEL_9_PRO_SB, KeyOriginIn({KeyOrigin.IMPORTED}), ["policy.key_origin"]),
        (PIXEL_9_PRO_SB, ExpectedVerifiedBootKey({"Pixel 9 Pro": [bytes(32)]}), []),
        (
            PIXEL_9_PRO_SB,
            ExpectedVerifiedBootKey({"*": [b"\x01" * 32]}),
            ["policy.verified_boot_key"],
        ),
        (PIXEL_3_TEE, ExpectedVerifiedBootKey({"Pixel 3": [b""]}), ["policy.verified_boot_key"]),
        (PIXEL_9_PRO_SB, ExpectedChallenge(b"7ccac1ea-4845-482e-858d-f6fa9aa8c295"), []),
        (PIXEL_9_PRO_SB, ExpectedChallenge(b"challenge"), ["policy.challenge_mismatch"]),
    ],
)
def test_single_property(name: str, policy: Policy, codes: list[str]) -> None:
    assert _codes(name, policy) == codes


def test_all_of_reports_every_failure_and_any_of_needs_one() -> None:
    strict = AllOf(
        [DeviceLocked(), VerifiedBootStateIn(), MinimumSecurityLevel(SecurityLevel.STRONG_BOX)]
    )
    assert _codes(PIXEL_8A_TEE, strict) == [
        "policy.device_unlocked",
        "policy.verified_boot_state",
        "policy.security_level",
    ]
    either = AnyOf([DeviceLocked(), RequiredAttestedIds({"imei": None})])
    assert _codes(PIXEL_8A_TEE, either) == []
    neither = AnyOf([DeviceLocked(), MinimumSecurityLevel(SecurityLevel.STRONG_BOX)])
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(PIXEL_8A_TEE)), neither, at=created_at(PIXEL_8A_TEE)
    )
    assert verdict.codes == ("policy.any_of",)
    assert [c.code.value for c in verdict.failures[0].causes] == [
        "policy.device_unlocked",
        "policy.security_level",
    ]


@pytest.mark.parametrize("make", [lambda: AllOf([]), lambda: AnyOf([])])
def test_empty_composition_is_refused(make: object) -> None:
    with pytest.raises(AttestPolicyError):
        make()  # type: ignore[operator]


def test_policy_errors_are_also_project_policy_errors() -> None:
    with pytest.raises(PolicyError):
        AllOf([])


def test_unsafe_no_op_is_flagged_in_the_verdict() -> None:
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(PIXEL_9_PRO_SB)), UnsafeNoOp(), at=created_at(PIXEL_9_PRO_SB)
    )
    assert verdict.ok
    assert "policy.unsafe_no_policy" in {n.code.value for n in verdict.notices}


def test_single_use_challenge_from_a_nonce_store() -> None:
    at = created_at(PIXEL_9_PRO_SB)
    store = InMemoryNonceStore(lifetime=timedelta(minutes=5))
    issued = store.issue(at - timedelta(minutes=1))
    assert len(issued) == 32
    challenge = b"7ccac1ea-4845-482e-858d-f6fa9aa8c295"  # what this device actually signed
    store.register(challenge, at - timedelta(minutes=1))
    policy = SingleUseChallenge(store)
    chain = read_chain(chain_path(PIXEL_9_PRO_SB))
    first = verifier(snapshot()).verify(chain, policy, at=at)
    replay = verifier(snapshot()).verify(chain, policy, at=at)
    assert first.ok
    assert replay.codes == ("policy.challenge_not_issued",)
    store.register(challenge, at - timedelta(minutes=10))  # expired by now
    assert verifier(snapshot()).verify(chain, policy, at=at).codes == (
        "policy.challenge_not_issued",
    )


def test_policy_is_not_evaluated_on_an_untrusted_chain() -> None:
    name = "marlin/sdk29/TEE_EC_NONE"
    verdict = verifier(snapshot()).verify(
        read_chain(chain_path(name)), DeviceLocked(), at=created_at(name)
    )
    assert verdict.codes == ("chain.software_root",)
    assert "policy.not_evaluated" in {n.code.value for n in verdict.notices}


POLICY_TOML = """
min_security_level = "strongbox"
require_device_locked = true
verified_boot_states = ["VERIFIED"]
min_os_patch_level = 202510
min_vendor_patch_level = 20251001
packages = ["com.google.android.attestation"]
signing_digests = ["EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV/DOfz8jsE="]
key_origins = ["GENERATED"]
any_of = [{ min_boot_patch_level = 20251105 }, { min_boot_patch_level = 20990101 }]

[verified_boot_keys]
"Pixel 9 Pro" = ["0000000000000000000000000000000000000000000000000000000000000000"]

[attested_ids]
brand = "google"
model = "*"
"""


def test_policy_file_toml_accepts_pixel_9_pro_and_rejects_pixel_8a(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_TOML)
    policy = load_policy(path)
    assert _codes(PIXEL_9_PRO_SB, policy) == []
    assert "policy.device_unlocked" in _codes(PIXEL_8A_TEE, policy)


def test_policy_file_json(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    digest = hashlib.sha256(b"x").hexdigest()
    path.write_text(f'{{"signing_digests": ["{digest}"], "require_device_locked": true}}')
    assert set(_codes(PIXEL_9_PRO_SB, load_policy(path))) == {"policy.signing_digest"}


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({}, "checks nothing"),
        ({"require_device_locked": False}, "checks nothing"),
        ({"any_of": []}, "any-of"),
        ({"colour": "blue"}, "unknown policy key"),
        ({"min_security_level": "titanium"}, "unknown value"),
        ({"min_os_patch_level": "2024-01"}, "expected an integer"),
        ({"min_os_patch_level": 2024}, "not YYYYMM"),
        ({"signing_digests": ["zz"]}, "neither hex nor base64"),
        ({"attested_ids": {"shoe_size": "42"}}, "unknown name"),
        ({"verified_boot_keys": {"Pixel": []}}, "at least one key"),
        ({"challenge": "xyz"}, "not hex"),
        ({"all_of": [{}]}, "checks nothing"),
    ],
)
def test_bad_policy_tables(table: dict[str, object], match: str) -> None:
    with pytest.raises(AttestPolicyError, match=match):
        policy_from_mapping(table)


def test_bad_policy_files(tmp_path: Path) -> None:
    with pytest.raises(AttestPolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("min_security_level = ")
    with pytest.raises(AttestPolicyError, match="not valid toml"):
        load_policy(broken)
