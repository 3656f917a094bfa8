"""Credentials and throttling (issue 12): a minted credential is capped at its issuer's
expiry and revoked with it; nonces expire, are purged and are bounded per credential; the
rate limit is held in the database, so two app instances on one database share it."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from handsetguard.server.app import create_app
from handsetguard.server.config import Settings
from handsetguard.server.models import Nonce
from tests.server.conftest import Env, make_env


def _partner_admin(
    env: Env, expires_in: timedelta | None = None
) -> tuple[str, dict[str, str], str]:
    partner = env.partner()
    env.agreement(partner)
    body: dict[str, object] = {"name": "oem admin", "role": "partner_admin", "partner_id": partner}
    if expires_in is not None:
        body["expires_at"] = (env.clock.now() + expires_in).isoformat()
    issued = env.ok("POST", "/v1/credentials", env.admin, json=body)
    return partner, {"Authorization": f"Bearer {issued['token']}"}, str(issued["id"])


def test_a_minted_credential_never_outlives_its_issuer(env: Env) -> None:
    """Found: credentials minted by a partner admin outlived its expiry."""
    partner, admin, _ = _partner_admin(env, expires_in=timedelta(days=30))
    body = {"name": "line 1", "role": "factory", "partner_id": partner}
    forever = env.ok("POST", "/v1/credentials", admin, json=body)
    later = (env.clock.now() + timedelta(days=400)).isoformat()
    longer = env.ok("POST", "/v1/credentials", admin, json={**body, "expires_at": later})
    ceiling = (env.clock.now() + timedelta(days=30)).isoformat()
    assert forever["expires_at"] == longer["expires_at"] == ceiling
    sooner = (env.clock.now() + timedelta(days=1)).isoformat()
    assert (
        env.ok("POST", "/v1/credentials", admin, json={**body, "expires_at": sooner})["expires_at"]
        == sooner
    )
    factory = {"Authorization": f"Bearer {forever['token']}"}
    env.clock.advance(timedelta(days=30, seconds=1))
    response = env.client.post("/v1/activations", headers=factory, json=env.unit())
    assert response.json()["error"]["code"] == "credential_expired"


def test_revoking_an_issuer_revokes_what_it_issued(env: Env) -> None:
    """Found: credentials minted by a partner admin kept working after it was revoked."""
    partner, admin, admin_id = _partner_admin(env)
    body = {"name": "line 1", "role": "factory", "partner_id": partner}
    minted = env.ok("POST", "/v1/credentials", admin, json=body)
    factory = {"Authorization": f"Bearer {minted['token']}"}
    assert env.client.post("/v1/activations", headers=factory, json=env.unit()).status_code == 201
    env.ok("POST", f"/v1/credentials/{admin_id}/revoke", env.admin)
    refused = env.client.post("/v1/activations", headers=factory, json=env.unit())
    assert refused.json()["error"]["code"] == "credential_revoked"
    audit = env.ok("GET", "/v1/audit?limit=500", env.admin)["items"]
    revoke = next(e for e in audit if e["action"] == "credential.revoke")
    assert revoke["after"]["cascade"] == [minted["id"]]


def _nonces(env: Env) -> int:
    with env.db.read() as s:
        return int(s.execute(select(func.count()).select_from(Nonce)).scalar_one())


def test_nonces_expire_are_purged_and_are_bounded(db_url: str) -> None:
    """Found: 1,000 nonce requests in 4 s were all accepted, each leaving a row forever."""
    env, client = make_env(db_url, max_open_nonces=3)
    with client:
        partner = env.partner()
        env.agreement(partner)
        factory = env.credential("factory", partner_id=partner)
        codes = [
            client.post("/v1/activations/nonce", headers=factory).status_code for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        limited = client.post("/v1/activations/nonce", headers=factory)
        assert limited.json()["error"]["code"] == "too_many_nonces"
        assert _nonces(env) == 3
        env.clock.advance(timedelta(seconds=env.settings.nonce_ttl_seconds))
        assert client.post("/v1/activations/nonce", headers=factory).status_code == 201
        assert _nonces(env) == 1  # the three expired ones are gone


def test_two_app_instances_on_one_database_share_the_rate_limit(db_url: str) -> None:
    """Found: rate limiting was per process: N processes granted N times the rate."""
    env, first = make_env(db_url, rate_limit_per_second=0.001, rate_limit_burst=6)
    settings = Settings(database_url=db_url, rate_limit_per_second=0.001, rate_limit_burst=6)
    with first, TestClient(create_app(settings, clock=env.clock)) as second:
        auditor = env.credential("auditor")  # the admin's first of 6
        codes = [
            (first if n % 2 else second).get("/v1/partners", headers=env.admin).status_code
            for n in range(8)
        ]
        assert codes == [200] * 5 + [429] * 3
        assert second.get("/v1/partners", headers=auditor).status_code == 200  # its own bucket
