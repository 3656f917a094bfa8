"""Bodies of the fleet endpoints: reports, alerts, webhooks, fleet policy, check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AcknowledgeIn",
    "AlertOut",
    "ChallengeIn",
    "ChallengeOut",
    "CheckInIn",
    "CheckInOut",
    "FleetPolicyIn",
    "FleetPolicyOut",
    "ReportOut",
    "WebhookCreatedOut",
    "WebhookDeliveryOut",
    "WebhookIn",
    "WebhookOut",
]


class ReportOut(BaseModel):
    report_id: str
    device_id: str
    received_at: datetime
    baseline: bool = Field(description="true when this report became the unit's baseline")
    tier: str = Field(description="'host': collected by the host, not attested")
    level: str
    score: int | None
    alerts: list[str] = Field(description="ids of the alerts this report raised")


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    device_id: str
    partner_id: str
    kind: str
    reason: str
    detail: dict[str, Any]
    raised_at: datetime
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str | None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partner_id: str = Field(max_length=36)
    url: str = Field(min_length=1, max_length=500)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    partner_id: str
    url: str
    created_at: datetime
    active: bool


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="HMAC-SHA256 key of the signatures; shown only once")


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    alert_id: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None


class FleetPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stale_after_hours: int = Field(ge=1, le=24 * 365, description="at least 1 h; default 48 h")


class FleetPolicyOut(BaseModel):
    agreement_id: str
    stale_after_hours: int


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(max_length=36)


class ChallengeOut(BaseModel):
    challenge: str = Field(description="base64url; use as the attestation challenge")
    expires_at: datetime


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(max_length=36)
    challenge: str = Field(max_length=128)
    attestation_chain: list[str] = Field(
        min_length=1, max_length=10, description="base64 DER, leaf first"
    )
    os_reported: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="facts the OS reports beside the chain (tier 'os'), e.g. security_patch",
    )


class CheckInOut(BaseModel):
    checkin_id: str
    device_id: str
    verified: bool
    attested: dict[str, Any]
    alerts: list[str]
