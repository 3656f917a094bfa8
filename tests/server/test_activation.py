"""Activation: idempotency, duplicates across partners, nonces, scopes, every refusal with
its reason code — and nothing half-written after a refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handsetguard.server.models import Activation, Agreement, Device, DeviceImei, Nonce
from tests.server.conftest import Env, imei


def _code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def _counts(env: Env) -> tuple[int, int, int, int]:
    with env.db.read() as s:
        return (
            s.execute(select(func.count()).select_from(Device)).scalar_one(),
            s.execute(select(func.count()).select_from(DeviceImei)).scalar_one(),
            s.execute(select(func.count()).select_from(Activation)).scalar_one(),
            s.execute(select(func.sum(Agreement.used))).scalar_one() or 0,
        )


@pytest.fixture
def factory(env: Env) -> dict[str, str]:
    partner = env.partner()
    env.agreement(partner, quota=5)
    return env.credential("factory", partner_id=partner)


def test_retry_returns_the_same_signed_activation_and_counts_once(
    env: Env, factory: dict[str, str]
) -> None:
    unit = env.unit()
    first = env.client.post("/v1/activations", json=unit, headers=factory)
    env.clock.advance(timedelta(minutes=5))
    again = env.client.post("/v1/activations", json=unit, headers=factory)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["activation"] == first.json()["activation"]
    assert again.json()["replayed"] is True
    assert _counts(env) == (1, 2, 1, 1)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"imei1": "351234560000001"}, "invalid_imei"),  # bad Luhn digit
        ({"imei1": "35123456000000"}, "invalid_imei"),  # 14 digits
        ({"imei1": "35123456000000x"}, "invalid_imei"),
        ({"imei2": None, "imei1": imei(999)}, None),  # a single-SIM unit is fine
        ({"territory": "XX"}, "invalid_territory"),
        ({"territory": "in"}, "invalid_territory"),
        ({"model_code": "Z 60"}, "invalid_model"),
        ({"serial": "a"}, "invalid_serial"),
    ],
)
def test_bad_identity_is_422_with_a_reason(
    env: Env, factory: dict[str, str], change: dict[str, Any], code: str | None
) -> None:
    response = env.client.post("/v1/activations", json=env.unit(**change), headers=factory)
    if code is None:
        assert response.status_code == 201, response.text
        return
    assert _code(response) == (422, code)
    assert _counts(env) == (0, 0, 0, 0)


def test_same_imei_twice_in_one_unit_is_invalid(env: Env, factory: dict[str, str]) -> None:
    unit = env.unit()
    unit["imei2"] = unit["imei1"]
    assert _code(env.client.post("/v1/activations", json=unit, headers=factory)) == (
        422,
        "invalid_imei",
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"territory": "PK"}, "territory_not_licensed"),
        ({"model_code": "Z70"}, "model_not_licensed"),
        ({"imei1": imei(5, tac="86000000")}, "tac_mismatch"),
    ],
)
def test_outside_the_licence_is_refused(
    env: Env, factory: dict[str, str], change: dict[str, Any], code: str
) -> None:
    assert _code(env.client.post("/v1/activations", json=env.unit(**change), headers=factory)) == (
        403,
        code,
    )
    assert _counts(env) == (0, 0, 0, 0)


def test_outside_the_term_and_suspended_terminated(env: Env) -> None:
    partner = env.partner()
    agreement = env.agreement(partner, term_start="2026-11-01")
    factory = env.credential("factory", partner_id=partner)
    post = lambda: env.client.post("/v1/activations", json=env.unit(), headers=factory)  # noqa: E731
    assert _code(post()) == (403, "outside_term")
    env.clock.advance(timedelta(days=20))
    assert post().status_code == 201
    status = f"/v1/agreements/{agreement}/status"
    env.ok("POST", status, env.admin, json={"status": "suspended", "reason": "unpaid"})
    assert _code(post()) == (403, "agreement_suspended")
    env.ok("POST", status, env.admin, json={"status": "terminated", "reason": "ended"})
    assert _code(post()) == (403, "agreement_terminated")
    again = env.client.post(status, json={"status": "active", "reason": "x"}, headers=env.admin)
    assert _code(again) == (409, "invalid_transition")
    assert _counts(env) == (1, 2, 1, 1)


def test_overage_allowed_up_to_the_factor_and_flagged(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner, quota=2, overage_policy="allow", overage_factor="1.5")
    factory = env.credential("factory", partner_id=partner)
    results = [
        env.client.post("/v1/activations", json=env.unit(), headers=factory) for _ in range(4)
    ]
    assert [r.status_code for r in results] == [201, 201, 201, 403]
    assert [r.json().get("overage") for r in results[:3]] == [False, False, True]
    assert results[3].json()["error"]["code"] == "quota_exhausted"


def test_duplicate_identifiers_across_partners(env: Env, factory: dict[str, str]) -> None:
    other = env.partner("Other Handsets Ltd")
    env.agreement(other)
    other_factory = env.credential("factory", partner_id=other)
    unit = env.unit()
    assert env.client.post("/v1/activations", json=unit, headers=factory).status_code == 201
    for clash in (
        unit,  # the very same unit, from another partner (serials alone: test_tenancy.py)
        {**env.unit(), "imei1": unit["imei2"]},  # IMEI 2 of one unit as IMEI 1 of another
    ):
        response = env.client.post("/v1/activations", json=clash, headers=other_factory)
        assert _code(response) == (409, "duplicate_device")
    same_partner = {**env.unit(), "imei2": unit["imei1"]}
    response = env.client.post("/v1/activations", json=same_partner, headers=factory)
    assert _code(response) == (409, "duplicate_device")
    assert _counts(env) == (1, 2, 1, 1)


def test_nonce_single_use_per_credential_and_expiring(env: Env, factory: dict[str, str]) -> None:
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    first = env.client.post("/v1/activations", json=env.unit(nonce=nonce), headers=factory)
    assert first.status_code == 201
    replay = env.client.post("/v1/activations", json=env.unit(nonce=nonce), headers=factory)
    assert _code(replay) == (403, "nonce_replayed")
    unknown = env.client.post("/v1/activations", json=env.unit(nonce="00" * 32), headers=factory)
    assert _code(unknown) == (403, "nonce_unknown")
    late = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    env.clock.advance(timedelta(seconds=env.settings.nonce_ttl_seconds + 1))
    expired = env.client.post("/v1/activations", json=env.unit(nonce=late), headers=factory)
    assert _code(expired) == (403, "nonce_expired")
    with env.db.read() as s:
        assert s.get(Nonce, late) is not None and s.get(Nonce, late).used_at is None  # type: ignore[union-attr]


def test_attestation_chain_is_never_accepted_unverified(env: Env, factory: dict[str, str]) -> None:
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    no_nonce = env.client.post(
        "/v1/activations", json=env.unit(attestation_chain=["AAAA"]), headers=factory
    )
    assert _code(no_nonce) == (422, "nonce_required")
    junk = env.unit(attestation_chain=["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"], nonce=nonce)
    response = env.client.post("/v1/activations", json=junk, headers=factory)
    assert response.status_code == 403
    assert response.json()["error"]["code"] in ("attestation_invalid", "attestation_unsupported")
    assert _counts(env) == (0, 0, 0, 0)


def test_factory_scope_model_and_line(env: Env) -> None:
    partner = env.partner()
    env.agreement(
        partner,
        device_models=[{"model_code": "Z60", "tac_prefixes": []}, {"model_code": "Z70"}],
    )
    line = env.credential("factory", partner_id=partner, model_code="Z60", factory_line="L1")
    other_model = env.client.post("/v1/activations", json=env.unit(model_code="Z70"), headers=line)
    assert _code(other_model) == (403, "credential_scope")
    other_line = env.unit(factory_line="L2")
    assert _code(env.client.post("/v1/activations", json=other_line, headers=line)) == (
        403,
        "credential_scope",
    )
    made = env.ok("POST", "/v1/activations", line, json=env.unit())
    device = env.ok("GET", f"/v1/devices/{made['device_id']}", env.admin)
    assert device["factory_line"] == "L1"


def test_credentials_expired_revoked_missing_malformed(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    expiring = env.credential("factory", partner_id=partner, expires_at="2026-10-16T00:00:00Z")
    revoked = env.ok(
        "POST",
        "/v1/credentials",
        env.admin,
        json={"name": "old line", "role": "factory", "partner_id": partner},
    )
    env.ok("POST", f"/v1/credentials/{revoked['id']}/revoke", env.admin)
    assert env.client.post("/v1/activations/nonce", headers=expiring).status_code == 201
    env.clock.advance(timedelta(days=1))
    cases = [
        (expiring, "credential_expired"),
        ({"Authorization": f"Bearer {revoked['token']}"}, "credential_revoked"),
        ({}, "missing_credential"),
        ({"Authorization": "Bearer hgk_0123456789abcdef_nope"}, "invalid_credential"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "missing_credential"),
    ]
    for headers, code in cases:
        response = env.client.post("/v1/activations", json=env.unit(), headers=headers)
        assert _code(response) == (401, code)


def test_malformed_bodies(env: Env, factory: dict[str, str]) -> None:
    post = env.client.post
    raw = post(
        "/v1/activations",
        content=b'{"serial": ',
        headers={**factory, "Content-Type": "application/json"},
    )
    assert _code(raw) == (400, "malformed_json")
    wrong_type = post("/v1/activations", json={**env.unit(), "serial": 12}, headers=factory)
    assert _code(wrong_type) == (422, "invalid_request")
    extra = post("/v1/activations", json={**env.unit(), "admin": True}, headers=factory)
    assert _code(extra) == (422, "invalid_request")
    big = post(
        "/v1/activations",
        content=b"x" * (env.settings.max_body_bytes + 1),
        headers={**factory, "Content-Type": "application/json"},
    )
    assert _code(big) == (413, "body_too_large")
    assert _code(env.client.get("/v1/nowhere")) == (404, "not_found")
    assert _counts(env) == (0, 0, 0, 0)


def test_agreement_amended_between_plan_and_commit_is_replanned(
    env: Env, factory: dict[str, str]
) -> None:
    from handsetguard.server.core.tokens import parse_token
    from handsetguard.server.schemas.devices import ActivationIn
    from handsetguard.server.schemas.licensing import AgreementTerms
    from handsetguard.server.services import activation, agreements
    from handsetguard.server.services.actors import SYSTEM
    from handsetguard.server.services.credentials import actor_from_row

    store, token = env.store, factory["Authorization"].split()[1]
    body = ActivationIn(**env.unit(territory="LK"))
    credential_id = parse_token(token)[0]  # type: ignore[index]
    snap = store.read(credential_id, body.serial, (body.imei1, body.imei2), None)
    actor = actor_from_row(snap.credential, token, env.clock.now())
    unit = activation._plan(snap, actor, body, env.clock.now(), None)  # type: ignore[arg-type]
    current = env.ok("GET", f"/v1/agreements/{unit.agreement_id}", env.admin)["terms"]
    terms = AgreementTerms.model_validate({**current, "territories": ["IN"]})
    with env.db.write() as s:
        agreements.amend(s, SYSTEM, unit.agreement_id, terms, "drop LK", env.clock.now())
    # The guard sees version 2 and writes nothing ...
    assert store.write(unit) is None
    assert store.agreement_state(unit.agreement_id) == ("active", 2)
    assert _counts(env) == (0, 0, 0, 0)
    # ... and through the front door the plan is redone: LK is no longer licensed.
    response = env.client.post("/v1/activations", json=body.model_dump(), headers=factory)
    assert _code(response) == (403, "territory_not_licensed")
    assert _counts(env) == (0, 0, 0, 0)
