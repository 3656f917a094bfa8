"""/v1/credentials"""

from __future__ import annotations

from fastapi import APIRouter

from handsetguard.server.deps import Ctx, CurrentActor, Limit
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.licensing import CredentialIn, CredentialIssued, CredentialOut
from handsetguard.server.services import credentials
from handsetguard.server.services.actors import Role

router = APIRouter(prefix="/v1/credentials", tags=["credentials"])


@router.post("", status_code=201)
def issue_credential(body: CredentialIn, ctx: Ctx, actor: CurrentActor) -> CredentialIssued:
    spec = credentials.CredentialSpec(
        name=body.name,
        role=Role(body.role),
        partner_id=body.partner_id,
        agreement_id=body.agreement_id,
        model_code=body.model_code,
        factory_line=body.factory_line,
        expires_at=body.expires_at,
    )
    with ctx.db.write() as session:
        row, token = credentials.issue(session, actor, spec, ctx.clock.now())
        return CredentialIssued(**credentials.describe(row), token=token.token)


@router.get("")
def list_credentials(ctx: Ctx, actor: CurrentActor, limit: Limit) -> Page[CredentialOut]:
    with ctx.db.read() as session:
        rows = credentials.list_credentials(session, actor, limit[1], limit[0])
        items = [CredentialOut(**credentials.describe(c)) for c in rows[: limit[0]]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit[0] else None)


@router.post("/{credential_id}/revoke")
def revoke_credential(credential_id: str, ctx: Ctx, actor: CurrentActor) -> CredentialOut:
    with ctx.db.write() as session:
        row = credentials.revoke(session, actor, credential_id, ctx.clock.now())
        return CredentialOut(**credentials.describe(row))
