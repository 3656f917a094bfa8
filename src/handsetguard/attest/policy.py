"""What a genuine attestation must also say: one small policy class per property, composed
with :class:`AllOf` / :class:`AnyOf` (after sigstore-python's ``verify/policy.py``).

A policy sees only attestations whose chain was already validated; it returns the failures it
found (empty = satisfied), so a verdict can list every reason at once. Security properties are
read from the **hardware-enforced** list only. An empty ``AllOf`` (or ``AnyOf``) is refused when
built: a policy that checks nothing must be spelled :class:`UnsafeNoOp`.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Protocol

from handsetguard.attest.chain import Provisioning
from handsetguard.attest.errors import AttestPolicyError
from handsetguard.attest.keydescription import (
    KeyDescription,
    KeyOrigin,
    PatchLevel,
    SecurityLevel,
    VerifiedBootState,
)
from handsetguard.attest.reasons import Failure, FailureCode
from handsetguard.attest.roots import TrustedRoot
from handsetguard.records import record

__all__ = [
    "ATTESTED_ID_FIELDS",
    "ANY_MODEL",
    "AllOf",
    "AnyOf",
    "Attestation",
    "DeviceLocked",
    "ExpectedPackage",
    "ExpectedSigningDigests",
    "ExpectedVerifiedBootKey",
    "KeyOriginIn",
    "MinimumBootPatchLevel",
    "MinimumOsPatchLevel",
    "MinimumSecurityLevel",
    "MinimumVendorPatchLevel",
    "Policy",
    "RequiredAttestedIds",
    "UnsafeNoOp",
    "VerifiedBootStateIn",
]

ATTESTED_ID_FIELDS = (
    "brand",
    "device",
    "product",
    "serial",
    "imei",
    "second_imei",
    "meid",
    "manufacturer",
    "model",
)
ANY_MODEL = "*"


@record
class Attestation:
    """A validated chain's facts, as policies see them."""

    key_description: KeyDescription
    provisioning: Provisioning
    root: TrustedRoot
    at: datetime
    client_challenge: bytes | None = None
    """WebAuthn: the relying party's challenge from clientDataJSON (the attested challenge is
    its hash, checked by the verifier); challenge policies compare this one when present."""

    @property
    def challenge(self) -> bytes:
        if self.client_challenge is not None:
            return self.client_challenge
        return self.key_description.attestation_challenge


class Policy(Protocol):
    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        """The failures found; empty when the attestation satisfies the policy."""
        ...

    def describe(self) -> str: ...


def _fail(code: FailureCode, message: str) -> tuple[Failure, ...]:
    return (Failure(code, message),)


class AllOf:
    """Every child must hold; all their failures are reported."""

    def __init__(self, children: Iterable[Policy]) -> None:
        self.children = tuple(children)
        if not self.children:
            raise AttestPolicyError(
                "an all-of policy with no child policy would accept anything",
                remediation="give at least one check, or use UnsafeNoOp on purpose",
            )

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        return tuple(f for child in self.children for f in child.check(attestation))

    def describe(self) -> str:
        return "all of (" + "; ".join(c.describe() for c in self.children) + ")"


class AnyOf:
    """At least one child must hold; when none does, one failure lists each child's reasons."""

    def __init__(self, children: Iterable[Policy]) -> None:
        self.children = tuple(children)
        if not self.children:
            raise AttestPolicyError("an any-of policy with no child policy can never hold")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        causes: list[Failure] = []
        for child in self.children:
            failures = child.check(attestation)
            if not failures:
                return ()
            causes.extend(failures)
        return (
            Failure(
                FailureCode.ANY_OF,
                f"none of {len(self.children)} alternatives holds",
                causes=tuple(causes),
            ),
        )

    def describe(self) -> str:
        return "any of (" + "; ".join(c.describe() for c in self.children) + ")"


class UnsafeNoOp:
    """Checks nothing beyond the chain. Unsafe: the verdict carries a notice saying so."""

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:  # noqa: ARG002
        return ()

    def describe(self) -> str:
        return "unsafe: no policy"


class MinimumSecurityLevel:
    """Both the attestation and the KeyMint security level reach ``level``."""

    def __init__(self, level: SecurityLevel) -> None:
        self.level = level

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        kd = attestation.key_description
        low = min(kd.attestation_security_level, kd.keymint_security_level)
        if low >= self.level:
            return ()
        return _fail(
            FailureCode.SECURITY_LEVEL,
            f"security level {low.name} is below {self.level.name} (attestation "
            f"{kd.attestation_security_level.name}, KeyMint {kd.keymint_security_level.name})",
        )

    def describe(self) -> str:
        return f"security level >= {self.level.name}"


class DeviceLocked:
    """The bootloader is locked (RootOfTrust.deviceLocked, hardware-enforced)."""

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        root = attestation.key_description.hardware_enforced.root_of_trust
        if root is None:
            return _fail(FailureCode.ROOT_OF_TRUST_MISSING, "no hardware-enforced rootOfTrust")
        if root.device_locked:
            return ()
        return _fail(FailureCode.DEVICE_UNLOCKED, "the bootloader is unlocked")

    def describe(self) -> str:
        return "device locked"


class VerifiedBootStateIn:
    """The verified-boot state is one of ``states`` (default: VERIFIED only)."""

    def __init__(self, states: Collection[VerifiedBootState] = (VerifiedBootState.VERIFIED,)):
        self.states = frozenset(states)
        if not self.states:
            raise AttestPolicyError("verified boot states: the allowed set is empty")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        root = attestation.key_description.hardware_enforced.root_of_trust
        if root is None:
            return _fail(FailureCode.ROOT_OF_TRUST_MISSING, "no hardware-enforced rootOfTrust")
        if root.verified_boot_state in self.states:
            return ()
        return _fail(
            FailureCode.VERIFIED_BOOT_STATE,
            f"verified boot state {root.verified_boot_state.name} is not "
            + "/".join(sorted(s.name for s in self.states)),
        )

    def describe(self) -> str:
        return "verified boot in " + "/".join(sorted(s.name for s in self.states))


class ExpectedVerifiedBootKey:
    """The verified-boot key is one expected for the *attested* model (``"*"``: any model)."""

    def __init__(self, keys_by_model: Mapping[str, Collection[bytes]]) -> None:
        self.keys_by_model = {model: frozenset(keys) for model, keys in keys_by_model.items()}
        if not self.keys_by_model or not all(self.keys_by_model.values()):
            raise AttestPolicyError("verified boot keys: give at least one key per model")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        hw = attestation.key_description.hardware_enforced
        if hw.root_of_trust is None:
            return _fail(FailureCode.ROOT_OF_TRUST_MISSING, "no hardware-enforced rootOfTrust")
        model = hw.attestation_id_model
        allowed = self.keys_by_model.get(model) if model is not None else None
        if allowed is None:
            allowed = self.keys_by_model.get(ANY_MODEL)
        if allowed is None:
            what = f"model {model!r}" if model is not None else "an unattested model"
            return _fail(FailureCode.VERIFIED_BOOT_KEY, f"no verified boot key is known for {what}")
        key = hw.root_of_trust.verified_boot_key
        if key in allowed:
            return ()
        return _fail(
            FailureCode.VERIFIED_BOOT_KEY,
            f"verified boot key {key.hex()} is not an expected key for model {model!r}",
        )

    def describe(self) -> str:
        return "verified boot key per model (" + ", ".join(sorted(self.keys_by_model)) + ")"


class _MinimumPatchLevel:
    field = ""
    code = FailureCode.OS_PATCH_LEVEL
    label = ""

    def __init__(self, minimum: int) -> None:
        self.minimum = PatchLevel(minimum)
        if not self.minimum.is_valid:
            raise AttestPolicyError(f"minimum {self.label} patch level {minimum}: not YYYYMM[DD]")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        level = getattr(attestation.key_description.hardware_enforced, self.field)
        if not isinstance(level, PatchLevel):
            return _fail(self.code, f"no hardware-enforced {self.label} patch level")
        if not level.is_valid:
            return _fail(self.code, f"{self.label} patch level {level} is not a date")
        if level.key() >= self.minimum.key():
            return ()
        return _fail(self.code, f"{self.label} patch level {level} is older than {self.minimum}")

    def describe(self) -> str:
        return f"{self.label} patch level >= {self.minimum}"


class MinimumOsPatchLevel(_MinimumPatchLevel):
    """osPatchLevel (YYYYMM) is at least ``minimum``."""

    field, code, label = "os_patch_level", FailureCode.OS_PATCH_LEVEL, "OS"


class MinimumVendorPatchLevel(_MinimumPatchLevel):
    """vendorPatchLevel (YYYYMMDD; YYYYMM on some devices) is at least ``minimum``."""

    field, code, label = "vendor_patch_level", FailureCode.VENDOR_PATCH_LEVEL, "vendor"


class MinimumBootPatchLevel(_MinimumPatchLevel):
    """bootPatchLevel (YYYYMMDD; YYYYMM on some devices) is at least ``minimum``."""

    field, code, label = "boot_patch_level", FailureCode.BOOT_PATCH_LEVEL, "boot"


class ExpectedPackage:
    """The key was made for one of ``names`` (attestationApplicationId; set by Keystore)."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = frozenset(names)
        if not self.names:
            raise AttestPolicyError("expected package: give at least one package name")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        app = attestation.key_description.software_enforced.attestation_application_id
        if app is None:
            app = attestation.key_description.hardware_enforced.attestation_application_id
        found = {p.name for p in app.packages} if app is not None else set()
        if found & self.names:
            return ()
        return _fail(
            FailureCode.PACKAGE,
            f"attested package(s) {sorted(found) or 'none'} are not "
            + ", ".join(sorted(self.names)),
        )

    def describe(self) -> str:
        return "package in " + ", ".join(sorted(self.names))


class ExpectedSigningDigests:
    """Every attested signing-certificate digest is an expected one (and there is one)."""

    def __init__(self, digests: Collection[bytes]) -> None:
        self.digests = frozenset(digests)
        if not self.digests:
            raise AttestPolicyError("expected signing digests: give at least one digest")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        app = attestation.key_description.software_enforced.attestation_application_id
        if app is None:
            app = attestation.key_description.hardware_enforced.attestation_application_id
        attested = set(app.signature_digests) if app is not None else set()
        if attested and attested <= self.digests:
            return ()
        unexpected = sorted(d.hex() for d in attested - self.digests) or ["none attested"]
        return _fail(FailureCode.SIGNING_DIGEST, f"signing digest(s) {unexpected} not expected")

    def describe(self) -> str:
        return f"signing digest in {len(self.digests)} expected"


class RequiredAttestedIds:
    """Each named device ID is attested (hardware-enforced) and, when a value is given, equal
    to it. ``None`` means "must be attested, any value". Names: :data:`ATTESTED_ID_FIELDS`."""

    def __init__(self, required: Mapping[str, str | None]) -> None:
        unknown = set(required) - set(ATTESTED_ID_FIELDS)
        if unknown:
            raise AttestPolicyError(
                f"attested ids: unknown name(s) {sorted(unknown)}; "
                f"use {', '.join(ATTESTED_ID_FIELDS)}"
            )
        if not required:
            raise AttestPolicyError("attested ids: name at least one ID")
        self.required = dict(required)

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        ids = attestation.key_description.attested_ids
        failures = []
        for name, expected in self.required.items():
            value = getattr(ids, name)
            if value is None:
                failures.append(Failure(FailureCode.ATTESTED_ID, f"{name} is not attested"))
            elif expected is not None and not hmac.compare_digest(
                value.encode(), expected.encode()
            ):
                message = f"attested {name} {value!r} is not {expected!r}"
                failures.append(Failure(FailureCode.ATTESTED_ID, message))
        return tuple(failures)

    def describe(self) -> str:
        return "attested " + ", ".join(sorted(self.required))


class KeyOriginIn:
    """The key's origin (hardware-enforced) is one of ``origins`` (default: GENERATED)."""

    def __init__(self, origins: Collection[KeyOrigin] = (KeyOrigin.GENERATED,)) -> None:
        self.origins = frozenset(origins)
        if not self.origins:
            raise AttestPolicyError("key origins: the allowed set is empty")

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        origin = attestation.key_description.hardware_enforced.origin
        if origin in self.origins:
            return ()
        name = origin.name if origin is not None else "absent"
        return _fail(FailureCode.KEY_ORIGIN, f"key origin {name} is not allowed")

    def describe(self) -> str:
        return "key origin in " + "/".join(sorted(o.name for o in self.origins))
