"""bench_fleet.py's data: the units, report summaries and check-in history it loads (COPY on
PostgreSQL, batched inserts on SQLite), generated deterministically in memory, and the
synthetic attestation chains its check-ins carry."""

from __future__ import annotations

import base64
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.attest: the synthetic chains
from handsetguard.server.core.identifiers import luhn_check_digit  # noqa: E402
from handsetguard.server.db import Database  # noqa: E402
from handsetguard.server.services.regressions import components_digest  # noqa: E402

TERRITORIES = ("IN", "LK", "NP", "BD")
MODELS = ("Z60", "Z61", "Z70")
LEVELS = ("excellent", "good", "fair", "poor")
START = datetime(2026, 1, 1, tzinfo=UTC)
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # SQLite's UTCDateTime text


def example_report() -> dict[str, Any]:
    from handsetguard.cli.check import acquire as _acquire
    from handsetguard.engine import KNOWN_CHECKS, run_check
    from handsetguard.profiles.profile import load_profile
    from handsetguard.report.json_report import render_json

    report = run_check(_acquire(None, True), load_profile("consumer", KNOWN_CHECKS))
    loaded: dict[str, Any] = json.loads(render_json(report))
    return loaded


def imei(n: int) -> str:
    """A distinct valid IMEI per n up to 100 million (a TAC per million)."""
    body = f"{35123456 + n // 1_000_000:08d}{n % 1_000_000:06d}"
    return body + str(luhn_check_digit(body))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def rows(
    partner: str, agreement: str, units: int, summaries: int, doc: bytes, report: dict[str, Any]
) -> dict[str, Any]:
    """Column tuples per table, generated in memory (deterministic)."""
    rng = random.Random(7)
    checks = json.dumps({c["id"]: c["status"] for c in report["checks"]})
    digest = components_digest(report)
    threats = json.dumps([t["package"] for t in report.get("threats") or []])
    patch = report["device"]["security_patch"]
    vendor = report["device"]["vendor_security_patch"]
    fingerprint = report["device"]["build_fingerprint"]
    devices, imeis, states, reports = [], [], [], []
    per_unit = max(1, summaries // units)
    for n in range(units):
        device_id = str(uuid.UUID(int=n + 1))
        model, where = MODELS[n % 3], TERRITORIES[n % 4]
        at = START + timedelta(seconds=n)
        i1, i2 = imei(2 * n), imei(2 * n + 1)
        devices.append((device_id, f"F{n:09d}", i1, i2, model, where, partner, agreement, at))
        imeis += [(i1, device_id), (i2, device_id)]
        month = f"2025-{1 + rng.randrange(12):02d}"
        level = LEVELS[rng.randrange(4)]
        last = None
        for k in range(per_unit):
            report_id = str(uuid.UUID(int=(n + 1) << 20 | k))
            received = at + timedelta(days=k)
            sample = doc if n % 1000 == 0 else None  # full documents for a sample
            baseline = k == 0
            reports.append(
                (
                    report_id,
                    received,
                    device_id,
                    partner,
                    level,
                    patch if baseline else month + "-05",
                    checks,
                    baseline,
                    sample,
                    len(doc),
                    digest if baseline else None,
                    threats if baseline else None,
                    vendor if baseline else None,
                    fingerprint,
                )
            )
            last = (report_id, received)
        assert last is not None
        states.append(
            (
                device_id,
                partner,
                model,
                where,
                reports[-per_unit][0],
                reports[-per_unit][1],
                last[0],
                last[1],
                level,
                month,
            )
        )
    return {"devices": devices, "imeis": imeis, "states": states, "reports": reports}


DEVICE_COLS = (
    "id, serial, imei1, imei2, model_code, territory, partner_id, agreement_id, activated_at, "
    "status"
)
REPORT_COLS = (
    "id, received_at, device_id, partner_id, credential_id, sender_role, input_kind, baseline, "
    "profile, level, score, checks, os_patch, vendor_patch, fingerprint, threat_count, "
    "doc_sha256, doc_bytes, document, components_sha256, threats"
)
STATE_COLS = (
    "device_id, partner_id, model_code, territory, baseline_report_id, baseline_received_at, "
    "last_report_id, last_report_at, last_seen_at, level, patch_month, stale_alerted"
)


def report_tuple(r: tuple[Any, ...]) -> tuple[Any, ...]:
    report_id, received, device_id, partner, level, patch, checks, baseline, doc, size = r[:10]
    digest, threats, vendor, fingerprint = r[10:]
    return (
        report_id,
        received,
        device_id,
        partner,
        "bench",
        "support",
        "bugreport-zip",
        baseline,
        "consumer",
        level,
        70,
        checks,
        patch,
        vendor or patch,
        fingerprint,
        0,
        "0" * 64,
        size,
        doc,
        digest,
        threats,
    )


def state_tuple(s: tuple[Any, ...]) -> tuple[Any, ...]:
    device_id, partner, model, where, baseline, baseline_at, last, last_at, level, month = s
    return (
        device_id,
        partner,
        model,
        where,
        baseline,
        baseline_at,
        last,
        last_at,
        last_at,
        level,
        month,
        True,
    )


FILL_BASELINES = (
    # As migration 0014 fills them from the reports already stored: the baselines' summaries
    # and the first fingerprints the report hot path reads (models.FleetBaseline).
    "INSERT INTO fleet_baselines (device_id, report_id, received_at, checks, os_patch,"
    " vendor_patch, fingerprint, components_sha256, threats, has_document)"
    " SELECT u.device_id, b.id, b.received_at, b.checks, b.os_patch, b.vendor_patch,"
    " b.fingerprint, b.components_sha256, b.threats, b.document IS NOT NULL"
    " FROM fleet_units u JOIN fleet_reports b ON b.id = u.baseline_report_id"
    " AND b.received_at = u.baseline_received_at",
    "UPDATE fleet_units SET first_fingerprint = (SELECT f.fingerprint FROM fleet_reports f"
    " WHERE f.device_id = fleet_units.device_id AND f.fingerprint IS NOT NULL"
    " ORDER BY f.received_at LIMIT 1)",
)


def load_pg(url: str, data: dict[str, Any]) -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False)) as c:
        with c.cursor() as cur:
            with cur.copy(f"COPY devices ({DEVICE_COLS}) FROM STDIN") as copy:
                for d in data["devices"]:
                    copy.write_row((*d, "active"))
            with cur.copy("COPY device_imeis (imei, device_id) FROM STDIN") as copy:
                for row in data["imeis"]:
                    copy.write_row(row)
            with cur.copy(f"COPY fleet_reports ({REPORT_COLS}) FROM STDIN") as copy:
                for r in data["reports"]:
                    copy.write_row(report_tuple(r))
            with cur.copy(f"COPY fleet_units ({STATE_COLS}) FROM STDIN") as copy:
                for s in data["states"]:
                    copy.write_row(state_tuple(s))
            for sql in FILL_BASELINES:
                cur.execute(sql)
        c.commit()
    return time.perf_counter() - started


def load_sqlite(db: Database, data: dict[str, Any]) -> float:
    started = time.perf_counter()
    marks = lambda n: ", ".join("?" * n)  # noqa: E731
    with db.dbapi(write=True) as conn:
        conn.executemany(
            f"INSERT INTO devices ({DEVICE_COLS}) VALUES ({marks(10)})",
            [(*d[:8], d[8].strftime(STAMP), "active") for d in data["devices"]],
        )
        conn.executemany("INSERT INTO device_imeis VALUES (?, ?)", data["imeis"])
        conn.executemany(
            f"INSERT INTO fleet_reports ({REPORT_COLS}) VALUES ({marks(21)})",
            [(t[0], t[1].strftime(STAMP), *t[2:]) for t in map(report_tuple, data["reports"])],
        )
        conn.executemany(
            f"INSERT INTO fleet_units ({STATE_COLS}) VALUES ({marks(12)})",
            [
                (
                    *t[:5],
                    t[5].strftime(STAMP),
                    t[6],
                    t[7].strftime(STAMP),
                    t[8].strftime(STAMP),
                    *t[9:],
                )
                for t in map(state_tuple, data["states"])
            ],
        )
        for sql in FILL_BASELINES:
            conn.execute(sql)
    return time.perf_counter() - started


def rebuild_counts(db: Database) -> None:
    """The maintained roll-up, built once from the loaded units (the service keeps it in
    step on every report afterwards)."""
    with db.write() as session:
        session.execute(text("DELETE FROM fleet_counts"))
        session.execute(
            text(
                "INSERT INTO fleet_counts (partner_id, model_code, territory, level, "
                "patch_month, units) SELECT partner_id, model_code, territory, level, "
                "COALESCE(patch_month, 'unknown'), count(*) FROM fleet_units GROUP BY "
                "partner_id, model_code, territory, level, COALESCE(patch_month, 'unknown')"
            )
        )
        if not db.sqlite:
            session.execute(text("ANALYZE"))


def chains(units: list[tuple[str, str, str, str]]) -> list[list[str]]:
    """One synthetic attestation chain per (device_id, serial, imei1, imei2, challenge),
    attesting the unit's own IDs and answering its challenge."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from tests.attest.helpers import generator

    gen = generator()
    out = []
    for k, (_, serial, imei1, imei2) in enumerate(units):
        facts = gen.golden()
        facts["attestationChallenge"] = base64.b64encode(f"bench-{k}".encode()).decode()
        facts["hardwareEnforced"].update(
            attestationIdSerial=serial, attestationIdImei=imei1, attestationIdSecondImei=imei2
        )
        chain, _ = gen.factory_chain(prefix="bench", kd=gen.encode_key_description(facts))
        out.append([base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in chain])
    return out


def unit_facts(chain: list[str], challenge: str) -> dict[str, Any]:
    """What the service stores of a verified check-in of this chain (its attested facts)."""
    from fleet_app import unsafe_test_trust_check
    from handsetguard.server.services.attestation import verify_for_checkin

    facts, failure, _ = verify_for_checkin(
        unsafe_test_trust_check(), chain, challenge=challenge.encode(), at=datetime.now(UTC)
    )
    assert facts is not None, failure
    return facts


def load_checkin_history(db: Database, template: dict[str, Any], units: int) -> None:
    """A fleet that has been checking in: one verified check-in per unit a day before, its
    attested facts those of the unit's own chain (the bench's chains differ only in the
    IDs), then ANALYZE — as the reports are loaded, so that the measured check-ins meet
    the history and the statistics of a running fleet rather than an empty table."""
    partner = template["partner_id"]
    when = datetime.now(UTC) - timedelta(days=1)
    rows = []
    for n in range(units):
        facts = {
            **template["facts"],
            "serial": f"F{n:09d}",
            "imei": imei(2 * n),
            "second_imei": imei(2 * n + 1),
        }
        rows.append(
            {
                "id": str(uuid.UUID(int=(n + 1) << 40)),
                "device_id": str(uuid.UUID(int=n + 1)),
                "partner": partner,
                "at": when + timedelta(microseconds=n),
                "credential": template["credential_id"],
                "attested": json.dumps(facts),
            }
        )
    with db.write() as session:
        session.execute(
            text(
                "INSERT INTO fleet_checkins (id, device_id, partner_id, received_at,"
                " credential_id, verified, failure, attested, os_reported) VALUES (:id,"
                " :device_id, :partner, :at, :credential, :true, NULL, :attested, '{}')"
            ),
            [{**r, "true": True} for r in rows],
        )
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
