"""A register portal's result file (receipt) applied to its batch: parsed, matched against the
batch (which unit each IMEI row is, what it decides, what cannot be applied and why), the
decisions written in a few statements for the whole file, each rejection raising a
``registration`` alert (in bulk), audited.

State of a unit with its territory's register: no ``registrations`` row = ``unregistered``;
freezing a batch makes it ``in_batch``; a receipt makes it ``registered`` or ``rejected``.
A receipt with any problem applies nothing unless ``partial``, which applies the good rows
and reports the others row by row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from handsetguard.registers import Problem, Receipt, RegisterError, parse, profile_from_dict
from handsetguard.server.errors import InvalidInputError
from handsetguard.server.models import (
    BatchUnit,
    Device,
    Registration,
    RegistrationBatch,
)
from handsetguard.server.models.base import UTCDateTime
from handsetguard.server.services import alerts, audit
from handsetguard.server.services.actors import Actor, require
from handsetguard.server.services.registrations import ADMINS, get_batch

__all__ = ["Decision", "ReceiptOutcome", "apply_rows", "import_receipt", "match_rows"]
MAX_PROBLEMS_SHOWN = 100

_units = cast(Table, BatchUnit.__table__)
_regs = cast(Table, Registration.__table__)
NO_REASON = "rejected by the register (no reason given)"


@dataclass(slots=True)
class Decision:
    row: int
    accepted: bool
    reason: str
    reference: str
    unchanged: bool = False


def _batch_units(
    session: Session, batch: RegistrationBatch
) -> tuple[dict[str, str], dict[str, tuple[str, str | None]]]:
    """The batch's unit of each IMEI, and each unit's registration (state, batch)."""
    owner: dict[str, str] = {}
    states: dict[str, tuple[str, str | None]] = {}
    query = (
        select(_units.c.device_id, _units.c.imei1, _units.c.imei2, _regs.c.state)
        .add_columns(_regs.c.batch_id)
        .select_from(_units.outerjoin(_regs, _regs.c.device_id == _units.c.device_id))
        .where(_units.c.batch_id == batch.id)
    )
    # One read of the batch (fetched whole: row by row costs a driver call each).
    for device_id, imei1, imei2, state, current in session.execute(query).all():
        owner[imei1] = device_id
        if imei2:
            owner[imei2] = device_id
        if state is not None:
            states[device_id] = (state, current)
    return owner, states


def match_rows(
    session: Session, batch: RegistrationBatch, receipt: Receipt
) -> tuple[dict[str, Decision], list[str]]:
    """Each unit's decision (any rejected IMEI rejects the unit) and every problem, in row
    order: the file's own, IMEIs outside the batch, units moved to a later batch, and a unit
    an earlier receipt already decided the other way."""
    owner, states = _batch_units(session, batch)
    problems: list[Problem] = list(receipt.problems)
    column = batch.profile["receipt"]["imei"]
    decided: dict[str, Decision] = {}
    for row in receipt.rows:
        device_id = owner.get(row.imei)
        if device_id is None:
            problems.append(Problem(receipt.file, row.row, column, f"not in batch {batch.id}"))
            continue
        state, current = states.get(device_id, ("unregistered", None))
        if current != batch.id:
            problems.append(
                Problem(receipt.file, row.row, column, f"the unit is now in batch {current}")
            )
            continue
        mine = decided.get(device_id)
        if mine is None:
            decided[device_id] = Decision(row.row, row.accepted, row.reason, row.reference)
        elif not row.accepted:
            mine.accepted = False
            mine.reason = "; ".join(r for r in (mine.reason, row.reason) if r)
        if mine is not None and not mine.reference and row.reference:
            mine.reference = row.reference
    for device_id, decision in list(decided.items()):
        state = states[device_id][0]
        outcome = "registered" if decision.accepted else "rejected"
        if state == outcome:
            decision.unchanged = True
        elif state != "in_batch":
            problems.append(
                Problem(
                    receipt.file,
                    decision.row,
                    column,
                    f"the unit is already {state} by an earlier receipt",
                )
            )
            del decided[device_id]
    problems.sort(key=lambda p: p.row)
    return decided, [str(p) for p in problems]


_CHUNK = 5000  # SQLite: rows per UPDATE … FROM (VALUES …), 4 parameters each
_PG_UPDATE = (
    "UPDATE registrations AS g SET state = v.state, reference = v.reference,"
    " reason = v.reason, updated_at = %s"
    " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])"
    " AS v(device_id, state, reference, reason)"
    " WHERE g.device_id = v.device_id AND g.batch_id = %s"
)
"""PostgreSQL: the whole receipt in one statement, each column one array parameter (a
VALUES list of 20,000 placeholders costs psycopg ~0.4 s a chunk to parse)."""


def _sqlite_update(count: int) -> str:
    """One UPDATE setting each listed unit's state, reference and reason from a VALUES list
    (UPDATE … FROM, SQLite ≥ 3.33); positional parameters, so that the driver gets them
    without SQLAlchemy compiling 20,000 named ones."""
    values = ", ".join(["(?, ?, ?, ?)"] * count)
    return (
        "UPDATE registrations SET state = v.column2, reference = v.column3,"
        " reason = v.column4, updated_at = ?"
        f" FROM (VALUES {values}) AS v"
        " WHERE registrations.device_id = v.column1 AND registrations.batch_id = ?"
    )


def apply_rows(
    session: Session, batch: RegistrationBatch, decided: dict[str, Decision], now: datetime
) -> tuple[set[str], dict[str, str], int]:
    """Write the decisions (a few statements for a whole receipt, not one per unit); the
    registered ids, the rejected ids with their reasons, and the number already in the state
    the receipt says."""
    registered: set[str] = set()
    rejected: dict[str, str] = {}
    writes: list[tuple[str, str, str | None, str | None]] = []
    unchanged = 0
    for device_id, d in decided.items():
        if d.unchanged:
            unchanged += 1
            continue
        if d.accepted:
            registered.add(device_id)
            writes.append((device_id, "registered", d.reference or None, None))
        else:
            rejected[device_id] = d.reason or NO_REASON
            writes.append((device_id, "rejected", d.reference or None, rejected[device_id]))
    connection = session.connection()
    dialect = connection.dialect
    stamp = UTCDateTime().bind_processor(dialect)
    at = stamp(now) if stamp is not None else now
    if dialect.name == "postgresql":
        if writes:
            columns = [list(column) for column in zip(*writes, strict=True)]
            connection.exec_driver_sql(_PG_UPDATE, (at, *columns, batch.id))
        return registered, rejected, unchanged
    for start in range(0, len(writes), _CHUNK):
        chunk = writes[start : start + _CHUNK]
        flat: list[object] = [at]
        for write in chunk:
            flat.extend(write)
        flat.append(batch.id)
        connection.exec_driver_sql(_sqlite_update(len(chunk)), tuple(flat))
    return registered, rejected, unchanged


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    batch_id: str
    file_sha256: str
    encoding: str
    registered: int
    rejected: int
    unchanged: int
    pending: int
    problems: list[str]


def import_receipt(
    session: Session,
    actor: Actor,
    batch_id: str,
    data: bytes,
    name: str,
    now: datetime,
    *,
    partial: bool = False,
) -> ReceiptOutcome:
    """Apply the portal's result file to its batch (see the module docstring)."""
    require(actor, *ADMINS)
    batch = get_batch(session, actor, batch_id)
    profile = profile_from_dict(batch.territory, batch.profile)
    try:
        receipt = parse(data, name, profile.receipt)
    except RegisterError as exc:
        raise InvalidInputError("receipt_unreadable", exc.message) from exc
    decided, problems = match_rows(session, batch, receipt)
    if problems and not partial:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InvalidInputError(
            "receipt_invalid",
            f"{problems[0]}{more}; nothing applied",
            details={"problems": problems[:MAX_PROBLEMS_SHOWN]},
            remediation="fix the file, or import with --partial to apply the good rows",
        )
    registered, rejected, unchanged = apply_rows(session, batch, decided, now)
    pending = session.execute(
        select(func.count()).where(_regs.c.batch_id == batch.id, _regs.c.state == "in_batch")
    ).scalar_one()
    if pending == 0 and batch.status == "frozen":
        batch.status, batch.receipted_at = "receipted", now
    digest = hashlib.sha256(data).hexdigest()
    audit.append(
        session,
        actor,
        at=now,
        action="registry.receipt",
        target=("registration_batch", batch.id),
        partner_id=batch.partner_id,
        after={
            "file_sha256": digest,
            "registered": len(registered),
            "rejected": len(rejected),
            "unchanged": unchanged,
            "skipped_rows": len(problems),
            "pending": pending,
        },
    )
    refused = sorted(rejected)
    units: list[Device] = []
    for start in range(0, len(refused), 5000):
        chunk = refused[start : start + 5000]
        units += session.execute(select(Device).where(Device.id.in_(chunk))).scalars()
    alerts.raise_many(
        session,
        [
            (
                unit,
                "register_rejected",
                {"batch_id": batch.id, "register": batch.register, "reason": rejected[unit.id]},
            )
            for unit in units
        ],
        "registration",
        now=now,
    )
    return ReceiptOutcome(
        batch.id,
        digest,
        receipt.encoding,
        len(registered),
        len(rejected),
        unchanged,
        int(pending),
        problems,
    )
