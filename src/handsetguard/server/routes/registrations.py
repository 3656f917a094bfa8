"""/v1/registrations (territory register batches, receipts, status, blocklist) and the
ship gate's /v1/units."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from handsetguard.registers import RegisterError, RegisterProfile, load_profiles
from handsetguard.registers.tabular import MAX_FILE_BYTES
from handsetguard.server.deps import Ctx, CurrentActor, Limit
from handsetguard.server.errors import ServiceError
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.registrations import (
    BatchIn,
    BatchOut,
    BlocklistOut,
    LicenceIn,
    LicenceOut,
    ReceiptOut,
    ShipStatusOut,
)
from handsetguard.server.services import receipts, registrations
from handsetguard.server.services import registration_gate as gate

router = APIRouter(prefix="/v1/registrations", tags=["registrations"])
UPLOADS = {
    "/v1/registrations/batches/{}/receipt": MAX_FILE_BYTES,
    "/v1/registrations/blocklist": MAX_FILE_BYTES,
}
"""The register files' body limit (the app's BodyLimit): the size the files are read to
anyway, 32 MiB — a 100,000-unit receipt is about 4.5 MB of CSV — where other bodies get
``max_body_bytes`` (64 KiB)."""
units_router = APIRouter(prefix="/v1/units", tags=["registrations"])

Territory = Annotated[str, Query(min_length=2, max_length=2, pattern="^[A-Z]{2}$")]
FileName = Annotated[str, Query(min_length=1, max_length=200)]


async def get_profiles(request: Request) -> dict[str, RegisterProfile]:
    """The register profiles (bundled, or HANDSETGUARD_REGISTER_PROFILES), read once per app
    (async: no worker-thread hop, the activation hot path depends on it)."""
    profiles: dict[str, RegisterProfile] | None = getattr(
        request.app.state, "register_profiles", None
    )
    if profiles is None:
        try:
            profiles = load_profiles()
        except RegisterError as exc:
            raise ServiceError("register_profiles_invalid", exc.message) from exc
        request.app.state.register_profiles = profiles
    return profiles


Profiles = Annotated[dict[str, RegisterProfile], Depends(get_profiles)]


@router.get("/registers")
def list_registers(profiles: Profiles, _actor: CurrentActor) -> list[dict[str, Any]]:
    """Each territory's register profile: authority, due, identifiers, layouts."""
    return [profiles[t].to_dict() for t in sorted(profiles)]


@router.put("/licences/{agreement_id}/{territory}")
def set_licence(
    agreement_id: str, territory: str, body: LicenceIn, ctx: Ctx, actor: CurrentActor
) -> LicenceOut:
    with ctx.db.write() as session:
        row = registrations.set_licence(
            session,
            actor,
            agreement_id,
            territory,
            body.licence_number,
            body.brand,
            ctx.clock.now(),
        )
        return LicenceOut.model_validate(row)


@router.post("/batches", status_code=201)
def create_batch(body: BatchIn, ctx: Ctx, actor: CurrentActor, profiles: Profiles) -> BatchOut:
    filt = registrations.BatchFilter(body.model_code, body.since, body.until, body.include_rejected)
    with ctx.db.write() as session:
        batch = registrations.create_batch(
            session, actor, profiles, body.agreement_id, body.territory, filt, ctx.clock.now()
        )
        return BatchOut.model_validate(batch)


@router.get("/batches/{batch_id}")
def get_batch(batch_id: str, ctx: Ctx, actor: CurrentActor) -> BatchOut:
    with ctx.db.read() as session:
        return BatchOut.model_validate(registrations.get_batch(session, actor, batch_id))


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/batches/{batch_id}/file", response_class=Response)
def batch_file(
    batch_id: str,
    ctx: Ctx,
    actor: CurrentActor,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",  # noqa: A002 (the query name)
) -> Response:
    """The batch file in its register's layout; the same bytes on every download (each
    download audited: ``registry.export``)."""
    with ctx.db.read() as session:
        data, name = registrations.batch_file(session, actor, batch_id, format)
    with ctx.db.write() as session:
        registrations.record_export(session, actor, batch_id, format, data, ctx.clock.now())
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type=MEDIA[format], headers=headers)


@router.post("/batches/{batch_id}/receipt")
async def import_receipt(
    batch_id: str,
    request: Request,
    ctx: Ctx,
    actor: CurrentActor,
    filename: FileName = "receipt",
    partial: bool = False,
) -> ReceiptOut:
    """The portal's result file as the raw body (CSV or XLSX, at most 32 MiB, as
    ``handsetguard registry import`` reads). Any problem refuses the whole file unless
    ``partial``."""
    data = await request.body()
    from starlette.concurrency import run_in_threadpool

    def apply() -> receipts.ReceiptOutcome:
        with ctx.db.write() as session:
            return receipts.import_receipt(
                session, actor, batch_id, data, filename, ctx.clock.now(), partial=partial
            )

    outcome = await run_in_threadpool(apply)
    return ReceiptOut(**{k: getattr(outcome, k) for k in ReceiptOut.model_fields})


def _with_hits(ctx: Ctx, statuses: list[gate.ShipStatus]) -> list[ShipStatusOut]:
    imeis = [i for s in statuses for i in (s.imei1, s.imei2) if i]
    with ctx.db.read_conn() as conn:
        hits = {h["imei"] for h in gate.blocklist_hits(conn, imeis)}
    return [
        ShipStatusOut(**s.to_dict(), blocklisted=[i for i in (s.imei1, s.imei2) if i and i in hits])
        for s in statuses
    ]


@router.get("/status/{ident}")
def status(ident: str, ctx: Ctx, actor: CurrentActor, profiles: Profiles) -> list[ShipStatusOut]:
    """A unit's registration state and ship verdict, by serial or IMEI."""
    with ctx.db.read_conn() as conn:
        found = gate.ship_status(conn, actor, profiles, ident[:64])
    return _with_hits(ctx, found)


@router.get("/summary/{agreement_id}")
def summary(
    agreement_id: str,
    ctx: Ctx,
    actor: CurrentActor,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> list[dict[str, Any]]:
    """Per territory and model: activated, registered, rejected, in batch, unregistered."""
    with ctx.db.read() as session:
        registrations.get_agreement_visible(session, actor, agreement_id)
        return gate.registration_counts(session, agreement_id, since, until)


@router.post("/blocklist")
async def import_blocklist(
    request: Request,
    ctx: Ctx,
    actor: CurrentActor,
    source: Annotated[str, Query(min_length=1, max_length=200)],
    filename: FileName = "blocklist",
    territory: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None,
    partial: bool = False,
) -> BlocklistOut:
    """IMEIs reported lost or stolen (raw body: one a line, or CSV/XLSX with an IMEI column)."""
    data = await request.body()
    from starlette.concurrency import run_in_threadpool

    def apply() -> tuple[int, int, list[str]]:
        with ctx.db.write() as session:
            return gate.import_blocklist(
                session, actor, data, filename, source, territory, ctx.clock.now(), partial=partial
            )

    added, listed, problems = await run_in_threadpool(apply)
    return BlocklistOut(added=added, already_listed=listed, problems=problems)


@units_router.get("")
def list_units(
    ctx: Ctx,
    actor: CurrentActor,
    profiles: Profiles,
    limit: Limit,
    territory: Territory,
    shippable: bool | None = None,
) -> Page[ShipStatusOut]:
    """The ship gate: units activated in ``territory``; ``shippable=true`` only those that
    may ship (activated and, where the territory has a register, registered)."""
    with ctx.db.read() as session:
        rows = gate.list_units(session, actor, profiles, territory, shippable, limit[1], limit[0])
    items = [ShipStatusOut(**s.to_dict()) for s in rows[: limit[0]]]
    return Page(items=items, next_cursor=items[-1].device_id if len(rows) > limit[0] else None)
