"""The audit log (append-only, hash-chained, tamper-evident), key rotation and retirement,
device revocation and the signed revocation list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from handsetguard.server.core.envelope import EnvelopeError
from handsetguard.server.core.offline import load_keys, verify_activation
from handsetguard.server.services.audit import verify_chain
from tests.server.conftest import Env


def _activate(env: Env) -> tuple[str, dict[str, str], dict[str, Any]]:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    unit = env.unit()
    made = env.ok("POST", "/v1/activations", factory, json=unit)
    return partner, factory, {**made, "unit": unit}


def test_every_state_change_is_audited_without_secrets(env: Env) -> None:
    partner, factory, made = _activate(env)
    env.ok("POST", f"/v1/devices/{made['device_id']}/revoke", env.admin, json={"reason": "lost"})
    entries = env.ok("GET", "/v1/audit?limit=500", env.admin)["items"]
    actions = [e["action"] for e in entries]
    assert actions == [
        "signing_key.create",
        "credential.issue",
        "partner.create",
        "agreement.create",
        "credential.issue",
        "device.activate",
        "device.revoke",
    ]
    assert all(e["actor_role"] for e in entries)
    token = factory["Authorization"].removeprefix("Bearer ")
    listing = env.client.get("/v1/audit?limit=500", headers=env.admin).text
    assert token.split("_", 2)[2] not in listing and "secret_hash" not in listing
    assert entries[-1]["partner_id"] == partner


def test_audit_log_refuses_update_and_tampering_is_detected(env: Env) -> None:
    _activate(env)
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True
    with pytest.raises(DBAPIError), env.db.write() as s:
        s.execute(text("UPDATE audit_log SET action = 'nothing' WHERE seq = 2"))
    with pytest.raises(DBAPIError), env.db.write() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    # A database owner who drops the guard and edits a row is still caught by the chain.
    with env.db.write() as s:
        if env.db.sqlite:
            s.execute(text("DROP TRIGGER audit_log_no_update"))
        else:
            s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        s.execute(text("UPDATE audit_log SET after = NULL WHERE seq = 3"))
    with env.db.read() as s:
        report = verify_chain(s)
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is False


def test_key_rotation_keeps_old_activations_valid_until_retired(env: Env) -> None:
    _, factory, old = _activate(env)
    new_kid = env.ok("POST", "/v1/keys/rotate", env.admin)["kid"]
    fresh = env.ok("POST", "/v1/activations", factory, json=env.unit())
    assert (old["kid"], fresh["kid"]) == (env.kid, new_kid)
    published = env.client.get("/v1/keys").content
    keys = load_keys(published)
    assert set(keys) == {env.kid, new_kid}
    verify_activation(old["activation"], keys)
    verify_activation(fresh["activation"], keys)
    busy = env.client.post(f"/v1/keys/{new_kid}/retire", headers=env.admin)
    assert busy.json()["error"]["code"] == "key_active"
    env.ok("POST", f"/v1/keys/{env.kid}/retire", env.admin)
    keys = load_keys(env.client.get("/v1/keys").content)
    assert set(keys) == {new_kid}
    with pytest.raises(EnvelopeError) as err:
        verify_activation(old["activation"], keys)
    assert err.value.code == "unknown_key"


def test_revocation_list_is_signed_and_names_revoked_and_suspended(env: Env) -> None:
    partner, factory, made = _activate(env)
    keep = env.ok("POST", "/v1/activations", factory, json=env.unit())
    revoke = {"reason": "reported by the owner", "reason_code": "stolen"}
    env.ok("POST", f"/v1/devices/{made['device_id']}/revoke", env.admin, json=revoke)
    keys = load_keys(env.client.get("/v1/keys").content)
    listed = env.client.get("/v1/revocations").text
    now = env.clock.now()
    verified = verify_activation(made["activation"], keys, listed, now=now)
    assert verified.revoked == "device revoked: stolen"
    assert verify_activation(keep["activation"], keys, listed, now=now).revoked is None
    agreement = env.ok("GET", "/v1/agreements", env.admin)["items"][0]["id"]
    env.ok(
        "POST",
        f"/v1/agreements/{agreement}/status",
        env.admin,
        json={"status": "suspended", "reason": "audit"},
    )
    listed = env.client.get("/v1/revocations").text
    verified = verify_activation(keep["activation"], keys, listed, now=now)
    assert verified.revoked == "agreement suspended"
    # A revoked unit's retry is refused, not re-issued.
    again = env.client.post("/v1/activations", json=made["unit"], headers=factory)
    assert again.json()["error"]["code"] == "device_revoked"
    assert partner


def test_tampered_or_misused_envelopes_fail(env: Env) -> None:
    _, _, made = _activate(env)
    keys = load_keys(env.client.get("/v1/keys").content)
    version, head, body, sig = made["activation"].split(".")
    forged = ".".join((version, head, body[:-2] + ("AA" if body[-2:] != "AA" else "BB"), sig))
    with pytest.raises(EnvelopeError):
        verify_activation(forged, keys)
    listed = env.client.get("/v1/revocations").json()["revocations"]
    with pytest.raises(EnvelopeError) as err:
        verify_activation(listed, keys)  # a revocation list is not an activation
    assert err.value.code == "wrong_type"
