"""Bodies for partners, agreements and credentials."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from handsetguard.server.schemas.common import INT32_MAX, Strict, UTCTime

__all__ = [
    "AgreementIn",
    "AgreementOut",
    "AgreementStatusIn",
    "AgreementTerms",
    "AgreementVersionOut",
    "AmendmentIn",
    "CredentialIn",
    "CredentialIssued",
    "CredentialOut",
    "DeviceModel",
    "PartnerIn",
    "PartnerOut",
    "RoyaltyTier",
]

Name = Field(min_length=1, max_length=200)


class PartnerIn(Strict):
    legal_name: str = Name
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    legal_name: str
    country: str
    created_at: datetime
    updated_at: datetime


class DeviceModel(Strict):
    model_code: str = Field(min_length=1, max_length=64)
    tac_prefixes: list[str] = Field(default_factory=list, max_length=100)


class RoyaltyTier(Strict):
    from_units: int = Field(
        ge=0, le=INT32_MAX, description="applies from this cumulative unit count on"
    )
    rate: Decimal = Field(ge=0, max_digits=12, decimal_places=4)


class AgreementTerms(Strict):
    name: str = Name
    modules: list[str] = Field(min_length=1, max_length=20)
    brand_assets: list[str] = Field(default_factory=list, max_length=50)
    territories: list[str] = Field(min_length=1, max_length=250)
    device_models: list[DeviceModel] = Field(min_length=1, max_length=200)
    quota: int = Field(ge=0, le=1_000_000_000)
    overage_policy: Literal["block", "allow"] = "block"
    overage_factor: Decimal = Field(default=Decimal(1), ge=1, le=10, max_digits=6)
    term_start: date
    term_end: date
    currency: str = Field(min_length=3, max_length=3)
    royalty_tiers: list[RoyaltyTier] = Field(min_length=1, max_length=20)


class AgreementIn(AgreementTerms):
    partner_id: str = Field(min_length=1, max_length=36)


class AmendmentIn(Strict):
    terms: AgreementTerms
    note: str = Field(min_length=1, max_length=500)


class AgreementStatusIn(Strict):
    status: Literal["active", "suspended", "terminated"]
    reason: str = Field(min_length=1, max_length=500)


class AgreementOut(BaseModel):
    id: str
    partner_id: str
    version: int
    status: str
    used: int
    unit_limit: int
    terms: AgreementTerms
    created_at: datetime
    updated_at: datetime


class AgreementVersionOut(BaseModel):
    version: int
    terms: dict[str, Any]
    note: str
    created_at: datetime
    created_by: str


class CredentialIn(Strict):
    name: str = Name
    role: Literal["licensor_admin", "partner_admin", "factory", "support", "auditor"]
    partner_id: str | None = Field(default=None, max_length=36)
    agreement_id: str | None = Field(default=None, max_length=36)
    model_code: str | None = Field(default=None, max_length=64)
    factory_line: str | None = Field(default=None, max_length=64)
    expires_at: UTCTime | None = Field(
        default=None, description="with a time zone; capped at the issuer's own expiry"
    )


class CredentialOut(BaseModel):
    id: str
    name: str
    role: str
    partner_id: str | None
    agreement_id: str | None
    model_code: str | None
    factory_line: str | None
    expires_at: str | None
    revoked_at: str | None


class CredentialIssued(CredentialOut):
    token: str = Field(description="shown once; only its hash is stored")
