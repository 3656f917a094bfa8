"""Race-freedom of the quota: ≥ 500 activations from ≥ 32 concurrent HTTP clients against a
quota of 100, on SQLite and PostgreSQL, through a real uvicorn server on loopback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from handsetguard.server.models import Activation, Agreement, Device, DeviceImei
from tests.server.conftest import Env, LiveServer, make_env

CLIENTS = 32
REQUESTS = 512
QUOTA = 100


@pytest.fixture
def live(db_url: str) -> Iterator[tuple[Env, LiveServer]]:
    environment, client = make_env(db_url)
    with client:
        server = LiveServer(client.app)
        try:
            yield environment, server
        finally:
            server.stop()


def _fire(url: str, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    def worker(chunk: list[dict[str, Any]]) -> list[httpx.Response]:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            return [http.post("/v1/activations", json=body) for body in chunk]

    chunks = [bodies[i::CLIENTS] for i in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        return [r for rs in pool.map(worker, chunks) for r in rs]


def _db_counts(env: Env, agreement_id: str) -> tuple[int, int, int, int, int]:
    with env.db.read() as s:
        used = s.execute(select(Agreement.used).where(Agreement.id == agreement_id)).scalar_one()
        devices = s.execute(select(func.count()).select_from(Device)).scalar_one()
        activations = s.execute(select(func.count()).select_from(Activation)).scalar_one()
        seqs = s.execute(select(func.count(func.distinct(Activation.seq)))).scalar_one()
        imeis = s.execute(select(func.count()).select_from(DeviceImei)).scalar_one()
    return used, devices, activations, seqs, imeis


def test_quota_of_100_holds_under_512_concurrent_activations(
    live: tuple[Env, LiveServer],
) -> None:
    env, server = live
    partner = env.partner()
    agreement = env.agreement(partner, quota=QUOTA)
    factory = env.credential("factory", partner_id=partner)
    responses = _fire(server.url, factory, [env.unit() for _ in range(REQUESTS)])

    outcomes = Counter((r.status_code, r.json().get("error", {}).get("code")) for r in responses)
    assert outcomes == {(201, None): QUOTA, (403, "quota_exhausted"): REQUESTS - QUOTA}
    assert _db_counts(env, agreement) == (QUOTA, QUOTA, QUOTA, QUOTA, 2 * QUOTA)
    ids = [r.json()["device_id"] for r in responses if r.status_code == 201]
    assert len(set(ids)) == QUOTA
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True


def test_the_same_unit_sent_by_32_clients_at_once_counts_once(
    live: tuple[Env, LiveServer],
) -> None:
    env, server = live
    partner = env.partner()
    agreement = env.agreement(partner, quota=QUOTA)
    factory = env.credential("factory", partner_id=partner)
    unit = env.unit()
    responses = _fire(server.url, factory, [unit] * (2 * CLIENTS))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: 2 * CLIENTS - 1}, [r.text for r in responses][:3]
    assert len({r.json()["activation"] for r in responses}) == 1
    assert _db_counts(env, agreement) == (1, 1, 1, 1, 2)
