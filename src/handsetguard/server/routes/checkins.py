"""/v1/checkins — attested check-ins (services/checkins.py)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from handsetguard.server.deps import Ctx, CurrentActor
from handsetguard.server.errors import RefusedError
from handsetguard.server.schemas.fleet import ChallengeIn, ChallengeOut, CheckInIn, CheckInOut
from handsetguard.server.services import checkins

router = APIRouter(prefix="/v1/checkins", tags=["fleet"])

AUDITED = frozenset({"challenge_unknown", "challenge_replayed", "challenge_expired"})


@router.post("/challenge", status_code=201)
def challenge(body: ChallengeIn, ctx: Ctx, actor: CurrentActor) -> ChallengeOut:
    """A single-use challenge for one unit's next check-in (expires with the nonce TTL)."""
    ttl = timedelta(seconds=ctx.settings.nonce_ttl_seconds)
    with ctx.db.write() as session:
        row = checkins.issue_challenge(session, actor, body.device_id, ctx.clock.now(), ttl)
        return ChallengeOut(challenge=row.value, expires_at=row.expires_at)


@router.post("", status_code=201)
def check_in(body: CheckInIn, ctx: Ctx, actor: CurrentActor) -> CheckInOut:
    """The unit's key-attestation chain answering its challenge. Stored also when the chain
    does not verify (``verified`` false, an ``attestation_failing`` alert)."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            done = checkins.record_checkin(session, actor, ctx.attestation, body, now)
            row = done.checkin
            return CheckInOut(
                checkin_id=row.id,
                device_id=row.device_id,
                verified=row.verified,
                attested=row.attested,
                alerts=list(done.alerts),
            )
    except RefusedError as exc:
        if exc.code in AUDITED:
            with ctx.db.write() as session:
                checkins.record_refused_challenge(session, actor, exc.code, body.device_id, now)
        raise
