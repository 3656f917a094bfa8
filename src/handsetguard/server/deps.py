"""FastAPI dependencies: the app context and the authenticated actor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from handsetguard.server.context import AppContext
from handsetguard.server.errors import AuthError, RateLimitedError
from handsetguard.server.services import credentials
from handsetguard.server.services.actors import Actor

__all__ = [
    "BEARER_SECURITY",
    "BearerToken",
    "Ctx",
    "CurrentActor",
    "Limit",
    "admit",
    "bearer",
    "bearer_of",
    "get_ctx",
    "token_of",
]

bearer = HTTPBearer(auto_error=False, description="hgk_… token from POST /v1/credentials")


async def get_ctx(request: Request) -> AppContext:  # async: no threadpool hop
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def current_actor(
    ctx: Ctx,
    auth: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    with ctx.db.read_conn() as conn:
        actor = credentials.authenticate(conn, auth.credentials if auth else None, ctx.clock.now())
    admit(ctx, actor)
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def bearer_token(
    auth: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The bearer token, for a handler that authenticates it itself (the activation hot path
    reads the credential in the same round trip as everything else)."""
    if auth is None or not auth.credentials:
        raise AuthError("missing_credential", "send Authorization: Bearer <token>")
    return auth.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def token_of(request: Request) -> str:
    """What ``BearerToken`` gives, read from the request itself by the same rules (HTTPBearer's:
    scheme ``Bearer`` in any case, a non-empty token): for the fleet's hot paths (through
    :data:`BearerTokenFast`), where FastAPI resolving ``BearerToken``'s two dependencies cost
    ~7% of a request's CPU. Such a route says ``openapi_extra=BEARER_SECURITY`` so that the
    published spec is unchanged."""
    token = bearer_of(request.headers.get("Authorization"))
    if token is None:
        raise AuthError("missing_credential", "send Authorization: Bearer <token>")
    return token


def bearer_of(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header value by HTTPBearer's rules (scheme
    ``Bearer`` in any case, then a non-empty token), or None: for :func:`token_of` and for
    server/hot_paths.py, which reads the header off the ASGI scope."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    return credentials if scheme.lower() == "bearer" and credentials else None


async def _bearer_token(request: Request) -> str:
    # A coroutine, so that FastAPI runs it on the event loop, not in a worker thread.
    return token_of(request)


BearerTokenFast = Annotated[str, Depends(_bearer_token)]
"""The hot paths' token: :func:`token_of` as the route's one dependency. Dependencies are
resolved before the route's own parameters and body are validated, so a request without a
valid ``Authorization`` is a 401 whatever else is wrong with it, as with ``BearerToken``."""

BEARER_SECURITY: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
"""The OpenAPI ``security`` of a route that takes its token with :func:`token_of`."""


def admit(ctx: AppContext, actor: Actor) -> None:
    """The per-credential rate limit."""
    if ctx.limiter is not None and not ctx.limiter.allow(actor.credential_id):
        raise RateLimitedError("rate_limited", "too many requests for this credential")


async def _limit(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> tuple[int, str | None]:
    return limit, cursor


Limit = Annotated[tuple[int, str | None], Depends(_limit)]
