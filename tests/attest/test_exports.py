"""The attestation package's public names are pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import handsetguard.attest
from handsetguard.attest import errors
from handsetguard.errors import HandsetGuardError

EXPECTED = sorted(
    """SCHEMA_VERSION STATUS_URL AllOf AnyOf AttestPolicyError Attestation
    AttestationApplicationId AttestedIds AuthorizationList ChainInfo ChainInput ChainInputError
    DeviceLocked ExpectedChallenge ExpectedPackage ExpectedSigningDigests ExpectedVerifiedBootKey
    Failure FailureCode InMemoryNonceStore InputForm KeyDescription KeyDescriptionError KeyOrigin
    KeyOriginIn LinkCache MinimumBootPatchLevel MinimumOsPatchLevel MinimumSecurityLevel
    MinimumVendorPatchLevel MissingListPolicy NonceStore Notice NoticeCode PackageInfo PatchLevel
    Policy Provisioning ProvisioningInfo RequiredAttestedIds RevocationPolicy RevocationResult
    RootKind RootOfTrust SecurityLevel SingleUseChallenge StatusEntry StatusList StatusListError
    StatusListFetchError SuspendedPolicy TrustStore TrustStoreError TrustedRoot UnsafeNoOp
    VerificationError Verdict VerifiedBootState VerifiedBootStateIn Verifier default_cache_path
    key_description_to_dict load_policy load_status_list parse_chain parse_key_description
    parse_status_list policy_from_mapping read_chain refresh_status_list verdict_to_dict""".split()
)


def test_public_names_are_pinned() -> None:
    assert sorted(handsetguard.attest.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(handsetguard.attest, name), name


def test_every_attest_error_is_a_project_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.VerificationError)
        assert issubclass(getattr(errors, name), HandsetGuardError)


def test_import_is_light() -> None:
    code = (
        "import sys, handsetguard.attest; "
        "print(','.join(m for m in ('rich', 'typer', 'fastapi', 'adbutils', 'urllib.request') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
