"""The append-only, hash-chained audit log.

Entry *n* stores ``hash_n = SHA-256(hash_{n-1} || "\\n" || canonical JSON of the entry)``
(``hash_0`` = 64 zeros). Appending locks the one-row ``audit_head`` (``FOR UPDATE``; on
SQLite the write transaction is already exclusive), so the chain stays linear with many API
processes; database triggers refuse UPDATE and DELETE, and :func:`verify_chain` detects
whatever bypasses them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from handsetguard.server.core.envelope import canonical_json
from handsetguard.server.models import AuditEntry, AuditHead
from handsetguard.server.services.actors import Actor

__all__ = [
    "GENESIS",
    "ChainReport",
    "Hole",
    "append",
    "entry_fields",
    "entry_hash",
    "entry_template",
    "fill_holes",
    "list_entries",
    "verify_chain",
]

GENESIS = "0" * 64

_head = cast(Table, AuditHead.__table__)
_HEAD = select(_head.c.seq, _head.c.hash).where(_head.c.id == 1).with_for_update()
_INSERT = insert(cast(Table, AuditEntry.__table__))
_ADVANCE = (
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), prev_hash=bindparam("old_hash"))
)


@dataclass(frozen=True, slots=True)
class Hole:
    """A value of an entry that the database fills in; see :func:`entry_template`."""

    name: str


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_json(fields)).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "partner_id": entry.partner_id,
        "before": entry.before,
        "after": entry.after,
    }


def entry_fields(
    seq: int | Hole,
    at: datetime,
    actor: Actor,
    action: str,
    target: tuple[str, str],
    partner_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    """The hashed fields of one entry (the columns of ``audit_log`` but the two hashes)."""
    return {
        "seq": seq,
        "at": at.isoformat(),
        "actor_id": actor.credential_id,
        "actor_role": actor.role.value,
        "action": action,
        "target_type": target[0],
        "target_id": target[1],
        "partner_id": partner_id,
        "before": before,
        "after": after,
    }


def append(
    session: Session | Connection,
    actor: Actor,
    *,
    at: datetime,
    action: str,
    target: tuple[str, str],
    partner_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Add one entry in the caller's transaction and return its sequence number.
    ``before``/``after`` must hold no secret. Core statements, not the unit of work: this
    runs under the chain-head lock, so it should be short."""
    if isinstance(session, Session):
        session.flush()  # pending rows first: the head lock is the transaction's last lock
    seq, prev = session.execute(_HEAD).one()
    fields = entry_fields(seq + 1, at, actor, action, target, partner_id, before, after)
    digest = entry_hash(prev, fields)
    session.execute(_INSERT, {**fields, "prev_hash": prev, "hash": digest})
    session.execute(_ADVANCE, {"new_seq": seq + 1, "new_hash": digest, "old_hash": prev})
    return int(seq) + 1


def entry_template(fields: dict[str, Any], holes: Sequence[str]) -> list[bytes]:
    """The canonical JSON of an entry cut at its holes (:class:`Hole` values, at any depth):
    values only the database knows, such as the entry's own sequence number or a counter, so
    that one statement can fill them in and hash the entry. Returns the text between the
    holes, which must occur once each and in the order given (ValueError otherwise)."""
    stand_ins = {name: f"\x00hole:{name}\x00" for name in holes}
    marks = [canonical_json(stand_ins[name]).decode() for name in holes]
    rest = canonical_json(fill_holes(fields, stand_ins)).decode()
    parts: list[bytes] = []
    for name, mark in zip(holes, marks, strict=True):
        before, found, rest = rest.partition(mark)
        if not found or mark in rest or any(m in before for m in marks):
            raise ValueError(f"audit template: hole {name!r} missing, repeated or out of order")
        parts.append(before.encode())
    parts.append(rest.encode())
    return parts


def fill_holes(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with each :class:`Hole` (at any depth) replaced by ``values[hole.name]``."""
    if isinstance(value, dict):
        return {k: fill_holes(v, values) for k, v in value.items()}
    if isinstance(value, Hole):
        return values[value.name]
    return value


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    entries: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify_chain(
    session: Session, *, batch: int = 5000, anchor: tuple[int, str] | None = None
) -> ChainReport:
    """Recompute every link; the first broken entry (or a head out of step) is reported.
    ``anchor`` (tree size, head hash), from a signed checkpoint kept outside the database:
    the entry at that size must exist and have that hash, so that entries deleted,
    truncated or rewritten before it — hashes recomputed and all — are found too."""
    prev, expected_seq, last = GENESIS, 1, 0
    while True:
        rows: Sequence[AuditEntry] = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        for entry in rows:
            problem = None
            if entry.seq != expected_seq:
                problem = f"entry {expected_seq} is missing"
            elif entry.prev_hash != prev:
                problem = "prev_hash does not match the previous entry"
            elif entry_hash(prev, _fields(entry)) != entry.hash:
                problem = "content does not match its hash"
            elif anchor is not None and entry.seq == anchor[0] and entry.hash != anchor[1]:
                problem = (
                    f"entry {entry.seq} differs from the checkpoint: the log up to it was rewritten"
                )
            if problem is not None:
                return ChainReport(False, expected_seq - 1, prev, entry.seq, problem)
            prev, expected_seq, last = entry.hash, expected_seq + 1, entry.seq
        if len(rows) < batch:
            break
    if anchor is not None and last < anchor[0]:
        problem = (
            f"the log has {last} entries but the checkpoint saw {anchor[0]}: entries were "
            "deleted or the log truncated"
        )
        return ChainReport(False, last, prev, last + 1, problem)
    head = session.get(AuditHead, 1)
    if head is None or head.seq != last or head.hash != prev:
        return ChainReport(False, last, prev, last + 1, "chain head does not match the last entry")
    return ChainReport(True, last, prev)


def list_entries(
    session: Session, *, after_seq: int, limit: int, partner_id: str | None = None
) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if partner_id is not None:
        query = query.where(AuditEntry.partner_id == partner_id)
    return list(session.execute(query.order_by(AuditEntry.seq).limit(limit)).scalars())
