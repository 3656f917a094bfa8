"""A parsed receipt matched against its batch (which unit each IMEI row is, what it decides,
what cannot be applied and why) and the decisions written in one statement per outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from handsetguard.registers import Problem, Receipt
from handsetguard.server.models import BatchUnit, Registration, RegistrationBatch

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


def apply_rows(
    session: Session, batch: RegistrationBatch, decided: dict[str, Decision], now: datetime
) -> tuple[set[str], dict[str, str], int]:
    """Write the decisions; the registered ids, the rejected ids with their reasons, and the
    number already in the state the receipt says."""
    statement = (
        update(_regs)
        .where(_regs.c.device_id == bindparam("d_id"), _regs.c.batch_id == batch.id)
        .values(
            state=bindparam("d_state"),
            reference=bindparam("d_reference"),
            reason=bindparam("d_reason"),
            updated_at=now,
        )
    )
    registered: set[str] = set()
    rejected: dict[str, str] = {}
    params = []
    unchanged = 0
    for device_id, d in decided.items():
        if d.unchanged:
            unchanged += 1
            continue
        reason = None if d.accepted else (d.reason or NO_REASON)
        if d.accepted:
            registered.add(device_id)
        else:
            rejected[device_id] = str(reason)
        params.append(
            {
                "d_id": device_id,
                "d_state": "registered" if d.accepted else "rejected",
                "d_reference": d.reference or None,
                "d_reason": reason,
            }
        )
    if params:
        session.execute(statement, params)
    return registered, rejected, unchanged
