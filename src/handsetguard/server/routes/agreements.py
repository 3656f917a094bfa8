"""/v1/agreements"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from handsetguard.server.deps import Ctx, CurrentActor, Limit
from handsetguard.server.models import Agreement
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.licensing import (
    AgreementIn,
    AgreementOut,
    AgreementStatusIn,
    AgreementTerms,
    AgreementVersionOut,
    AmendmentIn,
)
from handsetguard.server.services import agreements

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


def _out(a: Agreement) -> AgreementOut:
    return AgreementOut(
        id=a.id,
        partner_id=a.partner_id,
        version=a.version,
        status=a.status,
        used=a.used,
        unit_limit=a.unit_limit,
        terms=agreements.terms_of(a),
        created_at=a.created_at,
        updated_at=a.updated_at,
    )


@router.post("", status_code=201)
def create_agreement(body: AgreementIn, ctx: Ctx, actor: CurrentActor) -> AgreementOut:
    terms = AgreementTerms.model_validate(body.model_dump(exclude={"partner_id"}))
    with ctx.db.write() as session:
        agreement = agreements.create_agreement(
            session, actor, body.partner_id, terms, ctx.clock.now()
        )
        return _out(agreement)


@router.get("")
def list_agreements(
    ctx: Ctx,
    actor: CurrentActor,
    limit: Limit,
    partner_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Page[AgreementOut]:
    with ctx.db.read() as session:
        rows = agreements.list_agreements(session, actor, limit[1], limit[0], partner_id)
        items = [_out(a) for a in rows[: limit[0]]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit[0] else None)


@router.get("/{agreement_id}")
def get_agreement(agreement_id: str, ctx: Ctx, actor: CurrentActor) -> AgreementOut:
    with ctx.db.read() as session:
        return _out(agreements.get_agreement(session, actor, agreement_id))


@router.post("/{agreement_id}/amendments")
def amend_agreement(
    agreement_id: str, body: AmendmentIn, ctx: Ctx, actor: CurrentActor
) -> AgreementOut:
    with ctx.db.write() as session:
        agreement = agreements.amend(
            session, actor, agreement_id, body.terms, body.note, ctx.clock.now()
        )
        return _out(agreement)


@router.get("/{agreement_id}/versions")
def list_versions(agreement_id: str, ctx: Ctx, actor: CurrentActor) -> list[AgreementVersionOut]:
    with ctx.db.read() as session:
        return [
            AgreementVersionOut(
                version=v.version,
                terms=v.terms,
                note=v.note,
                created_at=v.created_at,
                created_by=v.created_by,
            )
            for v in agreements.list_versions(session, actor, agreement_id)
        ]


@router.post("/{agreement_id}/status")
def set_status(
    agreement_id: str, body: AgreementStatusIn, ctx: Ctx, actor: CurrentActor
) -> AgreementOut:
    with ctx.db.write() as session:
        agreement = agreements.set_status(
            session, actor, agreement_id, body.status, body.reason, ctx.clock.now()
        )
        return _out(agreement)
