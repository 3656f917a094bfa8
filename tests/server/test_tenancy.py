"""Tenancy of device identifiers (issue 12): a serial is unique per partner, not across
partners, and a refusal for another partner's IMEI says nothing about that unit; replays of
one unit at a full quota get the stored proof (``replayed: true``), also when the copies
arrive at once — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from handsetguard.server.models import Agreement, Device
from tests.server.conftest import Env, LiveServer, imei
from tests.server.test_concurrency import live  # noqa: F401 (the live-server fixture)


def _code(response: Any) -> tuple[int, str | None]:
    return response.status_code, response.json().get("error", {}).get("code")


def _two_partners(env: Env, **terms: Any) -> tuple[dict[str, str], dict[str, str]]:
    first, second = env.partner("Lava International Ltd"), env.partner("Other Handsets Ltd")
    env.agreement(first, **terms)
    env.agreement(second, **terms)
    return (
        env.credential("factory", partner_id=first),
        env.credential("factory", partner_id=second),
    )


def test_two_partners_may_use_the_same_serial(env: Env) -> None:
    """Found: partner A's factory could take partner B's serial, and B's real unit then got
    409 duplicate_device."""
    a, b = _two_partners(env)
    mine = env.unit(serial="SN-SHARED-0001")
    theirs = env.unit(serial="SN-SHARED-0001")
    assert _code(env.client.post("/v1/activations", json=mine, headers=a)) == (201, None)
    assert _code(env.client.post("/v1/activations", json=theirs, headers=b)) == (201, None)
    # Each partner's retry still finds its own unit, and only its own.
    again = env.client.post("/v1/activations", json=theirs, headers=b)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert _code(
        env.client.post("/v1/activations", json=env.unit(serial="SN-SHARED-0001"), headers=a)
    ) == (
        409,
        "duplicate_device",
    )
    with env.db.read() as s:
        assert s.execute(select(func.count()).select_from(Device)).scalar_one() == 2


def test_another_partners_imei_is_judged_on_the_callers_terms_first(env: Env) -> None:
    """Partner B whose model has other TACs learns nothing about A's unit: the answer is
    B's own tac_mismatch, the same as for an IMEI nobody holds."""
    a_partner, b_partner = env.partner("Lava International Ltd"), env.partner("Other Ltd")
    env.agreement(a_partner)
    env.agreement(b_partner, device_models=[{"model_code": "Z60", "tac_prefixes": ["359999"]}])
    a = env.credential("factory", partner_id=a_partner)
    b = env.credential("factory", partner_id=b_partner)
    held = env.unit()
    assert env.client.post("/v1/activations", json=held, headers=a).status_code == 201
    taken = env.client.post(
        "/v1/activations", json={**env.unit(), "imei1": held["imei1"]}, headers=b
    )
    free = env.client.post("/v1/activations", json=env.unit(), headers=b)
    assert _code(taken) == _code(free) == (403, "tac_mismatch")
    assert taken.json() == free.json()


def test_the_duplicate_refusal_is_the_same_for_every_owner(env: Env) -> None:
    a, b = _two_partners(env)
    held = env.unit()
    assert env.client.post("/v1/activations", json=held, headers=a).status_code == 201
    own = env.client.post("/v1/activations", json={**env.unit(), "imei2": held["imei1"]}, headers=a)
    other = env.client.post(
        "/v1/activations", json={**env.unit(), "imei2": held["imei1"]}, headers=b
    )
    assert _code(own) == _code(other) == (409, "duplicate_device")
    assert own.json() == other.json()  # no id, partner or status of the unit that holds it
    revoked_id = env.client.get("/v1/devices", headers=env.admin).json()["items"][0]["id"]
    env.ok("POST", f"/v1/devices/{revoked_id}/revoke", env.admin, json={"reason": "stolen"})
    other = env.client.post("/v1/activations", json=held, headers=b)
    assert _code(other) == (409, "duplicate_device")  # not "device_revoked": not B's unit


def test_a_replay_at_a_full_quota_returns_the_stored_proof(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner, quota=1)
    factory = env.credential("factory", partner_id=partner)
    unit = env.unit()
    first = env.client.post("/v1/activations", json=unit, headers=factory)
    assert first.status_code == 201
    again = env.client.post("/v1/activations", json=unit, headers=factory)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["activation"] == first.json()["activation"]
    assert _code(env.client.post("/v1/activations", json=env.unit(), headers=factory)) == (
        403,
        "quota_exhausted",
    )


@pytest.mark.parametrize("used", [0, 4])
def test_copies_of_one_unit_sent_at_once_at_a_full_quota_all_get_the_proof(
    live: tuple[Env, LiveServer],  # noqa: F811 (the imported fixture)
    used: int,
) -> None:
    """Found: 16 identical requests at the last unit of the quota: the losing copies got 403
    quota_exhausted (PostgreSQL 15 of 16, SQLite up to 7) although the unit was counted."""
    env, server = live
    partner = env.partner()
    agreement = env.agreement(partner, quota=used + 1)
    factory = env.credential("factory", partner_id=partner)
    for _ in range(used):
        assert env.client.post("/v1/activations", json=env.unit(), headers=factory).is_success
    unit = env.unit()
    copies = 16

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, headers=factory, timeout=60) as http:
            return http.post("/v1/activations", json=unit)

    with ThreadPoolExecutor(copies) as pool:
        responses = list(pool.map(send, range(copies)))
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {201: 1, 200: copies - 1}, [
        r.text for r in responses if r.status_code >= 300
    ]
    tokens = {r.json()["activation"] for r in responses}
    assert len(tokens) == 1 and all(r.json()["replayed"] for r in responses if r.status_code == 200)
    with env.db.read() as s:
        assert s.execute(select(Agreement.used).where(Agreement.id == agreement)).scalar_one() == (
            used + 1
        )
    late = env.client.post("/v1/activations", json=env.unit(imei1=imei(990_001)), headers=factory)
    assert _code(late) == (403, "quota_exhausted")
