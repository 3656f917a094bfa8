"""The support desk's lookup shows a unit's registration (state, register, reference, the
ship verdict) and its blocklisted IMEIs, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.server.conftest import Env
from tests.server.registers.helpers import (
    activate,
    batch,
    licensed_partner,
    post_receipt,
    receipt_csv,
)


def test_support_lookup_shows_registration_and_blocklist_hits(env: Env) -> None:
    who = licensed_partner(env)
    support = env.credential("support", partner_id=who.id)
    (unit,) = activate(env, who, "IN", 1)
    card = env.ok("GET", "/v1/support/lookup", support, params={"q": unit["serial"]})["units"][0]
    assert (card["registration"]["state"], card["registration"]["shippable"]) == (
        "unregistered",
        False,
    )
    made = batch(env, who, "IN")
    data = receipt_csv(
        ["IMEI", "Status", "Remarks", "Certificate No"],
        [[unit["imei1"], "Accepted", "", "ICDR/2026/7"]],
    )
    assert post_receipt(env, who, made["id"], data).status_code == 200
    listed = env.client.post(
        "/v1/registrations/blocklist",
        content=f"{unit['imei2']}\n".encode(),
        params={"source": "CEIR"},
        headers=who.admin,
    )
    assert listed.status_code == 200
    card = env.ok("GET", "/v1/support/lookup", support, params={"q": unit["imei1"]})["units"][0]
    registration = card["registration"]
    assert (registration["state"], registration["registry"], registration["reference"]) == (
        "registered",
        "IN-ICDR",
        "ICDR/2026/7",
    )
    assert registration["shippable"] is True
    assert registration["blocklisted"] == [unit["imei2"]]
