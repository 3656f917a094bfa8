"""A parsed receipt matched against its batch (which unit each IMEI row is, what it decides,
what cannot be applied and why) and the decisions written in one statement per outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from handsetguard.registers import Problem, Receipt
from handsetguard.server.models import BatchUnit, Registration, RegistrationBatch
from handsetguard.server.models.base import UTCDateTime

__all__ = ["Decision", "apply_rows", "match_rows"]

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


def match_rows(
    session: Session, batch: RegistrationBatch, receipt: Receipt
) -> tuple[dict[str, Decision], list[str]]:
    """Each unit's decision (any rejected IMEI rejects the unit) and every problem, in row
    order: the file's own, IMEIs outside the batch, units moved to a later batch, and a unit
    an earlier receipt already decided the other way."""
    owner: dict[str, str] = {}
    for device_id, imei1, imei2 in session.execute(
        select(_units.c.device_id, _units.c.imei1, _units.c.imei2).where(
            _units.c.batch_id == batch.id
        )
    ):
        owner[imei1] = device_id
        if imei2:
            owner[imei2] = device_id
    states = {
        device_id: (state, batch_id)
        for device_id, state, batch_id in session.execute(
            select(_regs.c.device_id, _regs.c.state, _regs.c.batch_id)
            .join(_units, _units.c.device_id == _regs.c.device_id)
            .where(_units.c.batch_id == batch.id)
        )
    }
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


_CHUNK = 5000  # rows per UPDATE … FROM (VALUES …): 4 parameters each, under both limits


def _update_from_values(dialect: str, count: int) -> str:
    """One UPDATE setting each listed unit's state, reference and reason from a VALUES list
    (SQLite ≥ 3.33 and PostgreSQL both have UPDATE … FROM); positional parameters, so that
    the driver gets them without SQLAlchemy compiling 20,000 named ones."""
    mark = "%s" if dialect == "postgresql" else "?"
    values = ", ".join([f"({mark}, {mark}, {mark}, {mark})"] * count)
    if dialect == "postgresql":
        return (
            f"UPDATE registrations AS g SET state = v.state, reference = v.reference,"
            f" reason = v.reason, updated_at = {mark}"
            f" FROM (VALUES {values}) AS v(device_id, state, reference, reason)"
            f" WHERE g.device_id = v.device_id AND g.batch_id = {mark}"
        )
    return (
        f"UPDATE registrations SET state = v.column2, reference = v.column3,"
        f" reason = v.column4, updated_at = {mark}"
        f" FROM (VALUES {values}) AS v"
        f" WHERE registrations.device_id = v.column1 AND registrations.batch_id = {mark}"
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
    for start in range(0, len(writes), _CHUNK):
        chunk = writes[start : start + _CHUNK]
        flat: list[object] = [at]
        for write in chunk:
            flat.extend(write)
        flat.append(batch.id)
        connection.exec_driver_sql(_update_from_values(dialect.name, len(chunk)), tuple(flat))
    return registered, rejected, unchanged
