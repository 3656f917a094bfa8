"""The ship gate — a unit may ship in its territory only when activated (not revoked) and,
where the territory has an equipment-identity register, registered there — and what it
reads: one unit's registration status, the units of a territory by shippability, the
per-territory and per-model counts, and the imported IMEI blocklist."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, func, select
from sqlalchemy.orm import Session

from handsetguard.registers import (
    RegisterError,
    RegisterProfile,
    is_imei,
    load_profiles,
    parse_blocklist,
)
from handsetguard.registers.profiles import PROFILES_ENV
from handsetguard.server.errors import InvalidInputError, NotFoundError
from handsetguard.server.models import BlockedImei, Device, DeviceImei, Registration
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import MAX_PAGE, upsert_insert

__all__ = [
    "ShipStatus",
    "blocklist_hits",
    "import_blocklist",
    "is_registered",
    "list_units",
    "registration_card",
    "registration_counts",
    "ship_status",
]

READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN, Role.SUPPORT)
_devices = cast(Table, Device.__table__)
_imeis = cast(Table, DeviceImei.__table__)
_regs = cast(Table, Registration.__table__)
_blocked = cast(Table, BlockedImei.__table__)
_COLUMNS = (
    _devices.c.id,
    _devices.c.serial,
    _devices.c.imei1,
    _devices.c.imei2,
    _devices.c.model_code,
    _devices.c.territory,
    _devices.c.partner_id,
    _devices.c.status,
    _regs.c.state,
    _regs.c.batch_id,
    _regs.c.reference,
    _regs.c.reason,
)
_JOINED = _devices.outerjoin(
    _regs, and_(_regs.c.device_id == _devices.c.id, _regs.c.territory == _devices.c.territory)
)


@dataclass(frozen=True, slots=True)
class ShipStatus:
    device_id: str
    serial: str
    imei1: str
    imei2: str | None
    model_code: str
    territory: str
    registry: str | None
    state: str
    """unregistered | in_batch | registered | rejected | not_required (no register)."""
    shippable: bool
    why: str
    batch_id: str | None
    reference: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _status(row: Any, profiles: dict[str, RegisterProfile]) -> ShipStatus:
    profile = profiles.get(row.territory)
    register = profile.register if profile else None
    state = row.state or ("unregistered" if profile else "not_required")
    if row.status != "active":
        shippable, why = False, f"the unit is {row.status}"
    elif profile is None:
        shippable, why = True, f"activated; {row.territory} has no equipment-identity register"
    elif state == "registered":
        shippable, why = True, f"activated and registered with {register} ({row.reference or '-'})"
    elif state == "in_batch":
        shippable, why = False, f"in batch {row.batch_id}, awaiting {register}'s receipt"
    elif state == "rejected":
        shippable, why = False, f"rejected by {register}: {row.reason}"
    else:
        shippable, why = False, f"not yet registered with {register} (due {profile.due})"
    return ShipStatus(
        row.id,
        row.serial,
        row.imei1,
        row.imei2,
        row.model_code,
        row.territory,
        register,
        state,
        shippable,
        why,
        row.batch_id,
        row.reference,
        row.reason,
    )


def ship_status(
    conn: Connection, actor: Actor, profiles: dict[str, RegisterProfile], ident: str
) -> list[ShipStatus]:
    """The unit(s) with this IMEI or serial (a serial is unique per partner only)."""
    require(actor, *READERS)
    query = select(*_COLUMNS).select_from(_JOINED)
    if is_imei(ident):
        held = select(_imeis.c.device_id).where(_imeis.c.imei == ident).scalar_subquery()
        query = query.where(_devices.c.id == held)
    else:
        query = query.where(_devices.c.serial == ident)
    if not actor.is_global:
        query = query.where(_devices.c.partner_id == actor.partner_id)
    found = [_status(row, profiles) for row in conn.execute(query)]
    if not found:
        raise NotFoundError("device_not_found", f"no unit with serial or IMEI {ident}")
    return found


def is_registered(conn: Connection, device_id: str) -> bool:
    query = select(_regs.c.state).where(_regs.c.device_id == device_id)
    return conn.execute(query).scalar_one_or_none() == "registered"


def registration_card(session: Session, unit: Device) -> dict[str, Any]:
    """A unit's registration for the support desk: state, register, reference, reason, the
    ship verdict, and its IMEIs on the blocklist. Profiles: bundled or the operator's
    (HANDSETGUARD_REGISTER_PROFILES), as the service reads them."""
    query = select(*_COLUMNS).select_from(_JOINED).where(_devices.c.id == unit.id)
    row = session.execute(query).one()
    try:
        profiles = _profiles(os.environ.get(PROFILES_ENV))
    except RegisterError as exc:
        return {"error": exc.message}
    imeis = [i for i in (unit.imei1, unit.imei2) if i]
    listed = select(_blocked.c.imei).where(_blocked.c.imei.in_(imeis))
    card = _status(row, profiles).to_dict()
    card["blocklisted"] = sorted(session.execute(listed).scalars())
    return card


@functools.lru_cache(maxsize=4)
def _profiles(_path: str | None) -> dict[str, RegisterProfile]:
    return load_profiles()


def list_units(
    session: Session,
    actor: Actor,
    profiles: dict[str, RegisterProfile],
    territory: str,
    shippable: bool | None,
    cursor: str | None,
    limit: int,
) -> list[ShipStatus]:
    """The units activated in ``territory``, by device id; ``shippable`` filters."""
    require(actor, *READERS)
    query = select(*_COLUMNS).select_from(_JOINED).where(_devices.c.territory == territory)
    if not actor.is_global:
        query = query.where(_devices.c.partner_id == actor.partner_id)
    if shippable is not None:
        ok = _devices.c.status == "active"
        if territory in profiles:
            ok = and_(ok, func.coalesce(_regs.c.state, "unregistered") == "registered")
        query = query.where(ok if shippable else ~ok)
    if cursor:
        query = query.where(_devices.c.id > cursor)
    query = query.order_by(_devices.c.id).limit(max(1, min(limit, MAX_PAGE)) + 1)
    return [_status(row, profiles) for row in session.execute(query)]


def registration_counts(
    session: Session,
    agreement_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per territory and model: activated, registered, rejected, in batch, unregistered."""
    query = (
        select(_devices.c.territory, _devices.c.model_code, _regs.c.state, func.count())
        .select_from(_JOINED)
        .where(_devices.c.agreement_id == agreement_id)
        .group_by(_devices.c.territory, _devices.c.model_code, _regs.c.state)
    )
    if since is not None:
        query = query.where(_devices.c.activated_at >= since)
    if until is not None:
        query = query.where(_devices.c.activated_at < until)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for territory, model, state, count in session.execute(query):
        group = groups.setdefault(
            (territory, model),
            {
                "territory": territory,
                "model_code": model,
                "activated": 0,
                "registered": 0,
                "rejected": 0,
                "in_batch": 0,
                "unregistered": 0,
            },
        )
        group["activated"] += count
        group[state or "unregistered"] += count
    return [groups[k] for k in sorted(groups)]


def import_blocklist(
    session: Session,
    actor: Actor,
    data: bytes,
    name: str,
    source: str,
    territory: str | None,
    now: datetime,
    *,
    partial: bool = False,
) -> tuple[int, int, list[str]]:
    """Add the file's IMEIs to the blocklist: (added, already listed, problems)."""
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    try:
        parsed = parse_blocklist(data, name)
    except RegisterError as exc:
        raise InvalidInputError("blocklist_unreadable", exc.message) from exc
    problems = [str(p) for p in parsed.problems]
    if problems and not partial:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InvalidInputError(
            "blocklist_invalid",
            f"{problems[0]}{more}; nothing applied",
            details={"problems": problems[:100]},
        )
    insert_ = upsert_insert(session, _blocked)
    added = 0
    values = {
        "territory": territory,
        "source": source[:200],
        "partner_id": actor.partner_id,
        "imported_at": now,
        "imported_by": actor.credential_id,
    }
    for start in range(0, len(parsed.imeis), 5000):
        chunk = parsed.imeis[start : start + 5000]
        result = session.execute(
            insert_.on_conflict_do_nothing(index_elements=["imei"]).returning(_blocked.c.imei),
            [{"imei": i, **values} for i in chunk],
        )
        added += len(result.all())
    audit.append(
        session,
        actor,
        at=now,
        action="registry.blocklist",
        target=("imei_blocklist", source[:64]),
        partner_id=actor.partner_id,
        after={"added": added, "listed": len(parsed.imeis), "skipped_rows": len(problems)},
    )
    return added, len(parsed.imeis) - added, problems


def blocklist_hits(conn: Connection, imeis: list[str]) -> list[dict[str, Any]]:
    """The blocklist entries of these IMEIs (the support desk's view)."""
    query = select(_blocked).where(_blocked.c.imei.in_(imeis)).order_by(_blocked.c.imei)
    return [dict(row._mapping) for row in conn.execute(query)]
