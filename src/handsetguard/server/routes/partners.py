"""/v1/partners"""

from __future__ import annotations

from fastapi import APIRouter

from handsetguard.server.deps import Ctx, CurrentActor, Limit
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.licensing import PartnerIn, PartnerOut
from handsetguard.server.services import partners

router = APIRouter(prefix="/v1/partners", tags=["partners"])


@router.post("", status_code=201)
def create_partner(body: PartnerIn, ctx: Ctx, actor: CurrentActor) -> PartnerOut:
    with ctx.db.write() as session:
        partner = partners.create_partner(
            session, actor, body.legal_name, body.country, ctx.clock.now()
        )
        return PartnerOut.model_validate(partner)


@router.get("")
def list_partners(ctx: Ctx, actor: CurrentActor, limit: Limit) -> Page[PartnerOut]:
    with ctx.db.read() as session:
        rows = partners.list_partners(session, actor, limit[1], limit[0])
        items = [PartnerOut.model_validate(p) for p in rows[: limit[0]]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit[0] else None)


@router.get("/{partner_id}")
def get_partner(partner_id: str, ctx: Ctx, actor: CurrentActor) -> PartnerOut:
    with ctx.db.read() as session:
        return PartnerOut.model_validate(partners.get_partner(session, actor, partner_id))


@router.put("/{partner_id}")
def update_partner(partner_id: str, body: PartnerIn, ctx: Ctx, actor: CurrentActor) -> PartnerOut:
    with ctx.db.write() as session:
        partner = partners.update_partner(
            session, actor, partner_id, body.legal_name, body.country, ctx.clock.now()
        )
        return PartnerOut.model_validate(partner)
