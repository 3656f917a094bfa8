"""The README flow end to end over HTTP (in-process), on SQLite and PostgreSQL."""

from __future__ import annotations

from handsetguard.server.core.offline import load_keys, verify_activation
from tests.server.conftest import Env


def test_partner_agreement_factory_activation_refusals(env: Env) -> None:
    partner = env.partner()
    agreement = env.agreement(partner, quota=2)
    factory = env.credential("factory", partner_id=partner)

    first = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["replayed"] is False and body["kid"] == env.kid

    outside = env.client.post("/v1/activations", json=env.unit(territory="PK"), headers=factory)
    assert (outside.status_code, outside.json()["error"]["code"]) == (
        403,
        "territory_not_licensed",
    )
    second = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    assert second.status_code == 201
    third = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    assert (third.status_code, third.json()["error"]["code"]) == (403, "quota_exhausted")

    keys = load_keys(env.client.get("/v1/keys").content)
    verified = verify_activation(body["activation"], keys)
    assert verified.payload["agreement"]["id"] == agreement
    assert verified.payload["device"]["territory"] == "IN"
    assert verified.revoked is None

    got = env.ok("GET", f"/v1/agreements/{agreement}", env.admin)
    assert got["used"] == 2
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True
