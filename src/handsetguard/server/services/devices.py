"""Devices: look up, annotate, revoke — each scoped to the caller's partner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.errors import NotFoundError
from handsetguard.server.models import Device, DeviceImei, DeviceNote
from handsetguard.server.services import audit, revocations
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import page, scoped, visible

__all__ = ["add_note", "get_device", "list_devices", "list_notes", "revoke_device"]

READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN, Role.SUPPORT)


def get_device(session: Session, actor: Actor, device_id: str, *, lock: bool = False) -> Device:
    require(actor, *READERS)
    device = session.get(Device, device_id, with_for_update=lock)
    if device is None:
        raise NotFoundError("device_not_found", f"no device {device_id}")
    visible(actor, device.partner_id, "device", device_id)
    return device


def list_devices(
    session: Session,
    actor: Actor,
    cursor: str | None,
    limit: int,
    *,
    serial: str | None = None,
    imei: str | None = None,
) -> list[Device]:
    require(actor, *READERS)
    query = scoped(select(Device), actor, Device.partner_id)
    if serial is not None:
        query = query.where(Device.serial == serial)
    if imei is not None:
        query = query.where(
            Device.id.in_(select(DeviceImei.device_id).where(DeviceImei.imei == imei))
        )
    return list(session.execute(page(query, Device.id, cursor, limit)).scalars())


def add_note(
    session: Session, actor: Actor, device_id: str, text: str, now: datetime
) -> DeviceNote:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN, Role.SUPPORT)
    device = get_device(session, actor, device_id)
    note = DeviceNote(
        device_id=device.id, text=text, created_at=now, created_by=actor.credential_id
    )
    session.add(note)
    audit.append(
        session,
        actor,
        at=now,
        action="device.annotate",
        target=("device", device.id),
        partner_id=device.partner_id,
        after={"text": text},
    )
    return note


def list_notes(session: Session, actor: Actor, device_id: str) -> list[DeviceNote]:
    device = get_device(session, actor, device_id)
    query = select(DeviceNote).where(DeviceNote.device_id == device.id).order_by(DeviceNote.id)
    return list(session.execute(query).scalars())


def revoke_device(
    session: Session,
    actor: Actor,
    device_id: str,
    reason: str,
    now: datetime,
    code: str = "unspecified",
) -> Device:
    """The device's activation goes on the published revocation list, with ``code`` (the
    free-text ``reason`` stays private). Its unit still counts toward quota and royalties
    (it was built)."""
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    device = get_device(session, actor, device_id, lock=True)
    if device.status == "revoked":
        return device
    device.status, device.revoked_at, device.revoke_reason = "revoked", now, reason
    device.revoke_code = code
    revocations.changed(session)
    audit.append(
        session,
        actor,
        at=now,
        action="device.revoke",
        target=("device", device.id),
        partner_id=device.partner_id,
        before={"status": "active"},
        after={"status": "revoked", "reason": reason, "code": code},
    )
    return device
