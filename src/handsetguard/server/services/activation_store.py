"""The activation hot path's database statements, written per dialect and run on the bare
DBAPI connection: the one request the service must answer hundreds of times a second.

PostgreSQL, two round trips per activation:

1. :meth:`Store.read` — one pipelined batch of reads (the credential with the active
   signing key, the devices holding the serial, an IMEI or the MEID joined with their stored
   activations, the partner's agreements, the nonce), taking no lock.
2. :meth:`Store.write` — *one* statement, run as its own transaction (autocommit). Its first
   part is the guarded counter ``UPDATE agreements SET used = used + 1 WHERE id = … AND
   version = v AND status = 'active' AND used < unit_limit RETURNING used``; every insert
   (device, IMEIs, activation, audit entry) and the audit head's advance select *from* that
   result, so when the guard refuses nothing at all is written, and when a UNIQUE
   identifier is taken the whole statement rolls back, counter included. The audit entry is
   hashed by the database (``sha256`` over the entry's canonical JSON, cut by
   :func:`audit.entry_template` where the counter value and the entry's own sequence number
   go), so the chain head is locked only while this one statement commits. With a nonce,
   the nonce's consumption runs first in the same explicit transaction, which is rolled
   back unless both succeed.

:class:`~handsetguard.server.services.activation_async.AsyncPgStore` runs the same
PostgreSQL statements on psycopg's asyncio connections, for the server's event loop.

SQLite is in-process, so round trips cost nothing: the reads run in one deferred
transaction, the writes in one ``BEGIN IMMEDIATE`` transaction, statement by statement.

Values are converted with the models' own SQLAlchemy types (result and bind processors),
so what this module reads and writes is exactly what the ORM reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from handsetguard.server.core.envelope import canonical_json
from handsetguard.server.db import Database
from handsetguard.server.errors import InvalidInputError, UnavailableError
from handsetguard.server.models import (
    Activation,
)
from handsetguard.server.services import audit
from handsetguard.server.services.activation_sql import (
    AFTER_HOLES,
    AGREEMENT_STATE,
    AUDIT_HOLES,
    CONSUME_NONCE,
    PG_WRITE,
    READ_COLUMNS,
    READS,
    SQLITE_WRITES,
)
from handsetguard.server.services.dbapi import pyformat, row_reader
from handsetguard.server.services.keys import KeyVault
from handsetguard.server.services.licence_checks import rate_for

__all__ = [
    "Conflict",
    "NonceLost",
    "Refused",
    "Snapshot",
    "Store",
    "Unit",
    "Written",
    "nonce_params",
]


class Conflict(Exception):
    """A UNIQUE identifier was taken (the same unit sent twice at once, or another unit's
    serial/IMEI): nothing was written."""


class NonceLost(Exception):
    """The nonce was consumed by another request between the read and the write."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one activation reads, before any lock is taken."""

    credential: dict[str, Any] | None
    devices: list[dict[str, Any]]
    """Each device holding the serial, an IMEI or the MEID, with its activation
    (STORED_COLUMNS)."""
    agreements: list[dict[str, Any]]
    signer: tuple[str, Ed25519PrivateKey] | None
    """The active signing key: (kid, key)."""
    nonce: dict[str, Any] | None
    blocked: tuple[str, ...] = ()
    """The unit's IMEIs that are on the imported blocklist."""


@dataclass(frozen=True, slots=True)
class Unit:
    """Everything the write needs: the new rows' ids and values, decided before it runs."""

    device_id: str
    activation_id: str
    serial: str
    imei1: str
    imei2: str | None
    meid: str | None
    model_code: str
    territory: str
    factory_line: str | None
    partner_id: str
    agreement_id: str
    version: int
    quota: int
    unit_limit: int
    overage_policy: str
    tiers: list[dict[str, Any]]
    currency: str
    credential_id: str
    actor_role: str
    kid: str
    token: str
    token_overage: str
    """The activation signed with ``overage: true`` (the database decides which is true)."""
    attested: bool
    nonce: str | None
    now: datetime
    audit_fields: dict[str, Any]
    """:func:`audit.entry_fields` with :data:`AUDIT_HOLES` as :class:`audit.Hole` values."""


@dataclass(frozen=True, slots=True)
class Written:
    seq: int
    overage: bool


class Store:
    """The hot path's statements for one :class:`Database` (its dialect decides which)."""

    def __init__(self, db: Database, vault: KeyVault) -> None:
        self.db, self.vault = db, vault
        dialect = db.write_engine.dialect
        self.dbapi = dialect.loaded_dbapi
        self._read_as = {
            read: row_reader(dialect, columns, names)
            for read, (columns, names) in READ_COLUMNS.items()
        }
        stamp = Activation.issued_at.type
        self._timestamp = stamp.dialect_impl(dialect).bind_processor(dialect)
        placeholders: Callable[[str], str] = str if db.sqlite else pyformat
        self._reads = {k: placeholders(v) for k, v in READS.items()}
        self._agreement_state = placeholders(AGREEMENT_STATE)
        self._consume_nonce = placeholders(CONSUME_NONCE)
        self._pg_write = pyformat(PG_WRITE)

    def _ts(self, value: datetime) -> Any:
        return value if self._timestamp is None else self._timestamp(value)

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        """Driver exceptions as the service's: a taken identifier is :class:`Conflict`, an
        unreachable or locked database 503, a value the database cannot store 422."""
        try:
            yield
        except self.dbapi.IntegrityError:
            raise Conflict from None
        except self.dbapi.OperationalError as exc:
            raise UnavailableError(
                "database_unavailable", f"the database is unavailable ({type(exc).__name__}); retry"
            ) from None
        except self.dbapi.DataError:
            raise InvalidInputError(
                "invalid_value", "a value cannot be stored (control characters?)"
            ) from None

    def read(
        self,
        credential_id: str,
        serial: str,
        imeis: tuple[str, str | None],
        nonce: str | None,
        meid: str | None = None,
    ) -> Snapshot:
        names, params = self._read_request(credential_id, serial, imeis, nonce, meid)
        with self._driver_errors():
            try:
                rows = self._fetch(names, params)
            except self.dbapi.OperationalError:
                # A pooled connection the server dropped (restart, failover) is discarded
                # when it fails; reads change nothing, so try once more on a fresh one.
                rows = self._fetch(names, params)
        return self._snapshot(rows)

    def _read_request(
        self,
        credential_id: str,
        serial: str,
        imeis: tuple[str, str | None],
        nonce: str | None,
        meid: str | None,
    ) -> tuple[list[str], dict[str, Any]]:
        params = {
            "credential_id": credential_id,
            "serial": serial,
            "imei1": imeis[0],
            "imei2": imeis[1],
            "nonce": nonce,
            "meid": meid,
        }
        return [n for n in self._reads if n != "nonce" or nonce is not None], params

    def _snapshot(self, rows: dict[str, list[Any]]) -> Snapshot:
        found = {n: [self._read_as[n](r) for r in found] for n, found in rows.items()}
        credential = next(iter(found["credential"]), None)
        signer = None
        if credential is not None and credential["signer_kid"] is not None:
            kid = credential["signer_kid"]
            signer = (kid, self.vault.open(kid, credential["signer_key"]))
        return Snapshot(
            credential=credential,
            devices=found["devices"],
            agreements=found["agreements"],
            signer=signer,
            nonce=next(iter(found.get("nonce", [])), None),
            blocked=tuple(r["imei"] for r in found.get("blocked", [])),
        )

    def _fetch(self, names: list[str], params: dict[str, Any]) -> dict[str, list[Any]]:
        with self.db.dbapi() as conn:
            if self.db.sqlite:
                return {n: conn.execute(self._reads[n], params).fetchall() for n in names}
            with conn.pipeline():
                cursors = {n: conn.execute(self._reads[n], params) for n in names}
            return {n: cur.fetchall() for n, cur in cursors.items()}

    def agreement_state(self, agreement_id: str) -> tuple[str, int] | None:
        with self._driver_errors(), self.db.dbapi() as conn:
            row = conn.execute(self._agreement_state, {"agreement_id": agreement_id}).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def write(self, unit: Unit) -> Written | None:
        """Count, insert and audit one activation in one transaction; None (and nothing
        written) when the guard refused: agreement changed, not active, or at its limit.
        Raises :class:`Conflict` or :class:`NonceLost` with nothing written."""
        with self._driver_errors():
            return self._write_sqlite(unit) if self.db.sqlite else self._write_pg(unit)

    def _consume(self, conn: Any, unit: Unit, now: Any) -> None:
        if conn.execute(self._consume_nonce, nonce_params(unit, now)).rowcount != 1:
            raise NonceLost

    def _write_pg(self, unit: Unit) -> Written | None:
        params = self._pg_params(unit)
        try:
            with self.db.dbapi(write=True) as conn:
                if unit.nonce is None:
                    row = conn.execute(self._pg_write, params).fetchone()
                else:
                    with conn.transaction():
                        self._consume(conn, unit, params["now"])
                        row = conn.execute(self._pg_write, params).fetchone()
                        if row is None:
                            raise Refused  # rolls the nonce's consumption back
        except Refused:
            return None
        return None if row is None else Written(int(row[0]), bool(row[1]))

    def _pg_params(self, unit: Unit) -> dict[str, Any]:
        parts = audit.entry_template(unit.audit_fields, AUDIT_HOLES)
        after = audit.entry_template(unit.audit_fields["after"], AFTER_HOLES)
        params: dict[str, Any] = {
            **_unit_params(unit),
            "now": self._ts(unit.now),
            "imeis": [i for i in (unit.imei1, unit.imei2) if i is not None],
            "tier_from": [int(t["from_units"]) for t in unit.tiers],
            "tier_rate": [str(Decimal(t["rate"])) for t in unit.tiers],
            "token_overage": unit.token_overage,
            "at": unit.audit_fields["at"],
            "actor_role": unit.actor_role,
            **{f"part{n}": part for n, part in enumerate(parts)},
            **{f"after{n}": part.decode() for n, part in enumerate(after)},
        }
        params["part0"] = b"\n" + params["part0"]
        return params

    def _write_sqlite(self, unit: Unit) -> Written | None:
        sql, now = SQLITE_WRITES, self._ts(unit.now)
        params = {**_unit_params(unit), "now": now}
        try:
            with self.db.dbapi(write=True) as conn:
                if unit.nonce is not None:
                    self._consume(conn, unit, now)
                row = conn.execute(sql["count"], params).fetchone()
                if row is None:
                    raise Refused
                seq = int(row[0])
                overage = seq > unit.quota
                conn.execute(sql["device"], params)
                conn.executemany(
                    sql["imei"],
                    [
                        {"imei": i, "device_id": unit.device_id}
                        for i in (unit.imei1, unit.imei2)
                        if i is not None
                    ],
                )
                conn.execute(
                    sql["activation"],
                    {
                        **params,
                        "seq": seq,
                        "overage": overage,
                        "unit_rate": str(rate_for(unit.tiers, seq)),
                        "token": unit.token_overage if overage else unit.token,
                    },
                )
                head_seq, prev = conn.execute(sql["head"]).fetchone()
                fields = audit.fill_holes(
                    unit.audit_fields,
                    {"overage": overage, "counter": seq, "entry_seq": head_seq + 1},
                )
                digest = audit.entry_hash(prev, fields)
                conn.execute(
                    sql["audit"],
                    {
                        **fields,
                        "before": None,
                        "after": canonical_json(fields["after"]).decode(),
                        "prev_hash": prev,
                        "hash": digest,
                    },
                )
                conn.execute(
                    sql["advance"], {"seq": head_seq + 1, "prev_hash": prev, "hash": digest}
                )
        except Refused:
            return None
        return Written(seq, overage)


class Refused(Exception):
    """The guard refused: roll the transaction back (the nonce with it)."""


def nonce_params(unit: Unit, now: Any) -> dict[str, Any]:
    return {"now": now, "nonce": unit.nonce, "credential_id": unit.credential_id}


def _unit_params(unit: Unit) -> dict[str, Any]:
    return {
        "agreement_id": unit.agreement_id,
        "version": unit.version,
        "device_id": unit.device_id,
        "activation_id": unit.activation_id,
        "serial": unit.serial,
        "imei1": unit.imei1,
        "imei2": unit.imei2,
        "meid": unit.meid,
        "model_code": unit.model_code,
        "territory": unit.territory,
        "factory_line": unit.factory_line,
        "partner_id": unit.partner_id,
        "credential_id": unit.credential_id,
        "currency": unit.currency,
        "kid": unit.kid,
        "token": unit.token,
        "attested": unit.attested,
        "now": unit.now,
    }
