"""The attested check-in hot path's statements (``POST /v1/checkins``), written per dialect and
run on the bare DBAPI connection, as the report store's (services/report_store.py).

1. :meth:`CheckinStore.read` — no lock, one statement: the credential, the unit, the
   challenge, the unit's posture row and its check-in history (its first verified check-in,
   the boot key of the latest and the keys of the 99 before that), so that every refusal
   (credential, role, scope, unit, challenge) is decided before the chain is verified, in the
   order the issue gives.
2. The caller verifies the chain (CPU only, no connection held) and decides the alerts from
   the history; the holder of an attested IMEI that is not the unit's is read if a rule needs
   it (:meth:`CheckinStore.owner`).
3. :meth:`CheckinStore.write` — one statement on PostgreSQL, its own transaction (SQLite: the
   same steps in one ``BEGIN IMMEDIATE``). It locks the unit's posture row and goes on only if
   the row is as read (there or not, the same bucket and last check-in) — else
   :data:`STALE`, nothing written, and the caller reads again; then the challenge is used by
   one guarded UPDATE (unused, unexpired, issued for this unit to this credential, the unit
   still active; else None, nothing written), so two processes cannot both use it; then the
   check-in, the posture row, the roll-up move and the alerts (deduplicated while open,
   queued for the partners' webhooks) are written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from handsetguard.server.db import Database
from handsetguard.server.errors import InvalidInputError, UnavailableError
from handsetguard.server.models import CheckIn
from handsetguard.server.services.alert_sql import OpenAlert, alert_params, open_alerts_sqlite
from handsetguard.server.services.checkin_sql import (
    CHALLENGE_COLUMNS,
    HISTORY,
    UNIT_COLUMNS,
    WRITE_FLAGS,
    statements,
)
from handsetguard.server.services.credentials import LOOKUP_COLUMNS
from handsetguard.server.services.dbapi import Steps, row_reader, run_steps, variant_name
from handsetguard.server.services.fleet_state import NO_PATCH, bucket_moves

__all__ = [
    "ATTEMPTS",
    "HISTORY",
    "STALE",
    "CheckinRead",
    "CheckinStore",
    "History",
    "NewCheckin",
    "Owner",
    "Posture",
    "Stale",
    "contended",
]


NO_LEVEL = "unknown"
"""The posture level of a unit that no report has graded yet."""
SEEN = ("seen_partner", "seen_model", "seen_territory", "seen_checkin", "seen_level", "seen_patch")
"""The write's parameters of the posture row as read (:class:`Posture`'s fields, in order)."""
ATTEMPTS = 4
"""Reads and writes tried when another report or check-in of the unit got in between."""


@dataclass(frozen=True, slots=True)
class Posture:
    """The unit's posture row as read: the write goes on only if it is still so."""

    partner_id: str
    model_code: str
    territory: str
    last_checkin_id: str | None
    level: str
    patch_month: str | None


@dataclass(frozen=True, slots=True)
class History:
    """What the rules need of the unit's verified check-ins before this one."""

    first: dict[str, Any] | None
    """The attested facts of its first verified check-in (None: there is none)."""
    previous_key: str | None
    """The boot key of its latest verified check-in."""
    earlier_keys: frozenset[str]
    """The boot keys of the HISTORY - 1 verified check-ins before the latest."""


@dataclass(frozen=True, slots=True)
class CheckinRead:
    credential: dict[str, Any] | None
    unit: dict[str, Any] | None
    """The device's columns (``id``, ``partner_id``, ``serial``, ``imei1``, …, ``status``)."""
    challenge: dict[str, Any] | None
    """``device_id``, ``credential_id``, ``used_at``, ``expires_at``."""
    posture: Posture | None
    """None: the unit has no posture row yet (no report or check-in)."""
    history: History


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


Owner = Callable[[str], dict[str, Any] | None]
"""The unit holding an IMEI (the device's columns)."""


@dataclass(frozen=True, slots=True)
class Stale:
    """The unit's posture row is no longer as read: nothing was written; read again."""


STALE = Stale()


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
        *values, has_credential, has_unit, has_challenge, has_posture = result.rows[0]
        credential = len(LOOKUP_COLUMNS)
        unit = credential + len(UNIT_COLUMNS)
        challenge_end = unit + len(CHALLENGE_COLUMNS)
        *posture, first, previous_key, keys = values[challenge_end:]
        return CheckinRead(
            self._credential(values[:credential]) if has_credential else None,
            self._unit(values[credential:unit]) if has_unit else None,
            self._challenge(values[unit:challenge_end]) if has_challenge else None,
            Posture(*posture) if has_posture else None,
            History(
                None if first is None else self._attested((first,))["attested"],
                previous_key,
                _keys(keys),
            ),
        )

    def owner(self, imei: str) -> dict[str, Any] | None:
        with self.driver_errors(), self.db.dbapi() as conn:
            return run_steps(conn, self.sql, self.owner_steps(imei), pipeline=False)

    def owner_steps(self, imei: str) -> Steps[dict[str, Any] | None]:
        """The unit holding ``imei`` (the device's columns), or None."""
        (found,) = yield [("owner", {"imei": imei})]
        row = next(iter(found.rows), None)
        return None if row is None else self._unit(row)

    def params(self, checkin: NewCheckin, seen: Posture | None, now: datetime) -> dict[str, Any]:
        """The write's parameters: the check-in, the posture row as read (the write's guard)
        and what it becomes — the patch month moves only forward, the unit moves bucket."""
        if seen is None:
            where = (checkin.partner_id, checkin.model_code, checkin.territory)
            before, level, patch_month = None, NO_LEVEL, checkin.patch_month
        else:
            where = (seen.partner_id, seen.model_code, seen.territory)
            before = (*where, seen.level, seen.patch_month or NO_PATCH)
            level, patch_month, new = seen.level, seen.patch_month, checkin.patch_month
            if new and (patch_month is None or new > patch_month):
                patch_month = new
        after = (*where, level, patch_month or NO_PATCH)
        moves = bucket_moves(before, after)
        seen_row = (
            (None,) * len(SEEN)
            if seen is None
            else (*where, seen.last_checkin_id, seen.level, seen.patch_month)
        )
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
            "patch_month": patch_month,
            "false": False,
            "had_state": int(seen is not None),
            **dict(zip(SEEN, seen_row, strict=True)),
            "moves": moves,
        }

    def write(
        self,
        checkin: NewCheckin,
        seen: Posture | None,
        alerts: list[OpenAlert],
        now: datetime,
        *,
        wait: bool = True,
    ) -> list[str] | Stale | None:
        """Store the check-in; the ids of the alerts it opened, :data:`STALE` when the unit's
        posture row is no longer ``seen``, or None when the challenge could not be used (used,
        expired or the unit revoked since it was read). Nothing is written unless it is
        stored. ``wait=False`` (SQLite): ``db.WriterBusy`` at once, nothing done, if another
        writer has the turn."""
        params = self.params(checkin, seen, now)
        with self.driver_errors():
            if self.db.sqlite:
                return self._write_sqlite(params, alerts, wait)
            try:
                with self.db.dbapi(write=True) as conn:
                    steps = self.pg_write_steps(params, alerts)
                    return run_steps(conn, self.sql, steps, pipeline=False)
            except self.dbapi.IntegrityError as exc:
                return self.stale(exc)

    def stale(self, exc: Exception) -> Stale:
        """A PostgreSQL write's IntegrityError: a first check-in's posture row made meanwhile
        by another transaction (a unique violation: read again); anything else is raised."""
        if getattr(exc, "sqlstate", None) == "23505":
            return STALE
        raise exc

    def pg_write_steps(
        self, params: dict[str, Any], alerts: list[OpenAlert]
    ) -> Steps[list[str] | Stale | None]:
        """PostgreSQL: the one guarded statement (module docstring)."""
        moves = params["moves"]
        if moves:
            columns = ("c_partner", "c_model", "c_territory", "c_level", "c_month")
            params = {
                **params,
                **{name: [key[i] for key, _ in moves] for i, name in enumerate(columns)},
                "c_units": [units for _, units in moves],
            }
        if alerts:
            params = {**params, **alert_params(alerts)}
        name = variant_name(WRITE_FLAGS, (not params["had_state"], bool(moves), bool(alerts)))
        (result,) = yield [(name, params)]
        went, used, opened = result.rows[0]
        if not went:
            return STALE
        return list(opened) if used else None

    def _write_sqlite(
        self, params: dict[str, Any], alerts: list[OpenAlert], wait: bool
    ) -> list[str] | Stale | None:
        sql = self.sql
        with self.db.dbapi(write=True, wait=wait) as conn:
            row = conn.execute(sql["state"], params).fetchone()
            seen = tuple(params[name] for name in SEEN)
            if (row is not None) != bool(params["had_state"]) or (row and tuple(row) != seen):
                return STALE
            if conn.execute(sql["consume"], params).rowcount != 1:
                return None
            conn.execute(sql["checkin"], params)
            conn.execute(sql["unit_update" if row else "unit_insert"], params)
            bucket = ("partner_id", "model_code", "territory", "level", "patch_month")
            conn.executemany(
                sql["count"],
                [{**dict(zip(bucket, key, strict=True)), "units": n} for key, n in params["moves"]],
            )
            return open_alerts_sqlite(conn, alerts, params["now"])


def _keys(value: Any) -> frozenset[str]:
    """The aggregated boot keys: a PostgreSQL array, SQLite's JSON array text, or NULL."""
    if isinstance(value, str):
        value = json.loads(value)
    return frozenset(k for k in value or () if k is not None)


def contended() -> UnavailableError:
    return UnavailableError("checkin_contended", "the unit's posture kept changing; retry")
