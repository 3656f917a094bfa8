"""Every object identifier the attestation verifier looks at, as a named constant (dotted text,
as :func:`handsetguard.attest.der.read_oid` returns it).

Sources: https://source.android.com/docs/security/features/keystore/attestation#attestation-extension
and https://developer.android.com/privacy-and-security/security-key-attestation#provisioning_attestation_ext_schema
"""

from __future__ import annotations

__all__ = [
    "BASIC_CONSTRAINTS",
    "KEY_DESCRIPTION",
    "KEY_USAGE",
    "KNOWN_CRITICAL",
    "PROVISIONING_INFO",
]

KEY_DESCRIPTION = "1.3.6.1.4.1.11129.2.1.17"
"""Android Key Attestation ``KeyDescription`` extension: only the attested (leaf) cert has it."""

PROVISIONING_INFO = "1.3.6.1.4.1.11129.2.1.30"
"""Remote key provisioning (RKP) ``ProvisioningInfo`` extension: on the RKP attestation cert."""

BASIC_CONSTRAINTS = "2.5.29.19"
KEY_USAGE = "2.5.29.15"

KNOWN_CRITICAL = frozenset(
    {
        BASIC_CONSTRAINTS,
        KEY_USAGE,
        "2.5.29.37",  # extendedKeyUsage
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.31",  # cRLDistributionPoints
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
        "2.5.29.17",  # subjectAltName
        "2.5.29.30",  # nameConstraints
        "2.5.29.32",  # certificatePolicies
        KEY_DESCRIPTION,
        PROVISIONING_INFO,
    }
)
"""Extensions this verifier knows. Another critical extension is reported (RFC 5280 §4.2
would reject the certificate; Google's attestation verifier accepts it, and so do we)."""
