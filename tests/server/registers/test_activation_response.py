"""The activation response says whether the unit's territory register must still register
it (SQLite and PostgreSQL): a new unit in India yes (IN-ICDR); its replay once registered
no; a territory without a register no."""

from __future__ import annotations

from tests.server.conftest import Env, agreement_body
from tests.server.registers.helpers import batch, licensed_partner, post_receipt, receipt_csv


def test_activation_says_whether_registration_is_still_required(env: Env) -> None:
    who = licensed_partner(env)
    unit = env.unit(territory="IN")
    first = env.client.post("/v1/activations", json=unit, headers=who.factory).json()
    assert (first["registration_required"], first["registration_register"]) == (True, "IN-ICDR")
    made = batch(env, who, "IN")
    data = receipt_csv(
        ["IMEI", "Status", "Remarks", "Certificate No"], [[unit["imei1"], "Accepted", "", "C1"]]
    )
    assert post_receipt(env, who, made["id"], data).status_code == 200
    replay = env.client.post("/v1/activations", json=unit, headers=who.factory)
    assert replay.status_code == 200
    assert (replay.json()["replayed"], replay.json()["registration_required"]) == (True, False)

    terms = {k: v for k, v in agreement_body(who.id, quota=1000).items() if k != "partner_id"}
    amended = {"terms": {**terms, "territories": ["IN", "AE"]}, "note": "adds the UAE"}
    env.ok("POST", f"/v1/agreements/{who.agreement}/amendments", env.admin, json=amended)
    uae = env.client.post("/v1/activations", json=env.unit(territory="AE"), headers=who.factory)
    assert uae.status_code == 201, uae.text
    body = uae.json()
    assert (body["registration_required"], body["registration_register"]) == (False, None)
