"""The service's tables (re-exports only)."""

from handsetguard.server.models.access import Credential, SigningKey
from handsetguard.server.models.base import Base
from handsetguard.server.models.devices import Activation, Device, DeviceImei, DeviceNote, Nonce
from handsetguard.server.models.fleet import (
    Alert,
    CheckIn,
    CheckInChallenge,
    FleetBaseline,
    FleetCount,
    FleetGolden,
    FleetPolicy,
    FleetUnit,
    PostureReport,
    Webhook,
    WebhookDelivery,
)
from handsetguard.server.models.licensing import Agreement, AgreementVersion, Licensor, Partner
from handsetguard.server.models.records import (
    AuditEntry,
    AuditHead,
    RoyaltyAdjustment,
    RoyaltyClosure,
)
from handsetguard.server.models.registrations import (
    BatchUnit,
    BlockedImei,
    Registration,
    RegistrationBatch,
    RegistryLicence,
)

__all__ = [
    "Activation",
    "Agreement",
    "AgreementVersion",
    "Alert",
    "AuditEntry",
    "AuditHead",
    "Base",
    "BatchUnit",
    "BlockedImei",
    "CheckIn",
    "CheckInChallenge",
    "Credential",
    "Device",
    "DeviceImei",
    "DeviceNote",
    "FleetCount",
    "FleetBaseline",
    "FleetGolden",
    "FleetPolicy",
    "FleetUnit",
    "Licensor",
    "Nonce",
    "Partner",
    "PostureReport",
    "Registration",
    "RegistrationBatch",
    "RegistryLicence",
    "RoyaltyAdjustment",
    "RoyaltyClosure",
    "SigningKey",
    "Webhook",
    "WebhookDelivery",
]
