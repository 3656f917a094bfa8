"""The imported IMEI blocklist on SQLite and PostgreSQL: a listed IMEI (as IMEI 1 or 2) is
refused at activation with imei_blocklisted and nothing is written; a unit activated before
it was listed still replays; the support desk sees the hit; a bad file applies nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from handsetguard.server.models import BlockedImei, Device
from tests.server.conftest import Env, imei
from tests.server.registers.helpers import activate, licensed_partner


def _import(env: Env, headers: dict[str, str], data: bytes, **params: str) -> object:
    return env.client.post(
        "/v1/registrations/blocklist",
        content=data,
        params={"source": "CEIR export 2026-10", "filename": "ceir.csv", **params},
        headers=headers,
    )


def test_a_blocklisted_imei_cannot_be_activated(env: Env) -> None:
    who = licensed_partner(env)
    (earlier,) = activate(env, who, "IN", 1)
    fresh = env.unit()
    listed = f"IMEI\n{fresh['imei2']}\n{earlier['imei1']}\n".encode()
    response = _import(env, who.admin, listed, territory="IN")
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    assert response.json() == {"added": 2, "already_listed": 0, "problems": []}  # type: ignore[attr-defined]
    refused = env.client.post("/v1/activations", json=fresh, headers=who.factory)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "imei_blocklisted"
    assert fresh["imei2"] in refused.json()["error"]["message"]
    with env.db.read() as session:
        assert session.execute(select(func.count()).select_from(Device)).scalar_one() == 1
    # Activated before it was listed: the stored activation is still returned (idempotent).
    replay = env.client.post("/v1/activations", json=earlier, headers=who.factory)
    assert replay.status_code == 200
    support = env.credential("support", partner_id=who.id)
    seen = env.ok("GET", f"/v1/registrations/status/{earlier['serial']}", support)
    assert seen[0]["blocklisted"] == [earlier["imei1"]]
    again = _import(env, who.admin, listed).json()  # type: ignore[attr-defined]
    assert (again["added"], again["already_listed"]) == (0, 2)


def test_a_bad_blocklist_applies_nothing_unless_partial(env: Env) -> None:
    who = licensed_partner(env)
    data = f"{imei(1)}\n{imei(2)}\n35123\n".encode()
    refused = _import(env, who.admin, data)
    body = refused.json()["error"]  # type: ignore[attr-defined]
    assert (refused.status_code, body["code"]) == (422, "blocklist_invalid")  # type: ignore[attr-defined]
    assert (
        body["message"] == "ceir.csv: row 3, column IMEI: '35123' is not an IMEI; nothing applied"
    )
    with env.db.read() as session:
        assert session.execute(select(func.count()).select_from(BlockedImei)).scalar_one() == 0
    partial = _import(env, who.admin, data, partial="true").json()  # type: ignore[attr-defined]
    assert partial["added"] == 2 and len(partial["problems"]) == 1
    factory_import = _import(env, who.factory, data)
    assert factory_import.status_code == 403  # type: ignore[attr-defined]
