"""/v1/audit and /v1/keys (signing-key rotation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from handsetguard.server.deps import Ctx, CurrentActor
from handsetguard.server.services import audit, checkpoints, keys
from handsetguard.server.services.actors import Role, require

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    seq: int
    at: str
    actor_id: str
    actor_role: str
    action: str
    target_type: str
    target_id: str
    partner_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_cursor: int | None


class ChainOut(BaseModel):
    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None


class RotatedOut(BaseModel):
    kid: str


@router.get("/v1/audit")
def list_audit(
    ctx: Ctx,
    actor: CurrentActor,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    require(actor, Role.LICENSOR_ADMIN, Role.AUDITOR)
    with ctx.db.read() as session:
        rows = audit.list_entries(session, after_seq=after, limit=limit + 1)
        items = [AuditOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return AuditPage(items=items, next_cursor=items[-1].seq if len(rows) > limit else None)


@router.get("/v1/audit/verify")
def verify_audit(ctx: Ctx, actor: CurrentActor) -> ChainOut:
    require(actor, Role.LICENSOR_ADMIN, Role.AUDITOR)
    with ctx.db.read() as session:
        report = audit.verify_chain(session)
    return ChainOut(
        ok=report.ok,
        entries=report.entries,
        head_hash=report.head_hash,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
    )


class CheckpointOut(BaseModel):
    checkpoint: str
    """Signed hg1 envelope of type handsetguard.audit-checkpoint.v1 (tree_size, head_hash,
    issued_at, key): keep it outside the database; ``server audit verify --checkpoint``."""


@router.get("/v1/audit/checkpoint")
def audit_checkpoint(ctx: Ctx, actor: CurrentActor) -> CheckpointOut:
    require(actor, Role.LICENSOR_ADMIN, Role.AUDITOR)
    return CheckpointOut(
        checkpoint=checkpoints.issue_checkpoint(ctx.db, ctx.vault, ctx.clock.now())
    )


@router.post("/v1/keys/rotate", status_code=201)
def rotate_key(ctx: Ctx, actor: CurrentActor) -> RotatedOut:
    with ctx.db.write() as session:
        return RotatedOut(kid=keys.create_key(session, actor, ctx.clock.now(), ctx.vault))


@router.post("/v1/keys/{kid}/retire")
def retire_key(kid: str, ctx: Ctx, actor: CurrentActor) -> RotatedOut:
    with ctx.db.write() as session:
        keys.retire_key(session, actor, kid, ctx.clock.now())
    return RotatedOut(kid=kid)
