"""Errors of the attestation subsystem: one base below the project's root error.

An attestation that is *invalid* is not an error: it is a
:class:`~handsetguard.attest.verify.Verdict` with failures. These exceptions are for input that
cannot be used at all (unreadable chain, malformed status list or policy file, network failure
while refreshing the status list).
"""

from __future__ import annotations

from handsetguard.errors import HandsetGuardError, PolicyError

__all__ = [
    "AttestPolicyError",
    "ChainInputError",
    "KeyDescriptionError",
    "StatusListError",
    "StatusListFetchError",
    "TrustStoreError",
    "VerificationError",
]


class VerificationError(HandsetGuardError):
    """Base of every error raised by :mod:`handsetguard.attest`."""


class ChainInputError(VerificationError):
    """A certificate chain could not be read: bad file, armour, encoding, size or count."""


class KeyDescriptionError(VerificationError):
    """The KeyDescription (or provisioning-info) extension is not well-formed DER of its schema."""


class TrustStoreError(VerificationError):
    """A trusted-roots file is missing, unreadable or holds no usable public key."""


class StatusListError(VerificationError):
    """An attestation status (revocation) list is unreadable or not in Google's format."""


class StatusListFetchError(StatusListError):
    """The status list could not be downloaded (network, HTTP status, size or timeout)."""


class AttestPolicyError(VerificationError, PolicyError):
    """An attestation policy is malformed (unknown key, bad value, empty all-of/any-of)."""
