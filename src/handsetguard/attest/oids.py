"""Every object identifier the attestation verifier looks at, as a named constant.

Sources: https://source.android.com/docs/security/features/keystore/attestation#attestation-extension
and https://developer.android.com/privacy-and-security/security-key-attestation#provisioning_attestation_ext_schema
"""

from __future__ import annotations

from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import ExtensionOID

__all__ = [
    "ATTESTATION_EXTENSION_OIDS",
    "KEY_DESCRIPTION",
    "KNOWN_CRITICAL_EXTENSIONS",
    "PROVISIONING_INFO",
]

KEY_DESCRIPTION = ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
"""Android Key Attestation ``KeyDescription`` extension: only the attested (leaf) cert has it."""

PROVISIONING_INFO = ObjectIdentifier("1.3.6.1.4.1.11129.2.1.30")
"""Remote key provisioning (RKP) ``ProvisioningInfo`` extension: on the RKP attestation cert."""

ATTESTATION_EXTENSION_OIDS = frozenset({KEY_DESCRIPTION})
"""Extensions that make a certificate an attested key's certificate (must be the leaf)."""

KNOWN_CRITICAL_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        KEY_DESCRIPTION,
        PROVISIONING_INFO,
    }
)
"""Extensions this verifier understands; any *other* critical extension fails the chain
(RFC 5280 §4.2: a certificate with an unrecognised critical extension must be rejected)."""
