"""Why a verdict failed, or what it wants the reader to know: typed reasons with stable codes.

Codes are part of the public contract (the activation service stores them, dashboards group by
them): add new ones, never rename.
"""

from __future__ import annotations

import enum

from handsetguard.records import record

__all__ = ["Failure", "FailureCode", "Notice", "NoticeCode"]


class FailureCode(enum.StrEnum):
    # chain (path validation)
    NO_LEAF = "chain.no_leaf"
    UNTRUSTED_ROOT = "chain.untrusted_root"
    SOFTWARE_ROOT = "chain.software_root"
    NAME_CHAINING = "chain.name_chaining"
    SIGNATURE = "chain.signature"
    # Kept for stored verdicts; no longer produced (Google's structural rules report these:
    # see NoticeCode.ISSUER_NOT_CA_ACCEPTED and NoticeCode.UNKNOWN_CRITICAL_EXTENSION).
    ISSUER_NOT_CA = "chain.issuer_not_ca"
    PATH_LENGTH = "chain.path_length"
    UNKNOWN_CRITICAL_EXTENSION = "chain.unknown_critical_extension"
    NOT_YET_VALID = "chain.not_yet_valid"
    EXPIRED = "chain.expired"
    EXTENSION_OUTSIDE_LEAF = "chain.extension_outside_leaf"
    CERTIFICATE_AFTER_LEAF = "chain.certificate_after_leaf"
    LEAF_WITHOUT_EXTENSION = "chain.leaf_without_extension"
    PATH_TOO_LONG = "chain.path_too_long"
    DUPLICATE_EXTENSION = "chain.duplicate_extension"
    # revocation (Google's attestation status list)
    REVOKED = "revocation.revoked"
    SUSPENDED = "revocation.suspended"
    STATUS_UNAVAILABLE = "revocation.unavailable"
    STATUS_STALE = "revocation.stale"
    UNKNOWN_STATUS = "revocation.unknown_status"
    # the WebAuthn android-key attestation statement
    WEBAUTHN_SIGNATURE = "webauthn.signature"
    WEBAUTHN_CLIENT_DATA = "webauthn.client_data"
    WEBAUTHN_CREDENTIAL_KEY = "webauthn.credential_key"
    # the KeyDescription extension itself
    EXTENSION_MALFORMED = "extension.malformed"
    # policy
    CHALLENGE_MISMATCH = "policy.challenge_mismatch"
    CHALLENGE_NOT_ISSUED = "policy.challenge_not_issued"
    SECURITY_LEVEL = "policy.security_level"
    ROOT_OF_TRUST_MISSING = "policy.root_of_trust_missing"
    DEVICE_UNLOCKED = "policy.device_unlocked"
    VERIFIED_BOOT_STATE = "policy.verified_boot_state"
    VERIFIED_BOOT_KEY = "policy.verified_boot_key"
    OS_PATCH_LEVEL = "policy.os_patch_level"
    VENDOR_PATCH_LEVEL = "policy.vendor_patch_level"
    BOOT_PATCH_LEVEL = "policy.boot_patch_level"
    PACKAGE = "policy.package"
    SIGNING_DIGEST = "policy.signing_digest"
    ATTESTED_ID = "policy.attested_id"
    KEY_ORIGIN = "policy.key_origin"
    ANY_OF = "policy.any_of"


class NoticeCode(enum.StrEnum):
    TRAILING_DATA = "input.trailing_data"
    REVERSED_ORDER = "input.reversed_order"
    UNSAFE_ROOT = "chain.unsafe_root"
    EXPIRED_FACTORY_CERTIFICATE = "chain.expired_factory_certificate_accepted"
    ROOT_CERTIFICATE_EXPIRED = "chain.root_certificate_expired"
    LEAF_OUTSIDE_VALIDITY = "chain.leaf_outside_validity"
    NON_STRICT_ENCODING = "chain.non_strict_encoding"
    NAME_ENCODING_DIFFERS = "chain.name_encoding_differs"
    ISSUER_NOT_CA_ACCEPTED = "chain.issuer_not_ca_accepted"
    UNKNOWN_CRITICAL_EXTENSION = "chain.unknown_critical_extension"
    SUSPENDED = "revocation.suspended"
    LISTED = "revocation.listed"  # no longer produced: an unknown status fails closed
    UNSAFE_NO_STATUS_LIST = "revocation.unsafe_fail_open"
    TAGS_OUT_OF_ORDER = "extension.tags_out_of_order"
    DUPLICATE_TAGS = "extension.duplicate_tags"
    UNKNOWN_TAGS = "extension.unknown_tags"
    PROVISIONING_INFO_MALFORMED = "extension.provisioning_info_malformed"
    WEBAUTHN_NO_CLIENT_DATA = "webauthn.no_client_data"
    POLICY_NOT_EVALUATED = "policy.not_evaluated"
    UNSAFE_NO_POLICY = "policy.unsafe_no_policy"


@record
class Failure:
    """One reason a verdict is negative. ``certificate`` is the index in the chain as given
    (0 = leaf) when the reason concerns one certificate."""

    code: FailureCode
    message: str
    certificate: int | None = None
    causes: tuple[Failure, ...] = ()
    """For ``policy.any_of``: why each alternative failed."""


@record
class Notice:
    """Something true about an attestation that does not, by itself, fail it."""

    code: NoticeCode
    message: str
    certificate: int | None = None
