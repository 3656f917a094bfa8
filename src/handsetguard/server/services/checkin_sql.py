"""The attested check-in hot path's SQL (services/checkin_store.py runs it), per dialect: the
read (credential, unit, challenge, posture row and check-in history in one statement), the
holder of an IMEI, and the write."""

from __future__ import annotations

from handsetguard.server.models import CheckInChallenge
from handsetguard.server.services.alert_sql import open_alerts_ctes
from handsetguard.server.services.credentials import LOOKUP_COLUMNS
from handsetguard.server.services.dbapi import (
    UNIT_DEVICE_COLUMNS,
    pyformat,
    with_ctes,
    write_variants,
)
from handsetguard.server.services.fleet_state import COUNT_BUCKET, COUNT_UPSERT

__all__ = ["CHALLENGE_COLUMNS", "HISTORY", "UNIT_COLUMNS", "WRITE_FLAGS", "statements"]

HISTORY = 100
"""Verified check-ins of a unit looked back over for an earlier boot key (clones.py, rule 3)."""

_UNIT = UNIT_DEVICE_COLUMNS
_UNIT_LIST = ", ".join(f"d.{c.key}" for c in _UNIT)
_CHALLENGE = (CheckInChallenge.device_id, CheckInChallenge.credential_id)
_CHALLENGE_TIMES = (CheckInChallenge.used_at, CheckInChallenge.expires_at)
_VERIFIED = "FROM fleet_checkins WHERE device_id = :device_id AND verified"
_READ = (
    "SELECT "
    + ", ".join(f"c.{c.key}" for c in LOOKUP_COLUMNS)
    + f", {_UNIT_LIST}, ch.device_id, ch.credential_id, ch.used_at, ch.expires_at,"
    # The unit's posture row as the write will find it unless another write came between.
    " u.partner_id, u.model_code, u.territory, u.last_checkin_id, u.level, u.patch_month,"
    # Its verified check-ins before this one: the first's facts, the latest's boot key, and
    # the distinct keys of the HISTORY - 1 before that (clones.py, rule 3).
    f" (SELECT attested {_VERIFIED} ORDER BY received_at LIMIT 1),"
    f" (SELECT BOOT_KEY {_VERIFIED} ORDER BY received_at DESC LIMIT 1),"
    f" (SELECT AGGREGATE(DISTINCT e.k) FROM (SELECT BOOT_KEY AS k {_VERIFIED}"
    f" ORDER BY received_at DESC LIMIT {HISTORY - 1} OFFSET 1) AS e),"
    " c.id IS NOT NULL, d.id IS NOT NULL, ch.value IS NOT NULL, u.device_id IS NOT NULL"
    # One statement, one row whatever is missing: each of the four is there or not.
    " FROM (SELECT 1 AS one) AS k"
    " LEFT JOIN credentials c ON c.id = :credential_id"
    " LEFT JOIN devices d ON d.id = :device_id"
    " LEFT JOIN fleet_challenges ch ON ch.value = :challenge"
    " LEFT JOIN fleet_units u ON u.device_id = :device_id"
)
_CONSUME = (
    "UPDATE fleet_challenges SET used_at = :now WHERE value = :challenge"
    " AND device_id = :device_id AND credential_id = :credential_id AND used_at IS NULL"
    " AND expires_at > :now"
    " AND EXISTS (SELECT 1 FROM devices WHERE id = :device_id AND status = 'active')"
)
_KEY = {
    "sqlite": "json_extract(attested, '$.verified_boot_key')",
    "postgresql": "attested->>'verified_boot_key'",
}
_KEYS = {"sqlite": "json_group_array", "postgresql": "array_agg"}
_OWNER = (
    f"SELECT {_UNIT_LIST} FROM devices d JOIN device_imeis i ON i.device_id = d.id"
    " WHERE i.imei = :imei"
)
_SEEN = "partner_id, model_code, territory, last_checkin_id, level, patch_month"
_STATE = f"SELECT {_SEEN} FROM fleet_units WHERE device_id = :device_id"
_CHECKIN_FIELDS = (
    "id, device_id, partner_id, received_at, credential_id, verified, failure, attested,"
    " os_reported"
)
_CHECKIN_VALUES = (
    ":id, :device_id, :partner_id, :now, :credential_id, :verified, :failure, :attested,"
    " :os_reported"
)
_UNIT_SET = (
    "last_checkin_id = :id, last_checkin_at = :now, last_seen_at = :now,"
    " stale_alerted = :false, patch_month = :patch_month"
)
_UNIT_FIELDS = (
    "device_id, partner_id, model_code, territory, last_checkin_id, last_checkin_at,"
    " last_seen_at, level, patch_month, stale_alerted"
)
_UNIT_VALUES = (
    ":device_id, :partner_id, :model_code, :territory, :id, :now, :now, 'unknown',"
    " :patch_month, :false"
)
_SQLITE = {
    "state": _STATE,
    "consume": _CONSUME,
    "checkin": f"INSERT INTO fleet_checkins ({_CHECKIN_FIELDS}) VALUES ({_CHECKIN_VALUES})",
    "unit_update": f"UPDATE fleet_units SET {_UNIT_SET} WHERE device_id = :device_id",
    "unit_insert": f"INSERT INTO fleet_units ({_UNIT_FIELDS}) VALUES ({_UNIT_VALUES})",
    "count": f"INSERT INTO fleet_counts ({COUNT_BUCKET}, units) VALUES (:partner_id, :model_code,"
    f" :territory, :level, :patch_month, :units) {COUNT_UPSERT}",
}
_PG_CHECKIN_VALUES = _CHECKIN_VALUES.replace(":attested", ":attested::json").replace(
    ":os_reported", ":os_reported::json"
)
_PG_PARTS = {
    "st": f"{_STATE} FOR UPDATE",
    "ok": "SELECT 1 AS go WHERE (SELECT count(*) FROM st) = :had_state"
    f" AND NOT EXISTS (SELECT 1 FROM st WHERE ({_SEEN}) IS DISTINCT FROM (:seen_partner,"
    " :seen_model, :seen_territory, :seen_checkin, :seen_level, :seen_patch))",
    "ch": _CONSUME.replace(" WHERE value", " FROM ok WHERE value") + " RETURNING 1 AS go",
    "i": f"INSERT INTO fleet_checkins ({_CHECKIN_FIELDS}) SELECT {_PG_CHECKIN_VALUES} FROM ch",
    "u": f"UPDATE fleet_units SET {_UNIT_SET} FROM ch WHERE fleet_units.device_id = :device_id",
    "n": f"INSERT INTO fleet_units ({_UNIT_FIELDS}) SELECT {_UNIT_VALUES} FROM ch",
    "c": f"""INSERT INTO fleet_counts ({COUNT_BUCKET}, units)
    SELECT m.partner_id, m.model_code, m.territory, m.level, m.patch_month, m.units
    FROM ch, unnest(:c_partner::text[], :c_model::text[], :c_territory::text[],
        :c_level::text[], :c_month::text[], :c_units::int[]) WITH ORDINALITY
        AS m(partner_id, model_code, territory, level, patch_month, units, k)
    ORDER BY m.k
    {COUNT_UPSERT}""",
}


def pg_write(new_unit: bool, moves: bool, alerts: bool) -> str:
    """PostgreSQL's write, one statement: the unit's posture row locked and still as read
    (there or not, the same bucket and last check-in), the challenge used (unused,
    unexpired, this unit's and credential's, the unit active), then the check-in, the posture
    row, the roll-up moves (rows in key order) and the alerts — in the variant with only the
    parts the case needs. A first check-in's posture row made meanwhile by another
    transaction fails the statement (unique violation): nothing is written either way, and
    the caller reads again."""
    parts = _PG_PARTS
    opening, opened = open_alerts_ctes("ch", alerts)
    return with_ctes(
        [
            *((name, parts[name]) for name in ("st", "ok", "ch", "i")),
            ("n", parts["n"]) if new_unit else ("u", parts["u"]),
            ("c", parts["c"] if moves else None),
            *opening,
        ],
        f"SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM ch), {opened}",
    )


WRITE_FLAGS = ("new", "moves", "alerts")
"""What tells the write's variants apart (:func:`pg_write`'s arguments, in order)."""


UNIT_COLUMNS = _UNIT
CHALLENGE_COLUMNS = (*_CHALLENGE, *_CHALLENGE_TIMES)


def statements(dialect: str) -> dict[str, str]:
    """The hot path's statements for ``dialect`` (``sqlite`` or ``postgresql``: its
    placeholders, the boot key's extraction and aggregation; the write is one statement on
    PostgreSQL, its steps one by one on SQLite)."""
    read = _READ.replace("BOOT_KEY", _KEY[dialect]).replace("AGGREGATE", _KEYS[dialect])
    if dialect == "sqlite":
        return {"read": read, "owner": _OWNER, **_SQLITE}
    found = {"read": read, "owner": _OWNER, **write_variants(pg_write, WRITE_FLAGS)}
    return {name: pyformat(sql) for name, sql in found.items()}
