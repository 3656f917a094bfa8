"""Fleet posture at scale: bulk-load units and report summaries (COPY on PostgreSQL, batched
inserts on SQLite), then measure the overview (from the maintained counts), the IMEI lookup,
report ingestion and attested check-ins over HTTP with concurrent clients, and attestation
verification alone; print the bytes stored per report and what a year of daily reports would
need.

Usage: python benchmarks/bench_fleet.py [--units 200000] [--summaries 1000000]
           [--sqlite-units 100000] [--sqlite-summaries 300000] [--clients 64]
           [--reports 3000] [--checkins 2000] [--workers 2] [--no-sqlite] [--no-reads]
           [--plain-reports]
           [--pg-url postgresql+psycopg://hg:hg@127.0.0.1/hg_test]

The issue's target is 1,000,000 units and 5,000,000 summaries on PostgreSQL; the defaults are
smaller so that a run takes minutes on a shared 2-core machine — the figures printed say the
scale they were measured at. The PostgreSQL run needs a URL (or HANDSETGUARD_TEST_PG_URL) and
creates and drops its own database.

The loaded baselines are the uploaded report's own summary (the same checks, patch levels,
components and threats), so an ingestion compares on columns alone — as for a phone whose
apps and components did not change since its gate report; one whose components changed
also reads its baseline's document and diffs the two (about 1.5 ms more). Check-ins carry a
synthetic key-attestation chain made per check-in (tests/attest/assets, trusted by the
server through benchmarks/fleet_app.py), answering a challenge written beforehand: the
rate is of POST /v1/checkins, verification included, not of the challenge requests, on a
fleet with a check-in history (one verified check-in per unit). Reports are sent gzipped, as
``check --upload`` sends them (``--plain-reports``: plain JSON). The data it loads is made by
fleet_data.py, the load and its CPU are measured by fleet_http.py.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))  # tests.attest: the synthetic chains
from bench_server import prepare, settle, start_server  # noqa: E402
from fleet_data import (  # noqa: E402
    chains,
    example_report,
    imei,
    load_checkin_history,
    load_pg,
    load_sqlite,
    pct,
    rebuild_counts,
    rows,
    unit_facts,
)
from fleet_http import measured_post, post_all, run  # noqa: E402
from handsetguard.report.upload import GZIP_LEVEL as UPLOAD_GZIP  # noqa: E402
from handsetguard.server.config import Settings  # noqa: E402
from handsetguard.server.core.kek import KEK_ENV  # noqa: E402
from handsetguard.server.core.keywrap import new_key_file  # noqa: E402
from handsetguard.server.db import Database, normalise_url  # noqa: E402
from handsetguard.server.models import Agreement  # noqa: E402
from handsetguard.server.services import credentials, overview, support  # noqa: E402
from handsetguard.server.services.actors import SYSTEM, Role  # noqa: E402
from handsetguard.server.services.report_ingest import GZIP_LEVEL  # noqa: E402


def _support_actor(db: Database, partner: str) -> Any:
    now = datetime.now(UTC)
    with db.write() as session:
        spec = credentials.CredentialSpec("bench desk", Role.SUPPORT, partner_id=partner)
        _, token = credentials.issue(session, SYSTEM, spec, now)
    with db.read_conn() as conn:
        return credentials.authenticate(conn, token.token, now), token.token


def measure_reads(db: Database, actor: Any, units: int) -> list[str]:
    today = date(2026, 10, 15)
    with db.read() as session:
        overview.overview(session, actor, today)  # warm
    times = []
    for _ in range(20):
        started = time.perf_counter()
        with db.read() as session:
            overview.overview(session, actor, today)
        times.append(time.perf_counter() - started)
    rng = random.Random(3)
    lookups, cards = [], []
    for _ in range(2000):
        q = imei(rng.randrange(2 * units))
        started = time.perf_counter()
        with db.read() as session:
            found = support.lookup(session, actor, q)
        lookups.append(time.perf_counter() - started)
        assert len(found.units) == 1
    for _ in range(300):
        q = imei(rng.randrange(2 * units))
        started = time.perf_counter()
        with db.read() as session:
            found = support.lookup(session, actor, q)
            support.unit_card(session, found.units[0])
        cards.append(time.perf_counter() - started)
    ms = lambda xs, q: pct(xs, q) * 1000  # noqa: E731
    return [
        f"  overview (maintained counts)   median {statistics.median(times) * 1000:7.1f} ms   "
        f"p99 {ms(times, 0.99):7.1f} ms   (target <= 200 ms)",
        f"  IMEI lookup                    median {statistics.median(lookups) * 1000:7.2f} ms   "
        f"p99 {ms(lookups, 0.99):7.2f} ms   (target p99 <= 20 ms)",
        f"  IMEI lookup + unit card        median {statistics.median(cards) * 1000:7.2f} ms   "
        f"p99 {ms(cards, 0.99):7.2f} ms",
    ]


def measure_ingest(url: str, token: str, report: dict[str, Any], units: int, args: Any) -> str:
    os.environ["HANDSETGUARD_FLEET_WORKER_SECONDS"] = "0"  # the server processes inherit it
    proc, base = start_server(url, args.workers, threads=args.threads)
    try:
        rng = random.Random(5)
        bodies = []
        # As ``check --upload`` sends a report: gzipped (report/upload.py), unless --plain.
        extra = "" if args.plain_reports else "Content-Encoding: gzip\r\n"
        for _ in range(args.reports + 200):
            n = rng.randrange(units)
            report["device"]["serial"] = f"F{n:09d}"
            body = json.dumps(report).encode()
            bodies.append(body if args.plain_reports else gzip.compress(body, UPLOAD_GZIP))
        warm, bodies = bodies[:200], bodies[200:]
        run(post_all(base, "/v1/reports", token, warm, args.clients, extra))
        ok, seconds, latencies, answers, cpu = measured_post(
            proc, url, base, "/v1/reports", token, bodies, args.clients, extra
        )
    finally:
        proc.terminate()
        proc.wait(30)
    alerted = sum(1 for a in answers if b'"alerts":[]' not in a)
    return (
        f"  report ingestion over HTTP     {ok / seconds:7.0f}/s     p50 "
        f"{statistics.median(latencies) * 1000:5.1f} ms  p99 {pct(latencies, 0.99) * 1000:6.1f}"
        f" ms   {args.clients} clients, {args.workers} process(es) x {args.threads} threads, "
        f"{ok}/{len(bodies)} stored, {alerted} opened alerts, "
        f"{'plain JSON' if args.plain_reports else 'gzipped as check --upload sends'}"
        "   (target >= 500/s)\n"
        f"                                 {cpu}"
    )


def measure_checkins(url: str, token: str, units: int, args: Any) -> str:
    """POST /v1/checkins over HTTP, each with its own chain and a challenge written
    beforehand (issued to the bench's support credential, unused, not expired), on a fleet
    with a check-in history (:func:`load_checkin_history`)."""
    rng = random.Random(11)
    picked = [rng.randrange(units) for _ in range(args.checkins + 100)]
    who = [(str(uuid.UUID(int=n + 1)), f"F{n:09d}", imei(2 * n), imei(2 * n + 1)) for n in picked]
    made = chains(who)
    credential_id = token.split("_")[1]
    now = datetime.now(UTC)
    db = Database(Settings(database_url=url))
    with db.read() as session:
        partner = session.execute(select(Agreement.partner_id)).scalar_one()
    template = {"facts": unit_facts(made[0], "bench-0"), "partner_id": partner}
    load_checkin_history(db, {**template, "credential_id": credential_id}, units)
    with db.write() as session:
        session.execute(
            text(
                "INSERT INTO fleet_challenges (value, device_id, credential_id, issued_at,"
                " expires_at) VALUES (:v, :d, :c, :at, :until)"
            ),
            [
                {
                    "v": f"bench-{k}",
                    "d": w[0],
                    "c": credential_id,
                    "at": now,
                    "until": now + timedelta(days=1),
                }
                for k, w in enumerate(who)
            ],
        )
    db.dispose()
    bodies = [
        json.dumps(
            {
                "device_id": w[0],
                "challenge": f"bench-{k}",
                "attestation_chain": chain,
                "os_reported": {"security_patch": "2025-10-05"},
            }
        ).encode()
        for k, (w, chain) in enumerate(zip(who, made, strict=True))
    ]
    os.environ["HANDSETGUARD_FLEET_WORKER_SECONDS"] = "0"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), str(Path(__file__).parent.parent)]
    )
    factory = "fleet_app:create_unsafe_test_trust_app"
    proc, base = start_server(url, args.workers, threads=args.threads, factory=factory)
    try:
        run(post_all(base, "/v1/checkins", token, bodies[:100], args.clients))
        ok, seconds, latencies, answers, cpu = measured_post(
            proc, url, base, "/v1/checkins", token, bodies[100:], args.clients
        )
    finally:
        proc.terminate()
        proc.wait(30)
    verified = sum(1 for a in answers if b'"verified":true' in a)
    return (
        f"  check-ins over HTTP            {ok / seconds:7.0f}/s     p50 "
        f"{statistics.median(latencies) * 1000:5.1f} ms  p99 {pct(latencies, 0.99) * 1000:6.1f}"
        f" ms   {args.clients} clients, {ok}/{len(bodies) - 100} stored, {verified} verified"
        f"   (target >= 300/s)\n                                 {cpu}"
    )


def measure_attestation() -> str:
    """Check-ins are bound by chain verification: its rate on one core, in process."""
    try:
        from tests.attest.helpers import ASSETS, unsafe_test_trust

        import handsetguard.attest as attest
        from handsetguard.server.services.attestation import AttestChainCheck, verify_for_checkin
    except ImportError as exc:
        return f"  attestation verification       skipped ({exc})"
    verifier = attest.Verifier(
        trust=unsafe_test_trust(), status_list=attest.load_status_list(ASSETS / "status.json")
    )
    check = AttestChainCheck(verifier=verifier)
    chain = [
        base64.b64encode(d).decode()
        for d in attest.read_chain(ASSETS / "valid_factory.pem").certificates
    ]
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < 5:
        facts, _, _ = verify_for_checkin(check, chain, challenge=b"hg-challenge", at=at)
        assert facts is not None
        count += 1
    rate = count / (time.perf_counter() - started)
    return (
        f"  attestation verification       {rate:7.0f}/s per core (the check-in's CPU cost; "
        "target >= 300 check-ins/s)"
    )


def storage_lines(db: Database, doc: bytes, raw: int) -> list[str]:
    with db.read() as session:
        count = session.execute(text("SELECT count(*) FROM fleet_reports")).scalar_one()
        if db.sqlite:
            size = None
        else:
            # Partitioned: the parent holds nothing, its monthly partitions hold the rows.
            size = session.execute(
                text(
                    "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
                    " WHERE inhparent = 'fleet_reports'::regclass"
                )
            ).scalar_one()
    lines = [f"  one report: JSON {raw} bytes, gzipped document {len(doc)} bytes"]
    if size:
        per = size / count
        year = 1_000_000 * 365
        lines.append(
            f"  summary row incl. indexes      {per:7.0f} bytes/report ({count} rows, "
            f"{size / 2**20:.0f} MiB)"
        )
        lines.append(
            f"  a year of daily reports for 1M units: {year / 1e6:.0f}M summaries = "
            f"{per * year / 2**30:.0f} GiB, + {len(doc) * year / 2**30:.0f} GiB if every "
            "document is kept (the retention policy keeps baselines and the last N days)"
        )
    return lines


def bench(name: str, url: str, units: int, summaries: int, args: Any) -> None:
    print(f"{name}: {units} units, {summaries} report summaries")
    token, agreement = prepare(url)
    db = Database(Settings(database_url=url))
    with db.read() as session:
        partner = session.execute(select(Agreement.partner_id)).scalar_one()
    report = example_report()
    raw = json.dumps(report).encode()
    doc = gzip.compress(raw, GZIP_LEVEL)  # as ingestion stores it
    data = rows(partner, agreement, units, summaries, doc, report)
    seconds = load_pg(url, data) if not db.sqlite else load_sqlite(db, data)
    del data
    rebuild_counts(db)
    print(f"  bulk load                      {seconds:7.1f} s")
    actor, support_token = _support_actor(db, partner)
    settle()
    if not args.no_reads:
        for line in measure_reads(db, actor, units):
            print(line)
    for line in storage_lines(db, doc, len(raw)):
        print(line)
    db.dispose()
    print(measure_ingest(url, support_token, report, units, args), flush=True)
    print(measure_checkins(url, support_token, units, args))


def _drop(admin: Any, name: str) -> None:
    """DROP DATABASE … WITH (FORCE) ends our sessions, not an autovacuum worker that is in
    the database after a bulk load (a superuser's process): it finishes within moments."""
    from sqlalchemy.exc import ProgrammingError

    for attempt in range(100):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc.orig) or attempt == 99:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--summaries", type=int, default=1_000_000)
    parser.add_argument("--sqlite-units", type=int, default=100_000)
    parser.add_argument("--sqlite-summaries", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--checkins", type=int, default=2000)
    parser.add_argument(
        "--threads", type=int, default=2, help="worker threads per process (the default's)"
    )
    parser.add_argument("--no-reads", action="store_true", help="skip overview and lookups")
    parser.add_argument(
        "--plain-reports", action="store_true", help="reports as plain JSON, not gzipped"
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--pg-url", default=os.environ.get("HANDSETGUARD_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    kek_dir = tempfile.TemporaryDirectory()
    os.environ[KEK_ENV] = str(Path(kek_dir.name) / "kek")
    new_key_file(Path(os.environ[KEK_ENV]))
    print(f"{os.cpu_count()} CPUs (shared with other work while measured)")
    print(measure_attestation())
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'fleet.db'}"
            bench("SQLite", url, args.sqlite_units, args.sqlite_summaries, args)
    if args.pg_url:
        admin_url = make_url(normalise_url(args.pg_url))
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"hg_fleet_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(False)
            bench("PostgreSQL", url, args.units, args.summaries, args)
        finally:
            _drop(admin, name)
            admin.dispose()
    else:
        print("PostgreSQL skipped: give --pg-url or set HANDSETGUARD_TEST_PG_URL")


if __name__ == "__main__":
    main()
