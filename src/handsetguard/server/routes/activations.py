"""/v1/activations"""

from __future__ import annotations

import json
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


@router.post("", status_code=201, response_model=ActivationOut, responses=REFUSALS)
def activate(body: ActivationIn, ctx: Ctx, token: BearerToken) -> Response:
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
    a = outcome.activation
    # Built here rather than validated and serialised by FastAPI: this is the hot path, and
    # every field is already of its declared type (ActivationOut documents the shape).
    body_out = {
        "activation_id": a.id,
        "device_id": a.device_id,
        "kid": a.kid,
        "activation": a.token,
        "replayed": outcome.replayed,
        "overage": a.overage,
    }
    return Response(
        json.dumps(body_out, separators=(",", ":")),
        status_code=200 if outcome.replayed else 201,
        media_type="application/json",
    )
