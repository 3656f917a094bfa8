"""/v1/support/lookup — the support desk's search by IMEI, MEID, serial or part of a serial."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from handsetguard.server.deps import Ctx, CurrentActor
from handsetguard.server.services import support

router = APIRouter(prefix="/v1/support", tags=["support"])


class LookupOut(BaseModel):
    query: str
    matched_by: str
    units: list[dict[str, Any]]


@router.get("/lookup")
def lookup(
    ctx: Ctx,
    actor: CurrentActor,
    q: Annotated[str, Query(min_length=1, max_length=64)],
) -> LookupOut:
    """IMEI (15 digits, Luhn-checked, either slot), MEID (14 hex digits, 15 with the check
    digit, or the 18/19-digit decimal form), serial, or a partial serial (≥ 3
    characters; prefix first, then anywhere). One unit: its whole card with the timeline;
    several: their cards without it. A partner's credentials see that partner's units only."""
    with ctx.db.read() as session:
        found = support.lookup(session, actor, q)
        one = len(found.units) == 1
        cards = [support.unit_card(session, unit, timeline=one) for unit in found.units]
    return LookupOut(query=q, matched_by=found.matched_by, units=cards)
