"""The attested check-in hot path's SQL (services/checkin_store.py runs it), per dialect."""

from __future__ import annotations

from handsetguard.server.models import CheckInChallenge
from handsetguard.server.services.credentials import LOOKUP_COLUMNS
from handsetguard.server.services.dbapi import UNIT_DEVICE_COLUMNS, pyformat

__all__ = ["CHALLENGE_COLUMNS", "HISTORY", "UNIT_COLUMNS", "statements"]

HISTORY = 100
"""Verified check-ins of a unit looked back over for an earlier boot key (clones.py, rule 3)."""

_UNIT = UNIT_DEVICE_COLUMNS
_UNIT_LIST = ", ".join(f"d.{c.key}" for c in _UNIT)
_CHALLENGE = (CheckInChallenge.device_id, CheckInChallenge.credential_id)
_CHALLENGE_TIMES = (CheckInChallenge.used_at, CheckInChallenge.expires_at)
_READ = (
    "SELECT "
    + ", ".join(f"c.{c.key}" for c in LOOKUP_COLUMNS)
    + f", {_UNIT_LIST}, ch.device_id, ch.credential_id, ch.used_at, ch.expires_at,"
    " c.id IS NOT NULL, d.id IS NOT NULL, ch.value IS NOT NULL"
    # One statement, one row whatever is missing: each of the three is there or not.
    " FROM (SELECT 1 AS one) AS k"
    " LEFT JOIN credentials c ON c.id = :credential_id"
    " LEFT JOIN devices d ON d.id = :device_id"
    " LEFT JOIN fleet_challenges ch ON ch.value = :challenge"
)
_CONSUME = (
    "UPDATE fleet_challenges SET used_at = :now WHERE value = :challenge"
    " AND device_id = :device_id AND credential_id = :credential_id AND used_at IS NULL"
    " AND expires_at > :now"
    " AND EXISTS (SELECT 1 FROM devices WHERE id = :device_id AND status = 'active')"
)
_STATE = (
    "SELECT partner_id, model_code, territory, level, patch_month FROM fleet_units"
    " WHERE device_id = :device_id"
)
_VERIFIED = "FROM fleet_checkins WHERE device_id = :device_id AND verified"
_HISTORY = (
    f"SELECT (SELECT attested {_VERIFIED} ORDER BY received_at LIMIT 1),"
    f" (SELECT KEY {_VERIFIED} ORDER BY received_at DESC LIMIT 1),"
    f" (SELECT count(*) FROM (SELECT KEY AS k {_VERIFIED} ORDER BY received_at DESC"
    f" LIMIT {HISTORY - 1} OFFSET 1) AS e WHERE e.k = :key)"
)
_KEY = {
    "sqlite": "json_extract(attested, '$.verified_boot_key')",
    "postgresql": "attested->>'verified_boot_key'",
}
_OWNER = (
    f"SELECT {_UNIT_LIST} FROM devices d JOIN device_imeis i ON i.device_id = d.id"
    " WHERE i.imei = :imei"
)
_CHECKIN = (
    "INSERT INTO fleet_checkins (id, device_id, partner_id, received_at, credential_id,"
    " verified, failure, attested, os_reported) VALUES (:id, :device_id, :partner_id, :now,"
    " :credential_id, :verified, :failure, :attested, :os_reported)"
)
_UNIT_UPDATE = (
    "UPDATE fleet_units SET last_checkin_id = :id, last_checkin_at = :now, last_seen_at = :now,"
    " stale_alerted = :false, patch_month = :patch_month WHERE device_id = :device_id"
)
_UNIT_INSERT = (
    "INSERT INTO fleet_units (device_id, partner_id, model_code, territory, last_checkin_id,"
    " last_checkin_at, last_seen_at, level, patch_month, stale_alerted) VALUES (:device_id,"
    " :partner_id, :model_code, :territory, :id, :now, :now, 'unknown', :patch_month, :false)"
    " ON CONFLICT (device_id) DO NOTHING RETURNING device_id"
)
_BUCKET = "partner_id, model_code, territory, level, patch_month"
_COUNT = (
    f"INSERT INTO fleet_counts ({_BUCKET}, units) VALUES (:partner_id, :model_code,"
    " :territory, :level, :patch_month, :units) ON CONFLICT"
    f" ({_BUCKET}) DO UPDATE SET units = fleet_counts.units + excluded.units"
)
_ALERT = (
    "INSERT INTO fleet_alerts (id, device_id, partner_id, kind, reason, detail, raised_at,"
    " status, open_key) VALUES (:id, :device_id, :partner_id, :kind, :reason, :detail, :now,"
    " 'open', :open_key) ON CONFLICT (open_key) DO NOTHING RETURNING id"
)
_HOOKS = "SELECT id FROM fleet_webhooks WHERE partner_id = :partner_id AND active"
_DELIVERY = (
    "INSERT INTO fleet_deliveries (id, webhook_id, alert_id, event, status, attempts,"
    " created_at, next_attempt_at) VALUES (:id, :webhook_id, :alert_id, :event, 'pending', 0,"
    " :now, :now)"
)
_JSON_PARAMS = (":attested", ":os_reported", ":detail", ":event")

UNIT_COLUMNS = _UNIT
CHALLENGE_COLUMNS = (*_CHALLENGE, *_CHALLENGE_TIMES)


def statements(dialect: str) -> dict[str, str]:
    """The hot path's statements for ``dialect`` (``sqlite`` or ``postgresql``: its
    placeholders, JSON casts, the boot key's extraction and the posture row's lock)."""
    sqlite = dialect == "sqlite"
    found = {
        "read": _READ,
        "consume": _CONSUME,
        "state": _STATE if sqlite else f"{_STATE} FOR UPDATE",
        "history": _HISTORY.replace("KEY", _KEY[dialect]),
        "owner": _OWNER,
        "checkin": _CHECKIN,
        "unit_update": _UNIT_UPDATE,
        "unit_insert": _UNIT_INSERT,
        "count": _COUNT,
        "alert": _ALERT,
        "hooks": _HOOKS,
        "delivery": _DELIVERY,
    }
    if not sqlite:
        for name, sql in found.items():
            for param in _JSON_PARAMS:
                sql = sql.replace(f"{param},", f"{param}::json,")
                sql = sql.replace(f"{param})", f"{param}::json)")
            found[name] = pyformat(sql)
    return found
