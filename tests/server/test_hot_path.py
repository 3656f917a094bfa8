"""The activation hot path (services/activation_store.py): bare DBAPI reads that match the
ORM's, one guarded write whose refusals and conflicts write nothing — the nonce included —
and an audit entry the database hashes exactly as Python does."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from handsetguard.server.app import create_app
from handsetguard.server.config import Settings
from handsetguard.server.core.envelope import canonical_json, open_envelope
from handsetguard.server.core.tokens import parse_token
from handsetguard.server.models import (
    Activation,
    Agreement,
    AuditEntry,
    AuditHead,
    Credential,
    Device,
    Nonce,
    SigningKey,
)
from handsetguard.server.schemas.devices import ActivationIn
from handsetguard.server.services import activation, audit
from handsetguard.server.services.activation_sql import AGREEMENT_COLUMNS, DEVICE_COLUMNS
from handsetguard.server.services.activation_store import (
    Conflict,
    NonceLost,
    Store,
    Unit,
)
from handsetguard.server.services.actors import Actor, Role
from handsetguard.server.services.audit import Hole, entry_hash, entry_template, verify_chain
from handsetguard.server.services.credentials import LOOKUP_COLUMNS, actor_from_row
from tests.server.conftest import START, Env


def _counts(env: Env) -> tuple[int, int, int]:
    with env.db.read() as s:
        return (
            s.execute(select(func.count()).select_from(Device)).scalar_one(),
            s.execute(select(func.count()).select_from(Activation)).scalar_one(),
            s.execute(select(func.sum(Agreement.used))).scalar_one() or 0,
        )


def _plan(env: Env, headers: dict[str, str], **unit: Any) -> tuple[Store, Unit]:
    store, token = env.store, headers["Authorization"].split()[1]
    body = ActivationIn(**env.unit(**unit))
    credential_id = parse_token(token)[0]  # type: ignore[index]
    snap = store.read(credential_id, body.serial, (body.imei1, body.imei2), body.nonce)
    actor = actor_from_row(snap.credential, token, env.clock.now())
    return store, activation._plan(snap, actor, body, env.clock.now(), None)  # type: ignore[arg-type]


def test_snapshot_reads_what_the_orm_reads(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner, term_start="2026-02-03", term_end="2027-04-05")
    factory = env.credential("factory", partner_id=partner, factory_line="L2")
    unit = env.unit()
    assert env.client.post("/v1/activations", json=unit, headers=factory).status_code == 201
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    token = factory["Authorization"].split()[1]
    credential_id = parse_token(token)[0]  # type: ignore[index]
    snap = env.store.read(credential_id, unit["serial"], (unit["imei1"], None), nonce)
    with env.db.read() as s:
        credential = s.execute(select(*LOOKUP_COLUMNS).where(Credential.id == credential_id)).one()
        agreement = s.execute(select(*AGREEMENT_COLUMNS)).one()
        device = s.execute(select(*DEVICE_COLUMNS)).one()
        stored = s.execute(select(Activation)).scalar_one()
        signing_key = s.get(SigningKey, env.kid)
        nonce_row = s.get(Nonce, nonce)
    assert signing_key is not None
    assert snap.credential == {
        **credential._mapping,
        "signer_kid": env.kid,
        "signer_key": signing_key.private_key,
    }
    assert snap.agreements == [dict(agreement._mapping)]
    assert snap.devices == [
        {
            **device._mapping,
            "activation_id": stored.id,
            "kid": stored.kid,
            "token": stored.token,
            "overage": stored.overage,
        }
    ]
    assert nonce_row is not None
    assert snap.nonce == {
        "credential_id": nonce_row.credential_id,
        "used_at": None,
        "expires_at": nonce_row.expires_at,
    }
    assert snap.signer is not None and snap.signer[0] == env.kid
    # Types as the ORM gives them: dates, aware datetimes, JSON lists, booleans.
    assert str(snap.agreements[0]["term_start"]) == "2026-02-03"
    assert snap.nonce["expires_at"] == START + timedelta(seconds=env.settings.nonce_ttl_seconds)
    assert snap.agreements[0]["territories"] == ["IN", "LK", "NP", "BD"]
    assert snap.devices[0]["overage"] is False


def test_overage_token_row_and_audit_entry_agree(env: Env) -> None:
    partner = env.partner()
    tiers = [{"from_units": 0, "rate": "1.50"}, {"from_units": 2, "rate": "0.75"}]
    env.agreement(
        partner, quota=2, overage_policy="allow", overage_factor="1.5", royalty_tiers=tiers
    )
    factory = env.credential("factory", partner_id=partner)
    for _ in range(3):
        assert (
            env.client.post("/v1/activations", json=env.unit(), headers=factory).status_code == 201
        )
    with env.db.read() as s:
        rows = s.execute(select(Activation).order_by(Activation.seq)).scalars().all()
        entries = {
            e.target_id: e
            for e in s.execute(
                select(AuditEntry).where(AuditEntry.action == "device.activate")
            ).scalars()
        }
        head = s.get(AuditHead, 1)
        report = verify_chain(s)
    assert [(r.seq, r.overage, str(r.unit_rate)) for r in rows] == [
        (1, False, "1.50"),
        (2, False, "1.50"),
        (3, True, "0.75"),
    ]
    for row in rows:
        assert open_envelope(row.token).payload["overage"] is row.overage
        after = entries[row.device_id].after
        assert after is not None
        assert (after["seq"], after["overage"]) == (row.seq, row.overage)
    assert report.ok, report
    assert head is not None and head.seq == report.entries
    last = max(entries.values(), key=lambda e: e.seq)
    assert (head.hash, head.prev_hash) == (last.hash, last.prev_hash)


def test_refused_activation_leaves_the_nonce_unused(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner, quota=1)
    factory = env.credential("factory", partner_id=partner)
    assert env.client.post("/v1/activations", json=env.unit(), headers=factory).status_code == 201
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    refused = env.client.post("/v1/activations", json=env.unit(nonce=nonce), headers=factory)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "quota_exhausted")
    with env.db.read() as s:
        row = s.get(Nonce, nonce)
        assert row is not None and row.used_at is None
    assert _counts(env) == (1, 1, 1)


def test_nonce_taken_between_read_and_write_writes_nothing(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    store, unit = _plan(env, factory, nonce=nonce)
    with env.db.write() as s:
        s.execute(update(Nonce).where(Nonce.value == nonce).values(used_at=env.clock.now()))
    with pytest.raises(NonceLost):
        store.write(unit)
    assert _counts(env) == (0, 0, 0)


def test_identifier_taken_between_read_and_write_writes_nothing(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    store, unit = _plan(env, factory)
    clash = {**env.unit(), "imei1": unit.imei2}
    assert env.client.post("/v1/activations", json=clash, headers=factory).status_code == 201
    with pytest.raises(Conflict):
        store.write(unit)
    assert _counts(env) == (1, 1, 1)
    with env.db.read() as s:
        assert verify_chain(s).ok


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_unreachable_database_is_a_503_with_a_reason(kind: str, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path}"  # a folder: it exists (no command creates one) but won't open
        if kind == "sqlite"
        else "postgresql+psycopg://hg:hg@127.0.0.1:9/none?connect_timeout=2"
    )
    unit = {"serial": "SN0001", "imei1": "490154203237518", "model_code": "Z60", "territory": "IN"}
    headers = {"Authorization": "Bearer hgk_0123456789abcdef_secret"}
    with TestClient(create_app(Settings(database_url=url))) as client:  # lifespan: async path
        response = client.post("/v1/activations", json=unit, headers=headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"


ACTOR = Actor(credential_id="c1", role=Role.FACTORY, partner_id="p1")


def test_entry_template_cuts_where_the_database_fills_in() -> None:
    after = {"serial": "SN1", "seq": Hole("counter"), "overage": Hole("overage")}
    fields = audit.entry_fields(
        Hole("entry_seq"), START, ACTOR, "device.activate", ("device", "d1"), "p1", None, after
    )
    parts = entry_template(fields, ("overage", "counter", "entry_seq"))
    filled = parts[0] + b"true" + parts[1] + b"7" + parts[2] + b"42" + parts[3]
    concrete = audit.fill_holes(fields, {"overage": True, "counter": 7, "entry_seq": 42})
    assert filled == canonical_json(concrete)
    assert entry_hash("0" * 64, concrete) == hashlib.sha256(b"0" * 64 + b"\n" + filled).hexdigest()


def test_entry_template_refuses_missing_repeated_and_reordered_holes() -> None:
    fields = {"a": Hole("x"), "b": Hole("y"), "c": "\x00hole:x\x00"}
    with pytest.raises(ValueError, match="'x'"):
        entry_template(fields, ("x", "y"))  # a value that looks like hole x
    with pytest.raises(ValueError, match="'y'"):
        entry_template({"a": Hole("x")}, ("x", "y"))
    with pytest.raises(ValueError, match="out of order"):
        entry_template({"a": Hole("x"), "b": Hole("y")}, ("y", "x"))


def test_unstorable_values_are_422_and_the_connection_stays_usable(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    # PostgreSQL cannot store NUL in text and SQLite can: both refuse it alike (issue 12).
    for bad in ({"factory_line": "L\x001"}, {"nonce": "n\x00"}):
        response = env.client.post("/v1/activations", json=env.unit(**bad), headers=factory)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"
    for _ in range(3):  # every pooled connection still works
        assert (
            env.client.post("/v1/activations", json=env.unit(), headers=factory).status_code == 201
        )


def test_connections_dropped_by_the_server_are_replaced(env: Env) -> None:
    """After PostgreSQL drops every connection (a restart, a failover), the next activation
    reads on a fresh connection instead of failing on a stale pooled one."""
    if env.db.sqlite:
        pytest.skip("PostgreSQL only: SQLite has no server to drop connections")
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    assert env.client.post("/v1/activations", json=env.unit(), headers=factory).status_code == 201
    with env.db.write_engine.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    response = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    assert response.status_code == 201, response.text
    assert _counts(env) == (2, 2, 2)


def test_activation_response_is_the_documented_model(env: Env) -> None:
    from handsetguard.server.schemas.devices import ActivationOut

    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    unit = env.unit()
    for status in (201, 200):  # created, then replayed
        response = env.client.post("/v1/activations", json=unit, headers=factory)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == set(ActivationOut.model_fields)
        assert ActivationOut.model_validate(body).replayed is (status == 200)
    schema = env.client.get("/openapi.json").json()
    created = schema["paths"]["/v1/activations"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/ActivationOut")


def test_postgresql_activations_run_on_the_event_loop(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the route awaits the async store (no worker thread); SQLite, and units
    sent with an attestation chain, take the threaded path."""
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    used: list[str] = []
    threaded, on_loop = activation.activate, activation.activate_async

    def spy_threaded(*args: Any, **kw: Any) -> Any:
        used.append("thread")
        return threaded(*args, **kw)

    async def spy_on_loop(*args: Any, **kw: Any) -> Any:
        used.append("loop")
        return await on_loop(*args, **kw)

    monkeypatch.setattr(activation, "activate", spy_threaded)
    monkeypatch.setattr(activation, "activate_async", spy_on_loop)
    assert env.client.post("/v1/activations", json=env.unit(), headers=factory).status_code == 201
    nonce = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    chained = env.unit(nonce=nonce, attestation_chain=["AAAA"])
    assert env.client.post("/v1/activations", json=chained, headers=factory).status_code == 403
    assert used == (["thread", "thread"] if env.db.sqlite else ["loop", "thread"])
