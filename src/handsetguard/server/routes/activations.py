"""/v1/activations"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Response

from handsetguard.server.deps import BearerToken, Ctx, CurrentActor, admit
from handsetguard.server.errors import ServiceError
from handsetguard.server.schemas.common import ErrorOut
from handsetguard.server.schemas.devices import ActivationIn, ActivationOut, NonceOut
from handsetguard.server.services import activation

router = APIRouter(prefix="/v1/activations", tags=["activations"])

REFUSALS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 422, 429)
}


@router.post("/nonce", status_code=201, responses=REFUSALS)
def issue_nonce(ctx: Ctx, actor: CurrentActor) -> NonceOut:
    with ctx.db.write() as session:
        nonce = activation.issue_nonce(
            session, actor, ctx.clock.now(), ctx.settings.nonce_ttl_seconds
        )
        return NonceOut(nonce=nonce.value, expires_at=nonce.expires_at)


@router.post("", status_code=201, responses=REFUSALS)
def activate(body: ActivationIn, ctx: Ctx, token: BearerToken, response: Response) -> ActivationOut:
    """Activate one unit. Retrying the same unit returns the same signed activation (200)."""
    try:
        outcome = activation.activate(
            ctx.store,
            token,
            body,
            ctx.clock.now(),
            attestation=ctx.attestation,
            admit=partial(admit, ctx),
        )
    except ServiceError as exc:
        ctx.metrics.activations.labels(exc.code).inc()
        raise
    ctx.metrics.activations.labels("replayed" if outcome.replayed else "created").inc()
    if outcome.replayed:
        response.status_code = 200
    a = outcome.activation
    return ActivationOut(
        activation_id=a.id,
        device_id=a.device_id,
        kid=a.kid,
        activation=a.token,
        replayed=outcome.replayed,
        overage=a.overage,
    )
