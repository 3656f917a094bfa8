"""Bodies for activations, devices and nonces."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from handsetguard.server.schemas.common import Strict

__all__ = [
    "ActivationIn",
    "ActivationOut",
    "DeviceNoteIn",
    "DeviceOut",
    "DeviceRevokeIn",
    "NonceOut",
    "REVOKE_CODES",
]


class ActivationIn(Strict):
    serial: str = Field(min_length=1, max_length=64)
    imei1: str = Field(min_length=1, max_length=32)
    imei2: str | None = Field(default=None, min_length=1, max_length=32)
    meid: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="CDMA MEID, when the unit has one: 14 hex digits (15 with the check "
        "digit) or the 18-digit decimal form (19); stored as 14 upper-case hex digits",
    )
    model_code: str = Field(min_length=1, max_length=64)
    territory: str = Field(min_length=1, max_length=8, description="ISO 3166-1 alpha-2")
    factory_line: str | None = Field(default=None, max_length=64)
    agreement_id: str | None = Field(default=None, max_length=36)
    attestation_chain: list[str] | None = Field(
        default=None, min_length=1, max_length=10, description="base64 DER, leaf first"
    )
    nonce: str | None = Field(default=None, max_length=128)


class ActivationOut(BaseModel):
    activation_id: str
    device_id: str
    kid: str
    activation: str = Field(description="signed hg1 envelope, see docs/server.md")
    replayed: bool = Field(description="true when this unit was already activated (idempotent)")
    overage: bool
    registration_required: bool = Field(
        description="the territory's equipment-identity register must still register this unit "
        "before it may ship (GET /v1/registrations/status/{serial})"
    )
    registration_register: str | None = Field(
        description="that register (e.g. IN-ICDR); null where the territory has none"
    )


class NonceOut(BaseModel):
    nonce: str
    expires_at: datetime


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    serial: str
    imei1: str
    imei2: str | None
    meid: str | None = None
    model_code: str
    territory: str
    partner_id: str
    agreement_id: str
    factory_line: str | None
    activated_at: datetime
    status: str
    revoked_at: datetime | None
    revoke_reason: str | None
    revoke_code: str | None = None


class DeviceNoteIn(Strict):
    text: str = Field(min_length=1, max_length=2000)


REVOKE_CODES = (
    "unspecified",
    "lost",
    "stolen",
    "fraud",
    "key_compromise",
    "returned",
    "decommissioned",
    "superseded",
)
"""The reason codes the public revocation list carries."""


class DeviceRevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=200, description="private: never published")
    reason_code: Literal[REVOKE_CODES] = Field(  # type: ignore[valid-type]
        default="unspecified", description="published on /v1/revocations"
    )
