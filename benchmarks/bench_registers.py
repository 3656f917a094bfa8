"""Territory register batches at factory scale: freeze 100,000 activated units of India into
an ICDR batch, write its CSV and XLSX, import the portal's receipt for all of them (1% rejected),
and time the ship-gate query for one unit (p50/p99 over random serials and IMEIs) — on
SQLite and PostgreSQL. The issue's targets: export and import ≤ 10 s each; ship gate ≤ 5 ms p99.

Usage: python benchmarks/bench_registers.py [--units 100000] [--lookups 2000] [--no-sqlite]
           [--pg-url postgresql+psycopg://hg:hg@127.0.0.1/hg_test]

The units are inserted directly (the activation path has its own benchmark, bench_server.py);
the PostgreSQL run creates and drops its own database on the server named by --pg-url or
HANDSETGUARD_TEST_PG_URL. Both databases at 100,000 units take about 2 minutes on an idle
2-core machine (most of it the seeding, which is not measured):

    pg_ctlcluster 15 main start
    HANDSETGUARD_TEST_PG_URL=postgresql+psycopg://hg:hg@127.0.0.1:5432/hg_test \
        .venv/bin/python benchmarks/bench_registers.py

"export" is the freeze (gather, hash, insert the batch's units, mark them in_batch) plus the
CSV and its audited download; "import" parses the receipt, applies it and raises one alert
per rejection.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from handsetguard.registers import load_profiles
from handsetguard.server.config import Settings
from handsetguard.server.core.identifiers import luhn_check_digit
from handsetguard.server.db import Database, normalise_url
from handsetguard.server.migrate import upgrade
from handsetguard.server.models import Device, DeviceImei
from handsetguard.server.schemas.licensing import AgreementTerms
from handsetguard.server.services import agreements, partners, receipts, registrations
from handsetguard.server.services import registration_gate as gate
from handsetguard.server.services.actors import SYSTEM

T = TypeVar("T")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TERMS = {
    "name": "benchmark",
    "modules": ["check", "factory_gate"],
    "territories": ["IN", "LK", "NP", "BD"],
    "device_models": [{"model_code": "Z60", "tac_prefixes": ["351234"]}],
    "quota": 10_000_000,
    "term_start": "2000-01-01",
    "term_end": "2099-12-31",
    "currency": "USD",
    "royalty_tiers": [{"from_units": 0, "rate": "1.50"}],
}


def imei(n: int) -> str:
    body = f"35123456{n:06d}"
    return body + str(luhn_check_digit(body))


def server_cpu(db: Database | None) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving the benchmark's database
    (from /proc: the server runs on this machine); none for SQLite (in-process)."""
    if db is None or db.sqlite:
        return {}
    with db.read_conn() as conn:
        pids = list(
            conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            ).scalars()
        )
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def timed(label: str, fn: Callable[[], T], db: Database | None = None) -> T:
    """Wall time, and the CPU time of this process and of the database server: on a machine
    other jobs load, the CPU seconds are what the work costs, the wall time what it waited."""
    start, cpu, before = time.perf_counter(), time.process_time(), server_cpu(db)
    result = fn()
    wall = time.perf_counter() - start
    server = sum(t - before.get(pid, 0.0) for pid, t in server_cpu(db).items())
    used = f"cpu {time.process_time() - cpu:5.2f} s + server {server:5.2f} s"
    print(f"  {label:<44} {wall:7.2f} s   ({used})")
    return result


def seed(db: Database, units: int) -> tuple[str, list[dict[str, Any]]]:
    with db.write() as session:
        partner = partners.create_partner(session, SYSTEM, "Bench OEM Pvt Ltd", "IN", NOW)
        agreement = agreements.create_agreement(
            session, SYSTEM, partner.id, AgreementTerms.model_validate(TERMS), NOW
        )
        registrations.set_licence(
            session, SYSTEM, agreement.id, "IN", "ICDR-MFR-0042", "Bench", NOW
        )
    rows = [
        {
            "id": str(uuid.uuid4()),
            "serial": f"SN{n:09d}",
            "imei1": imei(2 * n),
            "imei2": imei(2 * n + 1),
            "model_code": "Z60",
            "territory": "IN",
            "partner_id": partner.id,
            "agreement_id": agreement.id,
            "factory_line": "L1",
            "activated_at": NOW - timedelta(seconds=units - n),
            "status": "active",
        }
        for n in range(units)
    ]
    with db.write() as session:
        session.execute(insert(Device), rows)
        session.execute(
            insert(DeviceImei),
            [{"imei": r[k], "device_id": r["id"]} for r in rows for k in ("imei1", "imei2")],
        )
    return agreement.id, rows


def settle(db: Database) -> None:
    """What a live database's autovacuum would long have done to freshly seeded tables:
    statistics for the planner and the visibility map, so that neither the measured steps'
    plans nor an autovacuum worker started in the middle of them (its CPU counted as the
    server's) depend on when the seed finished. A checkpoint too, where the role may."""
    if db.sqlite:
        with db.write() as session:
            session.execute(text("ANALYZE"))
        return
    with db.write_engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("VACUUM ANALYZE"))
        try:
            conn.execute(text("CHECKPOINT"))
        except Exception:  # noqa: BLE001 - CHECKPOINT needs superuser or pg_checkpoint
            pass


def receipt(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["IMEI", "Status", "Remarks", "Certificate No"])
    for n, row in enumerate(rows):
        if n % 100 == 7:
            writer.writerow([row["imei1"], "Rejected", "TAC not allotted to brand", ""])
        else:
            writer.writerow([row["imei1"], "Accepted", "", f"ICDR/2026/{n:07d}"])
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def run(name: str, url: str, units: int, lookups: int) -> None:
    print(f"{name}: {units:,} units")
    engine = create_engine(normalise_url(url))
    upgrade(engine)
    engine.dispose()
    db = Database(Settings(database_url=url))
    profiles = load_profiles()
    try:
        agreement, rows = timed("seed (direct inserts, not measured)", lambda: seed(db, units), db)
        timed("settle (VACUUM ANALYZE, not measured)", lambda: settle(db), db)

        def freeze() -> str:
            with db.write() as session:
                batch = registrations.create_batch(
                    session, SYSTEM, profiles, agreement, "IN", registrations.BatchFilter(), NOW
                )
                return batch.id

        def export(fmt: str) -> bytes:
            with db.read() as session:
                data = registrations.batch_file(session, SYSTEM, batch_id, fmt)[0]
            with db.write() as session:  # each download is audited
                registrations.record_export(session, SYSTEM, batch_id, fmt, data, NOW)
            return data

        start = time.perf_counter()
        batch_id = timed("freeze batch (gather, hash, insert)", freeze, db)
        data = timed("write CSV", lambda: export("csv"), db)
        print(f"  {'export: freeze + CSV':<44} {time.perf_counter() - start:7.2f} s")
        xlsx = timed("write XLSX (openpyxl, write-only)", lambda: export("xlsx"), db)
        print(f"  CSV {len(data) / 1e6:.1f} MB, XLSX {len(xlsx) / 1e6:.1f} MB")
        again = export("csv")
        assert again == data, "re-export changed bytes"
        file = receipt(rows)

        def apply() -> receipts.ReceiptOutcome:
            with db.write() as session:
                return receipts.import_receipt(session, SYSTEM, batch_id, file, "result.csv", NOW)

        out = timed(f"import receipt ({len(file) / 1e6:.1f} MB CSV)", apply, db)
        print(
            f"    {out.registered:,} registered, {out.rejected:,} rejected, {out.pending} pending"
        )
        idents = [
            random.choice(rows)[random.choice(("serial", "imei1", "imei2"))] for _ in range(lookups)
        ]
        latencies = []
        with db.read_conn() as conn:
            for ident in idents:
                start = time.perf_counter()
                gate.ship_status(conn, SYSTEM, profiles, ident)
                latencies.append((time.perf_counter() - start) * 1000)
        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[int(len(latencies) * 0.99)]
        print(
            f"  {f'ship gate, one unit ({lookups} lookups)':<44} p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )
    finally:
        db.dispose()


@contextmanager
def pg_database(url: str) -> Iterator[str]:
    base = make_url(normalise_url(url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"hg_bench_reg_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("HANDSETGUARD_TEST_PG_URL"))
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", args.units, args.lookups)
    if args.pg_url:
        with pg_database(args.pg_url) as url:
            run("PostgreSQL", url, args.units, args.lookups)
    else:
        print("PostgreSQL: skipped (give --pg-url or set HANDSETGUARD_TEST_PG_URL)")


if __name__ == "__main__":
    main()
