"""/v1/checkins — attested check-ins (services/checkins.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from handsetguard.server.deps import BEARER_SECURITY, BearerTokenFast, Ctx, CurrentActor, admit
from handsetguard.server.errors import RefusedError
from handsetguard.server.schemas.fleet import ChallengeIn, ChallengeOut, CheckInIn, CheckInOut
from handsetguard.server.services import checkins, credentials

router = APIRouter(prefix="/v1/checkins", tags=["fleet"])

AUDITED = frozenset({"challenge_unknown", "challenge_replayed", "challenge_expired"})


@router.post("/challenge", status_code=201)
def challenge(body: ChallengeIn, ctx: Ctx, actor: CurrentActor) -> ChallengeOut:
    """A single-use challenge for one unit's next check-in (expires with the nonce TTL)."""
    ttl = timedelta(seconds=ctx.settings.nonce_ttl_seconds)
    with ctx.db.write() as session:
        row = checkins.issue_challenge(session, actor, body.device_id, ctx.clock.now(), ttl)
        return ChallengeOut(challenge=row.value, expires_at=row.expires_at)


@router.post("", status_code=201, response_model=CheckInOut, openapi_extra=BEARER_SECURITY)
async def check_in(body: CheckInIn, request: Request, token: BearerTokenFast) -> Response:
    """The unit's key-attestation chain answering its challenge. Stored also when the chain
    does not verify (``verified`` false, an ``attestation_failing`` alert)."""
    answer = await receive_checkin(request.app.state.ctx, token, body)
    return Response(answer, status_code=201, media_type="application/json")


async def receive_checkin(ctx: Any, token: str, body: CheckInIn) -> bytes:
    """What ``POST /v1/checkins`` does once its body is validated, for the route and for
    :mod:`handsetguard.server.hot_paths`: the 201 answer's body, or the service's error."""
    now = ctx.clock.now()
    try:
        if ctx.on_loop():  # services/fleet_async.py
            done = await checkins.record_checkin_async(
                ctx.loop_checkins, ctx.attestation, token, body, now, admit=partial(admit, ctx)
            )
        else:
            done = await run_in_threadpool(
                partial(checkins.record_checkin, admit=partial(admit, ctx)),
                ctx.checkin_store,
                ctx.attestation,
                token,
                body,
                now,
            )
    except RefusedError as exc:
        if exc.code in AUDITED:
            await run_in_threadpool(_audit_refusal, ctx, token, exc.code, body.device_id, now)
        raise
    # Built here rather than validated and serialised by FastAPI (the hot path); CheckInOut
    # documents the shape.
    answer = {
        "checkin_id": done.checkin_id,
        "device_id": done.device_id,
        "verified": done.verified,
        "attested": done.attested,
        "alerts": list(done.alerts),
    }
    return json.dumps(answer, separators=(",", ":")).encode()


def _audit_refusal(ctx: Any, token: str, code: str, device_id: str, now: datetime) -> None:
    with ctx.db.read_conn() as conn:
        actor = credentials.authenticate(conn, token, now)
    with ctx.db.write() as session:
        checkins.record_refused_challenge(session, actor, code, device_id, now)
