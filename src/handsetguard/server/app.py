"""The app factory: settings, engine, clock and metrics are built here, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from handsetguard.server import ui
from handsetguard.server.clock import Clock, SystemClock
from handsetguard.server.config import Settings
from handsetguard.server.context import AppContext
from handsetguard.server.db import Database
from handsetguard.server.errors import RateLimitedError, ServiceError, UnavailableError
from handsetguard.server.hot_paths import HotPaths
from handsetguard.server.middleware import BodyLimit, RequestMetrics
from handsetguard.server.routes import (
    activations,
    agreements,
    audit,
    checkins,
    credentials,
    devices,
    fleet,
    meta,
    partners,
    registrations,
    royalties,
    support,
)
from handsetguard.server.services import fleet_worker
from handsetguard.server.services.attestation import AttestChainCheck, ChainCheck
from handsetguard.server.services.fleet_worker import FleetSettings
from handsetguard.server.services.keys import KeyVault
from handsetguard.server.services.ratelimit import SharedRateLimiter
from handsetguard.server.services.reports import MAX_REPORT_BYTES
from handsetguard.server.surface import SecureSurface

__all__ = ["API_VERSION", "create_app", "create_app_from_env"]

API_VERSION = "1.0.0"
log = logging.getLogger(__name__)


def _error(
    status: int, code: str, message: str, details: Any = None, **headers: str
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: the offending input is not echoed back (or logged).
    return [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        retry = isinstance(exc, RateLimitedError | UnavailableError)
        headers = {"Retry-After": "1"} if retry else {}
        return _error(exc.status, exc.code, exc.message, exc.details, **headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return _error(400, "malformed_json", "the body is not valid JSON", {"errors": details})
        return _error(
            422, "invalid_request", "the request does not match the schema", {"errors": details}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "missing_credential"}
        return _error(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return _error(409, "conflict", "the change conflicts with existing data; nothing saved")

    @app.exception_handler(DataError)
    async def bad_value(_request: Request, _exc: DataError) -> JSONResponse:
        # e.g. a NUL byte PostgreSQL cannot store in text: the value, not the server, is wrong.
        return _error(422, "invalid_value", "a value cannot be stored (control characters?)")

    @app.exception_handler(OperationalError)
    async def unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", type(exc.orig).__name__)
        return _error(
            503,
            "database_unavailable",
            "the database is unavailable; retry",
            **{"Retry-After": "1"},
        )


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    attestation: ChainCheck | None = None,
) -> FastAPI:
    """Build the app. ``clock`` and ``attestation`` (the chain check) are injected; by default
    the system clock and the project's verifier with Google's roots."""
    settings = settings if settings is not None else Settings()
    if attestation is None:
        attestation = AttestChainCheck(status_list_path=settings.attestation_status_list)
    db = Database(settings)
    ctx = AppContext(
        settings=settings,
        db=db,
        clock=clock if clock is not None else SystemClock(),
        attestation=attestation,
        limiter=SharedRateLimiter(db, settings.rate_limit_per_second, settings.rate_limit_burst),
        vault=KeyVault.from_file(settings.key_encryption_key_file),
    )

    fleet_settings = FleetSettings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Fewer worker threads than anyio's 40: the work is CPU under one GIL, and a crowd of
        # threads only adds switching; the database pool is sized to match.
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if ctx.async_pg is not None:
            await ctx.async_pg.open()
        async with fleet_worker.running(ctx.db, ctx.clock.now, fleet_settings, ctx.vault):
            yield
        if ctx.async_pg is not None:
            await ctx.async_pg.close()
        ctx.db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from handsetguard.server.ui, assets offline
        redoc_url=None,
        title="HandsetGuard licensing and factory activation service",
        version=API_VERSION,
        description="Partners, agreements, race-free device quotas, signed activations, "
        "royalty statements, hash-chained audit log. Errors: "
        '{"error": {"code", "message", "details"}}.',
        # FastAPI's own OpenTelemetry only when asked for: when on, every request first asks
        # OpenTelemetry whether a provider is configured (~1% of a report's ingestion).
        telemetry=None if settings.opentelemetry else _NO_TELEMETRY,
    )
    app.state.ctx = ctx
    # The fleet's hot paths (POST /v1/reports, /v1/checkins) first: a request is matched
    # against the routers in order, and matching through a dozen routers cost ~10% of an
    # ingestion's CPU. No path of these two routers matches another router's.
    app.include_router(fleet.router)
    app.include_router(checkins.router)
    for module in (meta, partners, agreements, credentials, activations, devices, royalties, audit):
        app.include_router(module.router)
    app.include_router(registrations.router)
    app.include_router(registrations.units_router)
    app.include_router(support.router)
    ui.install(app)
    _install_handlers(app)
    app.add_middleware(HotPaths)  # innermost: the middlewares below see its requests too
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        larger={"/v1/reports": MAX_REPORT_BYTES, **registrations.UPLOADS},
    )
    app.add_middleware(SecureSurface)  # headers on every answer, the 413s above included
    app.add_middleware(RequestMetrics, metrics=ctx.metrics)

    return app


_NO_TELEMETRY: Any = {"tracing": False, "metrics": False, "logs": False}


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory handsetguard.server.app:create_app_from_env``."""
    return create_app(Settings())
