"""The service's tables (re-exports only)."""

from handsetguard.server.models.access import Credential, SigningKey
from handsetguard.server.models.base import Base
from handsetguard.server.models.devices import Activation, Device, DeviceImei, DeviceNote, Nonce
from handsetguard.server.models.licensing import Agreement, AgreementVersion, Licensor, Partner
from handsetguard.server.models.records import (
    AuditEntry,
    AuditHead,
    RoyaltyAdjustment,
    RoyaltyClosure,
)

__all__ = [
    "Activation",
    "Agreement",
    "AgreementVersion",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Credential",
    "Device",
    "DeviceImei",
    "DeviceNote",
    "Licensor",
    "Nonce",
    "Partner",
    "RoyaltyAdjustment",
    "RoyaltyClosure",
    "SigningKey",
]
