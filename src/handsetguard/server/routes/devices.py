"""/v1/devices"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from handsetguard.server.deps import Ctx, CurrentActor, Limit
from handsetguard.server.schemas.common import Page
from handsetguard.server.schemas.devices import DeviceNoteIn, DeviceOut, DeviceRevokeIn
from handsetguard.server.services import devices

router = APIRouter(prefix="/v1/devices", tags=["devices"])


class NoteOut(BaseModel):
    id: int
    text: str
    created_at: datetime
    created_by: str


@router.get("")
def list_devices(
    ctx: Ctx,
    actor: CurrentActor,
    limit: Limit,
    serial: Annotated[str | None, Query(max_length=64)] = None,
    imei: Annotated[str | None, Query(max_length=32)] = None,
) -> Page[DeviceOut]:
    with ctx.db.read() as session:
        rows = devices.list_devices(session, actor, limit[1], limit[0], serial=serial, imei=imei)
        items = [DeviceOut.model_validate(d) for d in rows[: limit[0]]]
    return Page(items=items, next_cursor=items[-1].id if len(rows) > limit[0] else None)


@router.get("/{device_id}")
def get_device(device_id: str, ctx: Ctx, actor: CurrentActor) -> DeviceOut:
    with ctx.db.read() as session:
        return DeviceOut.model_validate(devices.get_device(session, actor, device_id))


@router.post("/{device_id}/notes", status_code=201)
def add_note(device_id: str, body: DeviceNoteIn, ctx: Ctx, actor: CurrentActor) -> NoteOut:
    with ctx.db.write() as session:
        note = devices.add_note(session, actor, device_id, body.text, ctx.clock.now())
        session.flush()
        return NoteOut(
            id=note.id, text=note.text, created_at=note.created_at, created_by=note.created_by
        )


@router.get("/{device_id}/notes")
def list_notes(device_id: str, ctx: Ctx, actor: CurrentActor) -> list[NoteOut]:
    with ctx.db.read() as session:
        return [
            NoteOut(id=n.id, text=n.text, created_at=n.created_at, created_by=n.created_by)
            for n in devices.list_notes(session, actor, device_id)
        ]


@router.post("/{device_id}/revoke")
def revoke_device(device_id: str, body: DeviceRevokeIn, ctx: Ctx, actor: CurrentActor) -> DeviceOut:
    with ctx.db.write() as session:
        device = devices.revoke_device(
            session, actor, device_id, body.reason, ctx.clock.now(), body.reason_code
        )
        return DeviceOut.model_validate(device)
