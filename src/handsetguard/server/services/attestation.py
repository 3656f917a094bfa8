"""Key attestation on activation, through the project's verifier (``handsetguard.attest``).

The chain's challenge must be the nonce the server issued, and the attested serial and
IMEIs must equal the claimed ones. If the verifier cannot be imported (not part of this
build), chains are REFUSED with ``attestation_unsupported`` — never accepted unverified.
The check is injected into the app (like the clock), so tests can use test trust anchors.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from handsetguard.errors import HandsetGuardError
from handsetguard.server.errors import InvalidInputError, RefusedError

__all__ = ["AttestChainCheck", "ChainCheck", "attested_facts", "verify_for_checkin"]


class ChainCheck(Protocol):
    def __call__(
        self,
        chain: list[str],
        *,
        nonce: bytes,
        serial: str,
        imeis: tuple[str, str | None],
        at: datetime,
    ) -> None:
        """Return when the chain proves a genuine device with these IDs; raise otherwise."""
        ...


def _ders(chain: list[str]) -> list[bytes]:
    try:
        return [base64.b64decode(item, validate=True) for item in chain]
    except (binascii.Error, ValueError) as exc:
        raise InvalidInputError(
            "invalid_attestation_chain", "attestation_chain items must be base64 DER"
        ) from exc


class AttestChainCheck:
    """:class:`ChainCheck` over ``handsetguard.attest.Verifier``. Without ``verifier`` it uses
    Google's bundled roots and the status list at ``status_list_path`` (fail-closed when
    there is none)."""

    def __init__(self, *, status_list_path: str | None = None, verifier: Any = None) -> None:
        self._status_list_path = status_list_path
        self._verifier = verifier

    def verifier(self) -> Any:
        """The ``handsetguard.attest.Verifier`` this check uses."""
        return self._verifier if self._verifier is not None else self._build()

    def _build(self) -> Any:
        from handsetguard.attest import Verifier, load_status_list

        path = self._status_list_path
        return Verifier(status_list=load_status_list(Path(path)) if path else None)

    def __call__(
        self,
        chain: list[str],
        *,
        nonce: bytes,
        serial: str,
        imeis: tuple[str, str | None],
        at: datetime,
    ) -> None:
        try:
            from handsetguard.attest import AllOf, ExpectedChallenge, RequiredAttestedIds
        except ImportError as exc:  # the verifier is not part of this build
            raise RefusedError(
                "attestation_unsupported",
                "this server cannot verify key attestation chains; activate without a chain",
            ) from exc
        ders = _ders(chain)
        required: dict[str, str | None] = {"serial": serial, "imei": imeis[0]}
        if imeis[1] is not None:
            required["second_imei"] = imeis[1]
        try:
            verifier = self._verifier if self._verifier is not None else self._build()
            policy = AllOf([ExpectedChallenge(nonce), RequiredAttestedIds(required)])
            verdict = verifier.verify(ders, policy, at=at)
        except HandsetGuardError as exc:
            raise RefusedError("attestation_invalid", exc.message) from exc
        if not verdict.ok:
            raise RefusedError(
                "attestation_invalid",
                "; ".join(f.message for f in verdict.failures)[:500],
                details={"attestation_codes": list(verdict.codes)},
            )


def _patch(level: Any) -> str | None:
    if level is None or not level.is_valid:
        return None
    year, month, day = level.key()
    return f"{year:04d}-{month:02d}-{day:02d}" if day else f"{year:04d}-{month:02d}"


def attested_facts(verdict: Any) -> dict[str, Any]:
    """What a verified chain proves about the device (tier ``attested``), as JSON values."""
    kd = verdict.key_description
    hw = kd.hardware_enforced
    root = hw.root_of_trust
    ids = kd.attested_ids
    return {
        "security_level": kd.attestation_security_level.name.lower(),
        "verified_boot_state": root.verified_boot_state.name.lower() if root else None,
        "device_locked": root.device_locked if root else None,
        "verified_boot_key": root.verified_boot_key.hex() if root else None,
        "os_version": hw.os_version,
        "os_patch": _patch(hw.os_patch_level),
        "vendor_patch": _patch(hw.vendor_patch_level),
        "boot_patch": _patch(hw.boot_patch_level),
        "serial": ids.serial,
        "imei": ids.imei,
        "second_imei": ids.second_imei,
        "brand": ids.brand,
        "product": ids.product,
        "device": ids.device,
    }


def verify_for_checkin(
    check: ChainCheck, chain: list[str], *, challenge: bytes, at: datetime
) -> tuple[dict[str, Any] | None, str | None, tuple[str, ...]]:
    """Verify a check-in's chain against its challenge only (the IDs are compared by the
    caller, which records a mismatch as an alert). Returns (facts, failure, codes): facts
    when verified, else the failure's words and reason codes."""
    if not isinstance(check, AttestChainCheck):
        raise RefusedError(
            "attestation_unsupported", "this server's chain check cannot read attested facts"
        )
    try:
        from handsetguard.attest import ExpectedChallenge
    except ImportError as exc:  # pragma: no cover (the verifier is part of this build)
        raise RefusedError("attestation_unsupported", "no key attestation verifier") from exc
    ders = _ders(chain)
    try:
        verdict = check.verifier().verify(ders, ExpectedChallenge(challenge), at=at)
    except HandsetGuardError as exc:
        return None, exc.message[:500], ("attestation_unusable",)
    if not verdict.ok:
        words = "; ".join(f.message for f in verdict.failures)[:500]
        return None, words, verdict.codes
    return attested_facts(verdict), None, ()
