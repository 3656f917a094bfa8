"""Territory register batches: the partner's licence number per territory, freezing a
territory's activated, unregistered units into a batch (content hash, the layout frozen with
it) and its file in the register's layout; the portal's receipt is applied to it by
:mod:`receipts`.

State of a unit with its territory's register: no ``registrations`` row = ``unregistered``;
freezing a batch makes it ``in_batch``; a receipt makes it ``registered`` or ``rejected``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, exists, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handsetguard.registers import (
    BatchRow,
    Constants,
    RegisterError,
    RegisterProfile,
    content_hash,
    profile_from_dict,
    render_csv,
    render_xlsx,
    table,
)
from handsetguard.server.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RefusedError,
    ServiceError,
)
from handsetguard.server.models import (
    Agreement,
    BatchUnit,
    Device,
    Partner,
    Registration,
    RegistrationBatch,
    RegistryLicence,
)
from handsetguard.server.models.base import UTCDateTime
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import new_id, upsert_insert, visible

__all__ = [
    "ADMINS",
    "BatchFilter",
    "batch_file",
    "create_batch",
    "get_agreement_visible",
    "get_batch",
    "record_export",
    "set_licence",
]

ADMINS = (Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN)
_units = cast(Table, BatchUnit.__table__)
_regs = cast(Table, Registration.__table__)
_ROW_COLUMNS = (
    _units.c.serial,
    _units.c.imei1,
    _units.c.imei2,
    _units.c.model_code,
    _units.c.activated_at,
    _units.c.meid,
)
"""A frozen unit's columns in :class:`BatchRow` order."""
_CHANGED = "units changed state meanwhile; retry"


@dataclass(frozen=True, slots=True)
class BatchFilter:
    model_code: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_rejected: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_code": self.model_code,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "include_rejected": self.include_rejected,
        }


def _agreement(session: Session, actor: Actor, agreement_id: str) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError("agreement_not_found", f"no agreement {agreement_id}")
    visible(actor, agreement.partner_id, "agreement", agreement_id)
    return agreement


def get_agreement_visible(session: Session, actor: Actor, agreement_id: str) -> Agreement:
    require(actor, *READERS)
    return _agreement(session, actor, agreement_id)


def _profile(profiles: dict[str, RegisterProfile], territory: str) -> RegisterProfile:
    if territory not in profiles:
        raise InvalidInputError(
            "no_register", f"no register profile for {territory} (have {sorted(profiles)})"
        )
    return profiles[territory]


def set_licence(
    session: Session,
    actor: Actor,
    agreement_id: str,
    territory: str,
    licence_number: str,
    brand: str | None,
    now: datetime,
) -> RegistryLicence:
    """Record the partner's vendor/importer licence number with ``territory``'s register."""
    require(actor, *ADMINS)
    agreement = _agreement(session, actor, agreement_id)
    if territory not in agreement.territories:
        raise RefusedError("territory_not_licensed", f"{territory} is not a licensed territory")
    if not licence_number.strip() or not licence_number.isprintable():
        raise InvalidInputError("invalid_licence_number", "a licence number is printable text")
    if brand is None:
        partner = session.get(Partner, agreement.partner_id)
        brand = partner.legal_name if partner else ""
    row = session.get(RegistryLicence, (agreement_id, territory), with_for_update=True)
    before = None if row is None else {"licence_number": row.licence_number, "brand": row.brand}
    if row is None:
        row = RegistryLicence(agreement_id=agreement_id, territory=territory)
        session.add(row)
    row.licence_number, row.brand = licence_number.strip(), brand
    row.updated_at, row.updated_by = now, actor.credential_id
    audit.append(
        session,
        actor,
        at=now,
        action="registry.licence",
        target=("agreement", agreement_id),
        partner_id=agreement.partner_id,
        before=before,
        after={"territory": territory, "licence_number": row.licence_number, "brand": brand},
    )
    return row


def _candidates(batch_id: str, agreement_id: str, territory: str, filt: BatchFilter) -> Any:
    """The batch's units as rows of ``registration_batch_units``, numbered in file order
    (activation time, then serial): selected and inserted by the database in one statement."""
    order = (Device.activated_at, Device.serial, Device.id)
    query = select(
        literal(batch_id, String(36)),
        func.row_number().over(order_by=order),
        Device.id,
        Device.serial,
        Device.imei1,
        Device.imei2,
        Device.model_code,
        Device.activated_at,
        Device.meid,
    ).where(
        Device.agreement_id == agreement_id,
        Device.territory == territory,
        Device.status == "active",
    )
    if filt.include_rejected:
        query = query.outerjoin(Registration, Registration.device_id == Device.id).where(
            or_(Registration.device_id.is_(None), Registration.state == "rejected")
        )
    else:
        query = query.where(~exists().where(Registration.device_id == Device.id))
    if filt.model_code is not None:
        query = query.where(Device.model_code == filt.model_code)
    if filt.since is not None:
        query = query.where(Device.activated_at >= filt.since)
    if filt.until is not None:
        query = query.where(Device.activated_at < filt.until)
    return query


def _constants(
    session: Session, profile: RegisterProfile, agreement: Agreement, territory: str
) -> Constants:
    licence = session.get(RegistryLicence, (agreement.id, territory))
    if licence is None:
        if any(c.field == "licence_number" for c in profile.layout.columns):
            raise RefusedError(
                "licence_number_missing",
                f"the agreement records no {profile.licence_label} for {territory}",
                remediation="record it first: `handsetguard registry licence …`",
            )
        partner = session.get(Partner, agreement.partner_id)
        return Constants(brand=partner.legal_name if partner else "", licence_number="")
    return Constants(brand=licence.brand, licence_number=licence.licence_number)


def create_batch(
    session: Session,
    actor: Actor,
    profiles: dict[str, RegisterProfile],
    agreement_id: str,
    territory: str,
    filt: BatchFilter,
    now: datetime,
) -> RegistrationBatch:
    """Freeze the activated, unregistered units of ``territory`` under the agreement (and the
    filter) into a batch; each becomes ``in_batch``."""
    require(actor, *ADMINS)
    agreement = _agreement(session, actor, agreement_id)
    profile = _profile(profiles, territory)
    constants = _constants(session, profile, agreement, territory)
    batch = RegistrationBatch(
        id=new_id(),
        partner_id=agreement.partner_id,
        agreement_id=agreement.id,
        territory=territory,
        register=profile.register,
        profile=profile.to_dict(),
        constants={"brand": constants.brand, "licence_number": constants.licence_number},
        filters=filt.to_dict(),
        unit_count=0,
        content_hash="",
        status="frozen",
        created_at=now,
        created_by=actor.credential_id,
    )
    session.add(batch)
    session.flush()
    columns = ["batch_id", "position", "device_id", "serial", "imei1", "imei2", "model_code"]
    session.execute(
        insert(_units).from_select(
            [*columns, "activated_at", "meid"],
            _candidates(batch.id, agreement.id, territory, filt),
        )
    )
    # Read back rather than INSERT … RETURNING: measured, RETURNING the 100,000 rows cost
    # more (client and server CPU, SQLite and PostgreSQL) than this one ordered read.
    rows = _frozen_rows(session, batch.id)
    if not rows:
        raise ConflictError("nothing_to_register", f"no unregistered activated unit in {territory}")
    batch.unit_count = len(rows)
    batch.content_hash = content_hash(table(profile.layout, constants, rows))
    _mark_in_batch(session, batch, filt.include_rejected, now)
    audit.append(
        session,
        actor,
        at=now,
        action="registry.batch",
        target=("registration_batch", batch.id),
        partner_id=batch.partner_id,
        after={
            "territory": territory,
            "register": profile.register,
            "unit_count": batch.unit_count,
            "content_hash": batch.content_hash,
            "filters": batch.filters,
        },
    )
    return batch


def _frozen_rows(session: Session, batch_id: str) -> list[BatchRow]:
    query = select(*_ROW_COLUMNS).where(_units.c.batch_id == batch_id).order_by(_units.c.position)
    return list(map(BatchRow._make, session.execute(query)))


def _mark_in_batch(
    session: Session, batch: RegistrationBatch, rebatch: bool, now: datetime
) -> None:
    """Each unit of the batch becomes ``in_batch``: rejected ones (``rebatch``) move over, the
    others get their first row. A unit another batch took meanwhile (its row committed after
    this batch's units were chosen) is a conflict: the plain INSERT's unique key refuses it,
    and the whole freeze rolls back. Only a rebatch, whose moved units have their rows
    already, inserts with ON CONFLICT DO NOTHING and then counts what it holds; a plain
    INSERT costs ~20% less than that speculative one on PostgreSQL. Never NOT EXISTS: with
    the planner's statistics of a live database (the batch tables analysed while small),
    PostgreSQL ran that anti-join as a nested loop whose inner sequential scan reads the
    registrations this very statement is inserting — quadratic, 6 minutes for 100,000 units
    after a VACUUM ANALYZE (``bench_registers`` settles the database first to catch this)."""
    mine = select(_units.c.device_id).where(_units.c.batch_id == batch.id)
    if rebatch:
        session.execute(
            update(_regs)
            .where(_regs.c.device_id.in_(mine), _regs.c.state == "rejected")
            .values(state="in_batch", batch_id=batch.id, reason=None, updated_at=now)
        )
    fresh = select(
        _units.c.device_id,
        literal(batch.territory, String(2)),
        literal("in_batch", String(12)),
        literal(batch.id, String(36)),
        literal(now, UTCDateTime()),
    ).where(_units.c.batch_id == batch.id)
    columns = ["device_id", "territory", "state", "batch_id", "updated_at"]
    if not rebatch:
        try:
            session.execute(insert(_regs).from_select(columns, fresh))
        except IntegrityError as exc:
            raise ConflictError("conflict", _CHANGED) from exc
        return
    session.execute(
        upsert_insert(session, _regs)
        .from_select(columns, fresh)
        .on_conflict_do_nothing(index_elements=["device_id"])
    )
    held = session.execute(
        select(func.count()).where(_regs.c.batch_id == batch.id, _regs.c.state == "in_batch")
    ).scalar_one()
    if held != batch.unit_count:
        raise ConflictError("conflict", _CHANGED)


def get_batch(session: Session, actor: Actor, batch_id: str) -> RegistrationBatch:
    require(actor, *READERS)
    batch = session.get(RegistrationBatch, batch_id)
    if batch is None:
        raise NotFoundError("batch_not_found", f"no registration batch {batch_id}")
    visible(actor, batch.partner_id, "batch", batch_id)
    return batch


def batch_file(session: Session, actor: Actor, batch_id: str, fmt: str) -> tuple[bytes, str]:
    """The batch's file (``csv`` or ``xlsx``) and a file name; the same bytes every time."""
    batch = get_batch(session, actor, batch_id)
    try:
        profile = profile_from_dict(batch.territory, batch.profile)
    except RegisterError as exc:
        raise ServiceError("batch_altered", f"batch {batch_id}: {exc.message}") from exc
    constants = Constants(**batch.constants)
    rows = _frozen_rows(session, batch.id)
    cells = list(table(profile.layout, constants, rows))
    if len(rows) != batch.unit_count or content_hash(cells) != batch.content_hash:
        raise ServiceError("batch_altered", f"batch {batch_id} no longer matches its content hash")
    stem = f"{batch.register}-{batch.created_at:%Y%m%d}-{batch.id[:8]}"
    if fmt == "xlsx":
        return render_xlsx(cells, profile.layout.sheet, batch.created_at), f"{stem}.xlsx"
    if fmt == "csv":
        return render_csv(cells), f"{stem}.csv"
    raise InvalidInputError("invalid_format", "format is csv or xlsx")


def record_export(
    session: Session, actor: Actor, batch_id: str, fmt: str, data: bytes, now: datetime
) -> None:
    """Audit a download of a batch's file (who, which format, SHA-256 of the bytes). Its own
    short write transaction, after the file was rendered in a read one; the file is handed
    out only once this is recorded."""
    batch = get_batch(session, actor, batch_id)
    audit.append(
        session,
        actor,
        at=now,
        action="registry.export",
        target=("registration_batch", batch.id),
        partner_id=batch.partner_id,
        after={
            "format": fmt,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "unit_count": batch.unit_count,
        },
    )
