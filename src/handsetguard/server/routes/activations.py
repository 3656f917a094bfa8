"""/v1/activations"""

from __future__ import annotations

import json
from functools import partial

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from handsetguard.server.deps import BearerToken, Ctx, CurrentActor, admit
from handsetguard.server.errors import ServiceError
from handsetguard.server.routes.registrations import Profiles
from handsetguard.server.schemas.common import ErrorOut
from handsetguard.server.schemas.devices import ActivationIn, ActivationOut, NonceOut
from handsetguard.server.services import activation, nonces
from handsetguard.server.services.registration_gate import is_registered

router = APIRouter(prefix="/v1/activations", tags=["activations"])

REFUSALS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (401, 403, 409, 422, 429)
}


@router.post("/nonce", status_code=201, responses=REFUSALS)
def issue_nonce(ctx: Ctx, actor: CurrentActor) -> NonceOut:
    with ctx.db.write() as session:
        nonce = nonces.issue_nonce(
            session,
            actor,
            ctx.clock.now(),
            ctx.settings.nonce_ttl_seconds,
            ctx.settings.max_open_nonces,
        )
        return NonceOut(nonce=nonce.value, expires_at=nonce.expires_at)


@router.post("", status_code=201, response_model=ActivationOut, responses=REFUSALS)
async def activate(
    body: ActivationIn, ctx: Ctx, token: BearerToken, profiles: Profiles
) -> Response:
    """Activate one unit. Retrying the same unit returns the same signed activation (200)."""
    now, limit = ctx.clock.now(), partial(admit, ctx)
    try:
        # On PostgreSQL the two round trips are awaited on the event loop (no worker thread);
        # on SQLite, and for attestation chains (whose verification is CPU work), a thread.
        if (
            ctx.async_store is not None
            and ctx.async_store.pool.serves_this_loop()
            and body.attestation_chain is None
        ):
            outcome = await activation.activate_async(
                ctx.async_store, token, body, now, attestation=ctx.attestation, admit=limit
            )
        else:
            outcome = await run_in_threadpool(
                partial(activation.activate, attestation=ctx.attestation, admit=limit),
                ctx.store,
                token,
                body,
                now,
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
        **(await _registration(ctx, profiles, body.territory, a.device_id, outcome.replayed)),
    }
    return Response(
        json.dumps(body_out, separators=(",", ":")),
        status_code=200 if outcome.replayed else 201,
        media_type="application/json",
    )


async def _registration(
    ctx: Ctx, profiles: Profiles, territory: str, device_id: str, replayed: bool
) -> dict[str, object]:
    """Whether the territory's register must still register the unit: always for a new unit
    where there is a register; for a replay, unless it is registered by now (one read)."""
    profile = profiles.get(territory)
    if profile is None:
        return {"registration_required": False, "registration_register": None}
    required = True
    if replayed:

        def registered() -> bool:
            with ctx.db.read_conn() as conn:
                return is_registered(conn, device_id)

        required = not await run_in_threadpool(registered)
    return {"registration_required": required, "registration_register": profile.register}
