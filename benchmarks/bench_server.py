"""Drive the real licensing server over HTTP on loopback with concurrent clients and report
activations/s, p50/p99 latency and errors, for SQLite and PostgreSQL, beside the raw
database's own guarded-update rate (the practical ceiling), measured the same way.

Usage: python benchmarks/bench_server.py [--clients 64] [--requests 6000] [--workers 2]
           [--threads 2] [--raw-threads 8] [--no-sqlite]
           [--pg-url postgresql+psycopg://hg:hg@127.0.0.1/hg_test]

The PostgreSQL run needs a URL (or HANDSETGUARD_TEST_PG_URL); it creates and drops its own
database on that server. The server runs as `uvicorn --factory` subprocess(es); the load
generator is a minimal asyncio HTTP/1.1 client in this process (one keep-alive connection per
client), so that it takes little of the CPU the server needs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from handsetguard.server.config import Settings
from handsetguard.server.core.identifiers import luhn_check_digit
from handsetguard.server.core.kek import KEK_ENV
from handsetguard.server.core.keywrap import new_key_file
from handsetguard.server.db import Database, normalise_url
from handsetguard.server.schemas.licensing import AgreementTerms
from handsetguard.server.services import agreements, credentials, partners
from handsetguard.server.services.actors import SYSTEM, Role
from handsetguard.server.services.keys import KeyVault
from handsetguard.server.services.setup import initialise

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


@dataclass
class Result:
    name: str
    done: int
    errors: int
    seconds: float
    latencies: list[float]

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        p50 = statistics.median(ms)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        rate = self.done / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<34} {rate:9.0f}/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"errors {self.errors}"
        )


def imei(n: int) -> str:
    body = f"35123456{n:06d}"[:14]
    return body + str(luhn_check_digit(body))


def prepare(url: str) -> tuple[str, str]:
    """Initialise the database (keys sealed under the run's key-encryption key, as in
    production) and return (factory token, agreement id)."""
    db = Database(Settings(database_url=url), create=True)
    now = datetime.now(UTC)
    initialise(db, "bench", now, KeyVault.from_file(os.environ[KEK_ENV]))
    with db.write() as session:
        partner = partners.create_partner(session, SYSTEM, "Bench OEM", "IN", now)
        agreement = agreements.create_agreement(
            session, SYSTEM, partner.id, AgreementTerms.model_validate(TERMS), now
        )
        spec = credentials.CredentialSpec("bench line", Role.FACTORY, partner_id=partner.id)
        _, token = credentials.issue(session, SYSTEM, spec, now)
    db.dispose()
    return token.token, agreement.id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str,
    workers: int,
    threads: int = 2,
    factory: str = "handsetguard.server.app:create_app_from_env",
) -> tuple[subprocess.Popen[bytes], str]:
    """``factory``: the uvicorn app factory (bench_fleet's check-ins use one of its own)."""
    port = free_port()
    env = {
        **os.environ,
        "HANDSETGUARD_DATABASE_URL": url,
        "HANDSETGUARD_RATE_LIMIT_PER_SECOND": "1000000",
        "HANDSETGUARD_POOL_SIZE": str(threads + 2),
        "HANDSETGUARD_THREADS": str(threads),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def _post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> int:
    """One keep-alive HTTP/1.1 POST; returns the status. A deliberately tiny client, so the
    load generator spends little of the CPU the server needs."""
    writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def load(
    base: str, token: str, clients: int, requests: int, name: str, offset: int = 0
) -> Result:
    counter = iter(range(offset, offset + requests))
    latencies: list[float] = []
    errors = 0
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /v1/activations HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        "Content-Length: "
    ).encode()

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for n in counter:
                body = json.dumps(
                    {
                        "serial": f"B{n:09d}",
                        "imei1": imei(2 * n),
                        "imei2": imei(2 * n + 1),
                        "model_code": "Z60",
                        "territory": "IN",
                    }
                ).encode()
                started = time.perf_counter()
                try:
                    ok = await _post(reader, writer, head, body) == 201
                except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latencies.append(time.perf_counter() - started)
                errors += not ok
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Result(name, requests - errors, errors, time.perf_counter() - started, latencies)


def raw_guarded_updates(url: str, agreement_id: str, threads: int, count: int) -> Result:
    """The database alone: one guarded counter update per committed transaction, on the bare
    DBAPI connection the server's hot path uses (autocommit on PostgreSQL, BEGIN IMMEDIATE …
    COMMIT on SQLite), from ``threads`` threads (the driver releases the GIL while waiting)."""
    db = Database(Settings(database_url=url, pool_size=threads))
    sql = (
        "UPDATE agreements SET used = used + 1 WHERE id = {p} AND used < unit_limit"
        " AND status = 'active'"
    ).format(p="?" if db.sqlite else "%s")
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(count))

    def worker() -> None:
        mine: list[float] = []
        for _ in counter:
            started = time.perf_counter()
            with db.dbapi(write=True) as conn:
                conn.execute(sql, (agreement_id,))
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    db.dispose()
    return Result(f"  raw guarded UPDATE, {threads} threads", count, 0, seconds, latencies)


def settle() -> None:
    """Let the previous half's writes reach the disk first: the kernel's writeback of one
    database's files otherwise takes CPU from the next one's measurement."""
    os.sync()
    time.sleep(3)


def bench(name: str, url: str, args: argparse.Namespace) -> None:
    token, agreement = prepare(url)
    settle()
    proc, base = start_server(url, args.workers, args.threads)
    try:
        asyncio.run(load(base, token, args.clients, min(500, args.requests), "warm-up"))
        result = asyncio.run(
            load(base, token, args.clients, args.requests, f"{name} HTTP activations", 100_000)
        )
    finally:
        proc.terminate()
        proc.wait(30)
    print(result.line())
    print(raw_guarded_updates(url, agreement, args.raw_threads, args.requests).line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--threads", type=int, default=2, help="handler threads per process")
    parser.add_argument("--raw-threads", type=int, default=8, help="for the raw UPDATE rate")
    parser.add_argument("--pg-url", default=os.environ.get("HANDSETGUARD_TEST_PG_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    kek_dir = tempfile.TemporaryDirectory()
    os.environ[KEK_ENV] = str(Path(kek_dir.name) / "kek")  # the server processes inherit it
    new_key_file(Path(os.environ[KEK_ENV]))
    print(
        f"{args.clients} clients, {args.requests} activations, {args.workers} worker(s), "
        f"{os.cpu_count()} CPUs"
    )
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.pg_url:
        admin_url = make_url(normalise_url(args.pg_url))
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"hg_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            bench("PostgreSQL", admin_url.set(database=name).render_as_string(False), args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("PostgreSQL skipped: give --pg-url or set HANDSETGUARD_TEST_PG_URL")


if __name__ == "__main__":
    main()
