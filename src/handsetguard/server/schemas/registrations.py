"""Bodies for territory register batches, receipts, the ship gate and the blocklist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "BatchIn",
    "BatchOut",
    "BlocklistOut",
    "LicenceIn",
    "LicenceOut",
    "ReceiptOut",
    "ShipStatusOut",
]


class LicenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    licence_number: str = Field(min_length=1, max_length=64)
    brand: str | None = Field(default=None, min_length=1, max_length=200)


class LicenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    agreement_id: str
    territory: str
    licence_number: str
    brand: str
    updated_at: datetime


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agreement_id: str = Field(min_length=1, max_length=36)
    territory: str = Field(min_length=2, max_length=2)
    model_code: str | None = Field(default=None, max_length=64)
    since: AwareDatetime | None = Field(default=None, description="activated at or after")
    until: AwareDatetime | None = Field(default=None, description="activated before")
    include_rejected: bool = Field(default=False, description="gather rejected units again")


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    partner_id: str
    agreement_id: str
    territory: str
    registry: str = Field(validation_alias="register", description="e.g. IN-ICDR")
    unit_count: int
    content_hash: str
    status: str
    filters: dict[str, Any]
    created_at: datetime
    receipted_at: datetime | None


class ReceiptOut(BaseModel):
    batch_id: str
    file_sha256: str
    encoding: str
    registered: int
    rejected: int
    unchanged: int
    pending: int = Field(description="units of the batch still awaiting a decision")
    problems: list[str] = Field(description="rows not applied (with partial), one line each")


class ShipStatusOut(BaseModel):
    device_id: str
    serial: str
    imei1: str
    imei2: str | None
    model_code: str
    territory: str
    registry: str | None = Field(description="the territory's register, e.g. IN-ICDR")
    state: str = Field(description="unregistered | in_batch | registered | rejected | not_required")
    shippable: bool
    why: str
    batch_id: str | None
    reference: str | None
    reason: str | None
    blocklisted: list[str] = Field(default_factory=list, description="blocklisted IMEIs")


class BlocklistOut(BaseModel):
    added: int
    already_listed: int
    problems: list[str]
