"""The report ingestion hot path's SQL (services/report_store.py runs it): the unit's read,
the baseline document's, and the write — one guarded statement on PostgreSQL, its steps one
by one on SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from handsetguard.server.models import FleetBaseline, FleetGolden, FleetUnit
from handsetguard.server.services.alert_sql import open_alerts_ctes
from handsetguard.server.services.credentials import LOOKUP_COLUMNS, LOOKUP_SQL
from handsetguard.server.services.dbapi import UNIT_DEVICE_COLUMNS, with_ctes, write_variants
from handsetguard.server.services.fleet_state import COUNT_BUCKET, COUNT_UPSERT

__all__ = [
    "DOCUMENT",
    "PG_WRITES",
    "READS",
    "SQLITE",
    "UNIT_COLUMNS",
    "UNIT_NAMES",
    "WRITE_FLAGS",
]

_Attr = InstrumentedAttribute[Any]

UNIT_COLUMNS: tuple[_Attr, ...] = (
    *UNIT_DEVICE_COLUMNS,
    FleetUnit.baseline_report_id,
    FleetUnit.baseline_received_at,
    FleetBaseline.checks,
    FleetBaseline.os_patch,
    FleetBaseline.vendor_patch,
    FleetBaseline.components_sha256,
    FleetBaseline.threats,
    FleetBaseline.fingerprint,
    FleetGolden.golden_units,
    FleetGolden.expected_checks,
    FleetGolden.os_patch_min,
)
UNIT_NAMES = (
    *(c.key for c in UNIT_COLUMNS[:10]),
    "b_checks",
    "b_os_patch",
    "b_vendor_patch",
    "b_components",
    "b_threats",
    "first_fingerprint",
    "golden_units",
    "golden_checks",
    "golden_patch_min",
)
_UNIT_SELECT = (
    "SELECT d.id, d.partner_id, d.serial, d.imei1, d.imei2, d.model_code, d.territory,"
    " d.status, u.baseline_report_id, u.baseline_received_at, b.checks, b.os_patch,"
    " b.vendor_patch, b.components_sha256, b.threats,"
    # The product the unit was first seen as (clones.py): its baseline's fingerprint, else
    # its first report's that had one.
    " coalesce(b.fingerprint, u.first_fingerprint),"
    " g.golden_units, g.expected_checks, g.os_patch_min,"
    " u.device_id IS NOT NULL AS has_state, coalesce(b.has_document, false) AS has_document"
    " FROM devices d LEFT JOIN fleet_units u ON u.device_id = d.id"
    # The model's golden baseline (services/golden.py).
    " LEFT JOIN fleet_golden g ON g.partner_id = d.partner_id AND g.model_code = d.model_code"
    # The baseline's summary, by the unit's key: no report partition is read.
    " LEFT JOIN fleet_baselines b ON b.device_id = u.device_id"
)
_CREDENTIAL_COLUMNS = ", ".join(f"c.{c.key}" for c in LOOKUP_COLUMNS)
_READ = (
    # One statement, one row whatever is missing: the credential and the unit are each
    # there or not (the unit's columns all NULL when it is not).
    f"SELECT {_CREDENTIAL_COLUMNS}, c.id IS NOT NULL, unit.* FROM (SELECT 1 AS one) AS k"
    " LEFT JOIN credentials c ON c.id = :credential_id"
    " LEFT JOIN (UNIT) AS unit ON true"
)
READS = {
    "credential": LOOKUP_SQL,
    "by_id": _READ.replace("UNIT", f"{_UNIT_SELECT} WHERE d.id = :device_id"),
    # Serials are unique per partner: the caller's own unit of that serial.
    "by_serial": _READ.replace(
        "UNIT",
        f"{_UNIT_SELECT} WHERE d.serial = :serial AND d.partner_id ="
        " (SELECT partner_id FROM credentials WHERE id = :credential_id)",
    ),
}
DOCUMENT = "SELECT document FROM fleet_reports WHERE id = :id AND received_at = :received_at"

_REPORT_FIELDS = (
    "id, received_at, device_id, partner_id, credential_id, sender_role, input_kind,"
    " acquired_at, baseline, profile, level, score, gate_verdict, checks, os_patch,"
    " vendor_patch, fingerprint, threat_count, doc_sha256, doc_bytes, document,"
    " components_sha256, threats"
)
_REPORT_VALUES = (
    ":id, :now, :device_id, :partner_id, :credential_id, :sender_role, :input_kind,"
    " :acquired_at, :baseline, :profile, :level, :score, :gate_verdict, :checks, :os_patch,"
    " :vendor_patch, :fingerprint, :threat_count, :doc_sha256, :doc_bytes, :document,"
    " :components_sha256, :threats"
)
_UNIT_SET = (
    "baseline_report_id = CASE WHEN :baseline THEN :id ELSE baseline_report_id END,"
    " baseline_received_at = CASE WHEN :baseline THEN :now ELSE baseline_received_at END,"
    " last_report_id = :id, last_report_at = :now, last_seen_at = :now, stale_alerted = :false,"
    " level = :level, patch_month = :patch_month,"
    " first_fingerprint = coalesce(first_fingerprint, :fingerprint)"
)
_UNIT_INSERT = (
    "INSERT INTO fleet_units (device_id, partner_id, model_code, territory,"
    " baseline_report_id, baseline_received_at, last_report_id, last_report_at, last_seen_at,"
    " level, patch_month, stale_alerted, first_fingerprint)"
)
_UNIT_INSERT_VALUES = (
    ":device_id, :partner_id, :model_code, :territory,"
    " CASE WHEN :baseline THEN :id END, CASE WHEN :baseline THEN :now END, :id, :now, :now,"
    " :level, :patch_month, :false, :fingerprint"
)
_BASELINE = (
    "INSERT INTO fleet_baselines (device_id, report_id, received_at, checks, os_patch,"
    " vendor_patch, fingerprint, components_sha256, threats, has_document)"
)
_BASELINE_VALUES = (
    ":device_id, :id, :now, :checks, :os_patch, :vendor_patch, :fingerprint,"
    " :components_sha256, :threats, :document IS NOT NULL"
)


def _pg_json(values: str) -> str:
    return values.replace(":checks", ":checks::json").replace(":threats", ":threats::json")


_PG_REPORT_VALUES = _pg_json(_REPORT_VALUES)
_PG_PARTS = {
    "st": "SELECT partner_id, model_code, territory, level, coalesce(patch_month, 'unknown')"
    " AS pm, baseline_report_id FROM fleet_units WHERE device_id = :device_id FOR UPDATE",
    "ok": "SELECT 1 AS go WHERE (SELECT count(*) FROM st) = :had_state"
    " AND NOT EXISTS (SELECT 1 FROM st WHERE baseline_report_id IS DISTINCT FROM :seen)"
    " AND EXISTS (SELECT 1 FROM devices WHERE id = :device_id AND status = 'active')",
    "r": f"INSERT INTO fleet_reports ({_REPORT_FIELDS}) SELECT {_PG_REPORT_VALUES} FROM ok",
    "u": f"UPDATE fleet_units SET {_UNIT_SET} FROM ok WHERE fleet_units.device_id = :device_id",
    "n": f"{_UNIT_INSERT} SELECT {_UNIT_INSERT_VALUES} FROM ok",
    "b": f"{_BASELINE} SELECT {_pg_json(_BASELINE_VALUES)} FROM ok",
    "c": f"""INSERT INTO fleet_counts ({COUNT_BUCKET}, units)
    SELECT m.partner_id, m.model_code, m.territory, m.level, m.pm, sum(m.d)
    FROM (
        SELECT partner_id, model_code, territory, level, pm, -1 AS d FROM st
        UNION ALL SELECT :partner_id, :model_code, :territory, :level, :bucket_month, 1
    ) AS m, ok
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(m.d) <> 0 ORDER BY 1, 2, 3, 4, 5
    {COUNT_UPSERT}""",
}


def pg_write(new_unit: bool, alerts: bool, baseline: bool) -> str:
    """PostgreSQL's one guarded statement (report_store.py's docstring), in the variant for a
    unit without (``new_unit``) or with a posture row, with or without alerts to open, for a
    report that is or is not the unit's baseline."""
    parts = _PG_PARTS
    opening, opened = open_alerts_ctes("ok", alerts)
    return with_ctes(
        [
            *((name, parts[name]) for name in ("st", "ok", "r")),
            ("n", parts["n"]) if new_unit else ("u", parts["u"]),
            ("b", parts["b"] if baseline else None),
            ("c", parts["c"]),
            *opening,
        ],
        f"SELECT (SELECT count(*) FROM ok), {opened}",
    )


WRITE_FLAGS = ("new", "alerts", "baseline")
"""What tells the write's variants apart (:func:`pg_write`'s arguments, in order)."""
PG_WRITES = write_variants(pg_write, WRITE_FLAGS)
"""The write's variants, by their names (dbapi.variant_name)."""

SQLITE = {
    "state": "SELECT partner_id, model_code, territory, level,"
    " coalesce(patch_month, 'unknown'), baseline_report_id FROM fleet_units"
    " WHERE device_id = :device_id",
    "active": "SELECT 1 FROM devices WHERE id = :device_id AND status = 'active'",
    "report": f"INSERT INTO fleet_reports ({_REPORT_FIELDS}) VALUES ({_REPORT_VALUES})",
    "update": f"UPDATE fleet_units SET {_UNIT_SET} WHERE device_id = :device_id",
    "insert": f"{_UNIT_INSERT} VALUES ({_UNIT_INSERT_VALUES})",
    "baseline": f"{_BASELINE} VALUES ({_BASELINE_VALUES})",
    "count": f"INSERT INTO fleet_counts ({COUNT_BUCKET}, units) VALUES (?, ?, ?, ?, ?, ?)"
    f" {COUNT_UPSERT}",
}
