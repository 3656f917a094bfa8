"""The remote-key-provisioning ``ProvisioningInfo`` extension (OID 1.3.6.1.4.1.11129.2.1.30).

The extension value is a CBOR map; key 1 is the number of certificates issued to the device
recently, key 3 the manufacturer. Other keys are kept as they are.
https://developer.android.com/privacy-and-security/security-key-attestation#provisioning_attestation_ext_schema
"""

from __future__ import annotations

from handsetguard.attest.cbor import CborKey, CborValue, decode_cbor
from handsetguard.attest.errors import ChainInputError, KeyDescriptionError
from handsetguard.records import record

__all__ = ["ProvisioningInfo", "parse_provisioning_info"]

_CERTIFICATES_ISSUED = 1
_MANUFACTURER = 3


@record
class ProvisioningInfo:
    certificates_issued: int | None
    manufacturer: str | None
    other: tuple[tuple[CborKey, CborValue], ...]


def parse_provisioning_info(extension_value: bytes) -> ProvisioningInfo:
    """Decode the extension value (the CBOR inside the extension's OCTET STRING)."""
    try:
        document = decode_cbor(extension_value, "ProvisioningInfo")
    except ChainInputError as exc:
        raise KeyDescriptionError(exc.message) from None
    if not isinstance(document, dict):
        raise KeyDescriptionError("ProvisioningInfo: the CBOR value is not a map")
    issued = document.get(_CERTIFICATES_ISSUED)
    manufacturer = document.get(_MANUFACTURER)
    return ProvisioningInfo(
        certificates_issued=(
            issued if isinstance(issued, int) and not isinstance(issued, bool) else None
        ),
        manufacturer=manufacturer if isinstance(manufacturer, str) else None,
        other=tuple(
            (key, value)
            for key, value in document.items()
            if key not in (_CERTIFICATES_ISSUED, _MANUFACTURER)
        ),
    )
