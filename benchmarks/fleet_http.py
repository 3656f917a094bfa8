"""bench_fleet.py's load generator and meter: bodies POSTed over keep-alive connections by
concurrent clients, and the CPU the server's processes (and PostgreSQL's backends) used."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from handsetguard.server.config import Settings
from handsetguard.server.db import Database


async def post_all(
    base: str, path: str, token: str, bodies: list[bytes], clients: int, extra: str = ""
) -> tuple[int, float, list[float], list[bytes]]:
    """POST every body over ``clients`` keep-alive connections: (201s, seconds, latencies,
    the answers' bodies); ``extra``: more header lines (``Name: value\\r\\n``)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{extra}Content-Length: "
    ).encode()
    queue = iter(bodies)
    ok, latencies, answers = 0, [], []

    async def client() -> None:
        nonlocal ok
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for body in queue:
                started = time.perf_counter()
                writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                answers.append(await reader.readexactly(length))
                latencies.append(time.perf_counter() - started)
                ok += status == 201
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return ok, time.perf_counter() - started, latencies, answers


def run(main: Any) -> Any:
    """The load generator's event loop: uvloop (as the service's), so that the clients take
    as little as they can of the CPU the service is measured on."""
    import uvloop

    return uvloop.run(main)


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) these processes have used so far, from /proc (the server
    and PostgreSQL run on this machine)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def serving(proc: Any, url: str) -> tuple[list[int], list[int]]:
    """The service's processes (uvicorn's supervisor and its workers) and, on PostgreSQL, the
    backends connected to the benchmark's database (the workers' pools, once warmed up)."""
    workers = [proc.pid]
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == proc.pid
            ):
                workers.append(int(entry.name))
        except OSError:
            continue
    if url.startswith("sqlite"):
        return workers, []
    db = Database(Settings(database_url=url))
    with db.read_conn() as conn:
        backends = list(
            conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).scalars()
        )
    db.dispose()
    return workers, backends


def measured_post(
    proc: Any,
    url: str,
    base: str,
    path: str,
    token: str,
    bodies: list[bytes],
    clients: int,
    extra: str = "",
) -> tuple[int, float, list[float], list[bytes], str]:
    """:func:`post_all`, and the CPU each request cost the service and PostgreSQL: on a
    machine other work loads, the rate is what the work got, the CPU what it costs."""
    workers, backends = serving(proc, url)
    before = cpu_seconds(workers), cpu_seconds(backends), time.process_time()
    ok, seconds, latencies, answers = run(post_all(base, path, token, bodies, clients, extra))
    service = (cpu_seconds(workers) - before[0]) / len(bodies) * 1000
    database = (cpu_seconds(backends) - before[1]) / len(bodies) * 1000
    client = (time.process_time() - before[2]) / len(bodies) * 1000
    cpu = (
        f"CPU per request: service {service:.2f} ms"
        + (f" + PostgreSQL {database:.2f} ms" if backends else "")
        + f" (the load generator: {client:.2f} ms)"
    )
    return ok, seconds, latencies, answers, cpu
