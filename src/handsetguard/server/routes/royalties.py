"""/v1/royalties"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from handsetguard.server.deps import Ctx, CurrentActor
from handsetguard.server.schemas.common import Strict
from handsetguard.server.services import royalties

router = APIRouter(prefix="/v1/royalties", tags=["royalties"])

PeriodField = Field(min_length=7, max_length=7, description="YYYY-MM (UTC month)")


class ClosureIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=36)
    period: str = PeriodField


class AdjustmentIn(Strict):
    agreement_id: str = Field(min_length=1, max_length=36)
    refers_to_period: str = PeriodField
    units: int = Field(ge=-1_000_000, le=1_000_000)
    amount: Decimal = Field(max_digits=14, decimal_places=4)
    reason: str = Field(min_length=1, max_length=500)


class AdjustmentOut(BaseModel):
    id: int
    agreement_id: str
    period: str
    refers_to_period: str
    units: int
    amount: Decimal
    reason: str


@router.get("/statements", response_model=None)
def statements(
    ctx: Ctx,
    actor: CurrentActor,
    partner_id: Annotated[str, Query(min_length=1, max_length=36)],
    period: Annotated[str, Query(min_length=7, max_length=7)],
    agreement_id: Annotated[str | None, Query(max_length=36)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> dict[str, Any] | PlainTextResponse:
    with ctx.db.read() as session:
        found = royalties.partner_statements(session, actor, partner_id, period)
    if agreement_id is not None:
        found = [s for s in found if s["agreement"]["id"] == agreement_id]
    if format == "csv":
        return PlainTextResponse(royalties.to_csv(found), media_type="text/csv")
    return {
        "schema": royalties.SCHEMA,
        "partner_id": partner_id,
        "period": period,
        "statements": found,
    }


@router.post("/closures", status_code=201)
def close_period(body: ClosureIn, ctx: Ctx, actor: CurrentActor) -> dict[str, Any]:
    with ctx.db.write() as session:
        return royalties.close_period(
            session, actor, body.agreement_id, body.period, ctx.clock.now()
        )


@router.post("/adjustments", status_code=201)
def add_adjustment(body: AdjustmentIn, ctx: Ctx, actor: CurrentActor) -> AdjustmentOut:
    with ctx.db.write() as session:
        row = royalties.add_adjustment(
            session,
            actor,
            body.agreement_id,
            body.refers_to_period,
            body.units,
            body.amount,
            body.reason,
            ctx.clock.now(),
        )
        return AdjustmentOut(
            id=row.id,
            agreement_id=row.agreement_id,
            period=row.period,
            refers_to_period=row.refers_to_period,
            units=row.units,
            amount=row.amount,
            reason=row.reason,
        )
