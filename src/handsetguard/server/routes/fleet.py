"""/v1/reports, /v1/units/{id}/history, /v1/alerts, /v1/webhooks, /v1/fleet — fleet posture
after activation (services/report_ingest.py, alerts.py, webhooks.py, overview.py, golden.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from handsetguard.server.deps import BEARER_SECURITY, BearerTokenFast, Ctx, CurrentActor, admit
from handsetguard.server.errors import ConflictError, NotFoundError, RefusedError
from handsetguard.server.models import Agreement, FleetPolicy
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.fleet import (
    AcknowledgeIn,
    AlertOut,
    FleetPolicyIn,
    FleetPolicyOut,
    ReportOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
)
from handsetguard.server.services import (
    alerts,
    credentials,
    devices,
    golden,
    history,
    overview,
    report_ingest,
    reports,
    webhooks,
)
from handsetguard.server.services.actors import Role, require
from handsetguard.server.services.audit import append
from handsetguard.server.services.common import visible
from handsetguard.server.services.fleet_state import DEFAULT_STALE_HOURS

router = APIRouter(tags=["fleet"])

DEVICE_ID_MAX = 36
"""A device id's length in a query (a UUID), here and in server/hot_paths.py."""
REFUSALS_AUDITED = frozenset({"device_not_found", "report_identity_mismatch", "device_revoked"})
_REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": "a handsetguard.report/1 document (check --format json)",
    }
}


def _audit_refusal(ctx: Any, token: str, code: str, device_id: str | None, now: datetime) -> None:
    """A refusal worth an audit entry (REFUSALS_AUDITED), in its own transaction."""
    with ctx.db.read_conn() as conn:
        actor = credentials.authenticate(conn, token, now)
    with ctx.db.write() as session:
        reports.record_refusal(session, actor, code, device_id or "by-serial", now)


def _answer(done: report_ingest.Stored) -> bytes:
    # Built here rather than validated and serialised by FastAPI: this is the hot path, and
    # every field is already of its declared type (ReportOut documents the shape).
    body = {
        "report_id": done.report_id,
        "device_id": done.device_id,
        # As the service's other answers give a time (pydantic): UTC with a Z.
        "received_at": done.received_at.isoformat().replace("+00:00", "Z"),
        "baseline": done.baseline,
        "tier": reports.TIER,
        "level": done.level,
        "score": done.score,
        "alerts": list(done.alerts),
    }
    return orjson.dumps(body)


@router.post(
    "/v1/reports",
    status_code=201,
    response_model=ReportOut,
    openapi_extra={**_REPORT_BODY, **BEARER_SECURITY},
)
async def post_report(
    request: Request,
    token: BearerTokenFast,
    device_id: Annotated[str | None, Query(max_length=DEVICE_ID_MAX)] = None,
) -> Response:
    """Store a JSON report of an activated unit (factory or support credential). The unit is
    ``device_id`` or the report's ``device.serial``; the factory's first gate report is the
    baseline; later reports raise regression alerts against it. The body may be sent with
    ``Content-Encoding: gzip`` (as ``check --upload`` does): it is then stored as sent."""
    raw = await request.body()  # bounded by the body limit middleware
    encoding = request.headers.get("content-encoding")
    answer = await receive_report(request.app.state.ctx, token, raw, device_id, encoding)
    return Response(answer, status_code=201, media_type="application/json")


async def receive_report(
    ctx: Any, token: str, raw: bytes, device_id: str | None, encoding: str | None
) -> bytes:
    """What ``POST /v1/reports`` does once its request is read, for the route and for
    :mod:`handsetguard.server.hot_paths`: the 201 answer's body, or the service's error."""
    now = ctx.clock.now()
    options: dict[str, Any] = {
        "device_id": device_id,
        "admit": partial(admit, ctx),
        "encoding": encoding,
    }
    try:
        if ctx.on_loop():  # services/fleet_async.py
            done = await report_ingest.ingest_async(ctx.loop_reports, token, raw, now, **options)
        else:
            ingest = partial(report_ingest.ingest, **options)
            done = await run_in_threadpool(ingest, ctx.report_store, token, raw, now)
    except (NotFoundError, ConflictError, RefusedError) as exc:
        if exc.code in REFUSALS_AUDITED:
            await run_in_threadpool(_audit_refusal, ctx, token, exc.code, device_id, now)
        raise
    return _answer(done)


@router.get("/v1/units/{device_id}/history")
def unit_history(device_id: str, ctx: Ctx, actor: CurrentActor) -> list[dict[str, Any]]:
    """Baseline, reports and check-ins in order, each report with its diff to the one before."""
    with ctx.db.read() as session:
        unit = devices.get_device(session, actor, device_id)
        return history.timeline(session, unit.id)


@router.get("/v1/alerts")
def list_alerts(
    ctx: Ctx,
    actor: CurrentActor,
    status: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    device_id: Annotated[str | None, Query(max_length=DEVICE_ID_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AlertOut]:
    where = alerts.AlertFilter(status, kind, device_id, cursor, limit)
    with ctx.db.read() as session:
        rows = alerts.list_alerts(session, actor, where)
        items = [AlertOut.model_validate(a) for a in rows[:limit]]
    more = len(rows) > limit
    last = items[-1] if items else None
    next_cursor = f"{last.raised_at.isoformat()}|{last.id}" if more and last else None
    return Page(items=items, next_cursor=next_cursor)


@router.post("/v1/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: str, body: AcknowledgeIn, ctx: Ctx, actor: CurrentActor) -> AlertOut:
    with ctx.db.write() as session:
        alert = alerts.acknowledge(session, actor, alert_id, body.note, ctx.clock.now())
        return AlertOut.model_validate(alert)


@router.post("/v1/webhooks", status_code=201)
def create_webhook(body: WebhookIn, ctx: Ctx, actor: CurrentActor) -> WebhookCreatedOut:
    with ctx.db.write() as session:
        made = webhooks.create_webhook(
            session, actor, body.partner_id, body.url, ctx.clock.now(), vault=ctx.vault
        )
        session.flush()
        out = WebhookOut.model_validate(made.webhook)
        return WebhookCreatedOut(**out.model_dump(), secret=made.secret)


@router.get("/v1/webhooks")
def list_webhooks(ctx: Ctx, actor: CurrentActor) -> list[WebhookOut]:
    with ctx.db.read() as session:
        return [WebhookOut.model_validate(w) for w in webhooks.list_webhooks(session, actor)]


@router.get("/v1/webhooks/{webhook_id}/deliveries")
def list_deliveries(webhook_id: str, ctx: Ctx, actor: CurrentActor) -> list[WebhookDeliveryOut]:
    with ctx.db.read() as session:
        rows = webhooks.list_deliveries(session, actor, webhook_id)
        return [WebhookDeliveryOut.model_validate(d) for d in rows]


@router.put("/v1/agreements/{agreement_id}/fleet-policy")
def set_fleet_policy(
    agreement_id: str, body: FleetPolicyIn, ctx: Ctx, actor: CurrentActor
) -> FleetPolicyOut:
    """How long a unit of this agreement may stay silent before a ``stale`` alert (≥ 1 h)."""
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            raise NotFoundError("agreement_not_found", f"no agreement {agreement_id}")
        visible(actor, agreement.partner_id, "agreement", agreement_id)
        policy = session.get(FleetPolicy, agreement_id)
        before = policy.stale_after_hours if policy else DEFAULT_STALE_HOURS
        if policy is None:
            policy = FleetPolicy(agreement_id=agreement_id, updated_at=now, stale_after_hours=0)
            session.add(policy)
        policy.stale_after_hours, policy.updated_at = body.stale_after_hours, now
        append(
            session,
            actor,
            at=now,
            action="agreement.fleet_policy",
            target=("agreement", agreement_id),
            partner_id=agreement.partner_id,
            before={"stale_after_hours": before},
            after={"stale_after_hours": body.stale_after_hours},
        )
        return FleetPolicyOut(agreement_id=agreement_id, stale_after_hours=body.stale_after_hours)


class OverviewOut(BaseModel):
    as_of: datetime
    units: int
    by_level: dict[str, int]
    by_model: dict[str, int]
    by_territory: dict[str, int]
    patch_age: list[dict[str, Any]]
    open_alerts: dict[str, int]


@router.get("/v1/fleet/overview")
def fleet_overview(ctx: Ctx, actor: CurrentActor) -> OverviewOut:
    """Units by posture level, model, territory and patch-level age (from maintained counts)."""
    now = ctx.clock.now()
    with ctx.db.read() as session:
        found = overview.overview(session, actor, now.date())
    return OverviewOut(as_of=now, **asdict(found))


class GoldenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    partner_id: str
    model_code: str
    golden_units: int = Field(description="units whose factory gate baseline passed the gate")
    expected_checks: list[str] = Field(description="checks that pass on the golden units")
    checks: dict[str, int] = Field(description="per check: on how many golden units it passed")
    fingerprints: dict[str, int] = Field(description="the golden units' build fingerprints")
    os_patch_min: str | None
    os_patch_max: str | None
    refreshed_at: datetime


@router.get("/v1/fleet/golden")
def fleet_golden(
    ctx: Ctx,
    actor: CurrentActor,
    model_code: Annotated[str | None, Query(max_length=64)] = None,
) -> list[GoldenOut]:
    """Each model's golden baseline (services/golden.py): what its golden units share; a
    report deviating from it raises ``golden_deviation``."""
    with ctx.db.read() as session:
        rows = golden.golden_models(session, actor, model_code)
        return [GoldenOut.model_validate(r) for r in rows]
