"""The attested check-in hot path's statements (``POST /v1/checkins``), written per dialect and
run on the bare DBAPI connection, as the report store's (services/report_store.py).

1. :meth:`CheckinStore.read` — no lock, one statement: the credential, the unit and the
   challenge, so that every refusal (credential, role, scope, unit, challenge) is decided
   before the chain is verified, in the order the issue gives.
2. The caller verifies the chain: CPU only, no connection held.
3. :meth:`CheckinStore.write` — one transaction. The challenge is used by one guarded UPDATE
   (unused, unexpired, issued for this unit to this credential, the unit still active), so
   two processes cannot both use it; the unit's posture row is locked (``FOR UPDATE`` on
   PostgreSQL; SQLite's write lock is the database's) and the unit's check-in history read —
   its first verified check-in, the boot key of the last one and whether the new key is among
   the 99 verified before that. From these the caller decides the alerts; then the check-in,
   the posture row, the roll-up move and the alerts (deduplicated while open, queued for the
   partner's webhooks) are written. Nothing is written when the challenge cannot be used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handsetguard.server.db import Database
from handsetguard.server.errors import InvalidInputError, UnavailableError
from handsetguard.server.models import CheckIn
from handsetguard.server.services.checkin_sql import (
    CHALLENGE_COLUMNS,
    HISTORY,
    UNIT_COLUMNS,
    statements,
)
from handsetguard.server.services.common import new_id
from handsetguard.server.services.credentials import LOOKUP_COLUMNS
from handsetguard.server.services.dbapi import (
    Statement,
    Steps,
    row_reader,
    run_steps,
)

__all__ = [
    "ATTEMPTS",
    "HISTORY",
    "Again",
    "CheckinRead",
    "CheckinStore",
    "Decide",
    "History",
    "NewAlert",
    "NewCheckin",
    "Owner",
    "contended",
]


NO_PATCH = "unknown"
ATTEMPTS = 4
"""Writes tried when a first report or check-in of the unit made its posture row in between."""


@dataclass(frozen=True, slots=True)
class CheckinRead:
    credential: dict[str, Any] | None
    unit: dict[str, Any] | None
    """The device's columns (``id``, ``partner_id``, ``serial``, ``imei1``, …, ``status``)."""
    challenge: dict[str, Any] | None
    """``device_id``, ``credential_id``, ``used_at``, ``expires_at``."""


@dataclass(frozen=True, slots=True)
class History:
    """What the rules need of the unit's verified check-ins before this one."""

    first: dict[str, Any] | None
    """The attested facts of its first verified check-in (None: there is none)."""
    previous_key: str | None
    """The boot key of its latest verified check-in."""
    key_seen_before: bool
    """The new check-in's boot key is one of the 99 verified check-ins' before the latest."""


@dataclass(frozen=True, slots=True)
class NewCheckin:
    id: str
    device_id: str
    partner_id: str
    model_code: str
    territory: str
    credential_id: str
    challenge: str
    verified: bool
    failure: str | None
    attested: dict[str, Any]
    os_reported: dict[str, str]
    patch_month: str | None
    """The attested OS patch month: the unit's moves to it when it is newer."""
    boot_key: str | None


@dataclass(frozen=True, slots=True)
class NewAlert:
    id: str
    device_id: str
    partner_id: str
    kind: str
    reason: str
    detail: dict[str, Any]
    event: dict[str, Any]
    """The webhook body, queued only if the alert is opened (not already open)."""


Owner = Callable[[str], dict[str, Any] | None]
"""The unit holding an IMEI (the device's columns), read in the write's transaction."""
Decide = Callable[[History, Owner], list[NewAlert]]


class CheckinStore:
    """The hot path's statements for one :class:`Database` (its dialect decides which)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.write_engine.dialect
        self.dbapi = dialect.loaded_dbapi
        self._credential = row_reader(dialect, LOOKUP_COLUMNS, [c.key for c in LOOKUP_COLUMNS])
        self._unit = row_reader(dialect, UNIT_COLUMNS, [c.key for c in UNIT_COLUMNS])
        self._challenge = row_reader(dialect, CHALLENGE_COLUMNS, [c.key for c in CHALLENGE_COLUMNS])
        self._attested = row_reader(dialect, (CheckIn.attested,), ("attested",))
        stamp = CheckIn.received_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._stamp = stamp
        self.sql = statements(dialect.name)

    def _ts(self, value: datetime) -> Any:
        return value if self._stamp is None else self._stamp(value)

    @contextmanager
    def driver_errors(self) -> Iterator[None]:
        try:
            yield
        except self.dbapi.OperationalError as exc:
            raise UnavailableError(
                "database_unavailable", f"the database is unavailable ({type(exc).__name__}); retry"
            ) from None
        except self.dbapi.DataError:  # e.g. a NUL in a device id: PostgreSQL text cannot hold it
            raise InvalidInputError(
                "invalid_value", "a value cannot be stored (control characters?)"
            ) from None

    def read(self, credential_id: str, device_id: str, challenge: str) -> CheckinRead:
        with self.driver_errors(), self.db.dbapi() as conn:
            steps = self.read_steps(credential_id, device_id, challenge)
            return run_steps(conn, self.sql, steps, pipeline=False)

    def read_steps(self, credential_id: str, device_id: str, challenge: str) -> Steps[CheckinRead]:
        params = {"credential_id": credential_id, "device_id": device_id, "challenge": challenge}
        (result,) = yield [("read", params)]
        *values, has_credential, has_unit, has_challenge = result.rows[0]
        credential, unit = len(LOOKUP_COLUMNS), len(LOOKUP_COLUMNS) + len(UNIT_COLUMNS)
        return CheckinRead(
            self._credential(values[:credential]) if has_credential else None,
            self._unit(values[credential:unit]) if has_unit else None,
            self._challenge(values[unit:]) if has_challenge else None,
        )

    def params(self, checkin: NewCheckin, now: datetime) -> dict[str, Any]:
        return {
            "id": checkin.id,
            "device_id": checkin.device_id,
            "partner_id": checkin.partner_id,
            "model_code": checkin.model_code,
            "territory": checkin.territory,
            "credential_id": checkin.credential_id,
            "challenge": checkin.challenge,
            "now": self._ts(now),
            "verified": checkin.verified,
            "failure": checkin.failure,
            "attested": json.dumps(checkin.attested),
            "os_reported": json.dumps(checkin.os_reported),
            "key": checkin.boot_key,
            "false": False,
        }

    def write(
        self, checkin: NewCheckin, now: datetime, decide: Decide, *, wait: bool = True
    ) -> list[str] | None:
        """Store the check-in; the ids of the alerts it opened (``decide`` makes them from the
        unit's history), or None when the challenge could not be used (nothing written).
        ``wait=False`` (SQLite): ``db.WriterBusy`` at once, nothing done, if another writer
        has the turn."""
        params = self.params(checkin, now)
        with self.driver_errors():
            for _ in range(ATTEMPTS):
                try:
                    with self.db.dbapi(write=True, wait=wait) as conn:
                        transaction = nullcontext() if self.db.sqlite else conn.transaction()
                        with transaction:
                            steps = self.write_steps(checkin, params, decide)
                            return run_steps(conn, self.sql, steps, pipeline=not self.db.sqlite)
                except Again:  # rolled back: a first report or check-in made the row
                    continue
        raise contended()

    def write_steps(
        self, checkin: NewCheckin, params: dict[str, Any], decide: Decide
    ) -> Steps[list[str] | None]:
        """The write's statements, to run in one transaction; :class:`Again` (roll it back,
        write again) when a first report or check-in made the unit's row meanwhile."""
        consumed, state_row, history_row = yield [
            ("consume", params),
            ("state", params),
            ("history", params),
        ]
        if consumed.rowcount != 1:
            return None
        state = next(iter(state_row.rows), None)
        first, previous_key, seen = history_row.rows[0]
        history = History(
            first=None if first is None else self._attested((first,))["attested"],
            previous_key=previous_key,
            key_seen_before=bool(seen),
        )
        owners: dict[str, dict[str, Any] | None] = {}

        def owner(imei: str) -> dict[str, Any] | None:
            if imei not in owners:
                raise _Unread(imei)
            return owners[imei]

        while True:  # ``decide`` is pure: an owner not read yet is read, and it decides again
            try:
                alerts = decide(history, owner)
                break
            except _Unread as unread:
                (found,) = yield [("owner", {"imei": unread.imei})]
                row = next(iter(found.rows), None)
                owners[unread.imei] = None if row is None else self._unit(row)
        if state is None:
            before = None
            after = (checkin.partner_id, checkin.model_code, checkin.territory, "unknown")
            patch_month = checkin.patch_month
            unit_row: Statement = ("unit_insert", {**params, "patch_month": patch_month})
        else:
            *where, level, patch_month = state
            before = (*where, level, patch_month or NO_PATCH)
            after = (*where, level)
            new = checkin.patch_month
            if new and (patch_month is None or new > patch_month):
                patch_month = new
            unit_row = ("unit_update", {**params, "patch_month": patch_month})
        written = yield [
            ("checkin", params),
            unit_row,
            *_moves(before, (*after, patch_month or NO_PATCH)),
        ]
        if state is None and not written[1].rows:
            raise Again  # another transaction made the unit's row after our read
        return (yield from self._alert_steps(alerts, params["now"]))

    def _alert_steps(self, alerts: list[NewAlert], now: Any) -> Steps[list[str]]:
        opened: list[str] = []
        hooks: dict[str, list[str]] = {}
        for alert in alerts:
            row = {
                "id": alert.id,
                "device_id": alert.device_id,
                "partner_id": alert.partner_id,
                "kind": alert.kind,
                "reason": alert.reason,
                "detail": json.dumps(alert.detail),
                "now": now,
                "open_key": f"{alert.device_id}|{alert.kind}|{alert.reason}",
            }
            (added,) = yield [("alert", row)]
            if not added.rows:
                continue  # already open
            opened.append(alert.id)
            if alert.partner_id not in hooks:
                (found,) = yield [("hooks", {"partner_id": alert.partner_id})]
                hooks[alert.partner_id] = [hook for (hook,) in found.rows]
            event = json.dumps(alert.event)
            deliveries = [
                {
                    "webhook_id": hook,
                    "alert_id": alert.id,
                    "event": event,
                    "id": new_id(),
                    "now": now,
                }
                for hook in hooks[alert.partner_id]
            ]
            if deliveries:
                yield [("delivery", delivery) for delivery in deliveries]
        return opened


def _moves(before: tuple[Any, ...] | None, after: tuple[Any, ...]) -> list[Statement]:
    """One unit from the roll-up bucket ``before`` to ``after`` (rows in key order, so two
    writers never wait on each other in a cycle)."""
    if before == after:
        return []
    moves = sorted([(after, 1)] + ([(before, -1)] if before is not None else []))
    return [
        (
            "count",
            {
                "partner_id": partner,
                "model_code": model,
                "territory": territory,
                "level": level,
                "patch_month": month,
                "units": units,
            },
        )
        for (partner, model, territory, level, month), units in moves
    ]


def contended() -> UnavailableError:
    return UnavailableError("checkin_contended", "the unit's posture kept changing; retry")


class _Unread(Exception):
    """``decide`` asked for the holder of an IMEI not read yet."""

    def __init__(self, imei: str) -> None:
        self.imei = imei


class Again(Exception):
    """The write's transaction is rolled back and tried again."""
