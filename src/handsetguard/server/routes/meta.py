"""Public endpoints: health, Prometheus metrics, published keys and revocation list."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from handsetguard.server.deps import Ctx, admit, bearer
from handsetguard.server.services import credentials, keys, revocations
from handsetguard.server.services.actors import Role, require

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    database: str


class KeyOut(BaseModel):
    kid: str
    alg: str = "Ed25519"
    public_key: str
    status: str
    created_at: datetime
    retired_at: datetime | None


class KeysOut(BaseModel):
    keys: list[KeyOut]


class RevocationsOut(BaseModel):
    revocations: str
    """Signed hg1 envelope of type handsetguard.revocations.v1."""


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(ctx: Ctx) -> Response:
    try:
        with ctx.db.read() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def _allowed_without_credential(request: Request, networks: list[str]) -> bool:
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


@router.get("/metrics", response_class=Response)
def metrics(
    ctx: Ctx,
    request: Request,
    auth: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:
    """Prometheus metrics: for a licensor-admin or auditor credential, or without one from
    an address in ``HANDSETGUARD_METRICS_ALLOW_FROM`` (the scraper's)."""
    if not _allowed_without_credential(request, ctx.settings.metrics_allow_from):
        with ctx.db.read_conn() as conn:
            actor = credentials.authenticate(
                conn, auth.credentials if auth else None, ctx.clock.now()
            )
        admit(ctx, actor)
        require(actor, Role.LICENSOR_ADMIN, Role.AUDITOR)
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/keys")
def published_keys(ctx: Ctx) -> KeysOut:
    """Verification keys: active and rotated-out (``verify_only``); retired keys are gone."""
    with ctx.db.read() as session:
        found = keys.public_keys(session)
    return KeysOut(
        keys=[
            KeyOut(
                kid=k.kid,
                public_key=k.public_key,
                status=k.status,
                created_at=k.created_at,
                retired_at=k.retired_at,
            )
            for k in found
        ]
    )


@router.get("/v1/revocations")
def revocation_list(ctx: Ctx) -> RevocationsOut:
    with ctx.db.read() as session:
        return RevocationsOut(
            revocations=revocations.signed_revocation_list(session, ctx.clock.now(), ctx.vault)
        )
