"""Receipts that must not apply, on SQLite and PostgreSQL: an unknown batch, IMEIs outside
the batch, a bad row anywhere (nothing half-applied), and --partial applying the good rows
with the others reported row by row; roles, the licence number a batch needs, the counts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from handsetguard.server.models import Registration
from tests.server.conftest import Env, imei
from tests.server.registers.helpers import (
    activate,
    batch,
    licensed_partner,
    post_receipt,
    receipt_csv,
    status,
)

HEADER = ["IMEI", "Status", "Remarks", "Certificate No"]


def _states(env: Env) -> dict[str, int]:
    with env.db.read() as session:
        rows = session.execute(
            select(Registration.state, func.count()).group_by(Registration.state)
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def _error(response: Any) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_unknown_batch_is_refused(env: Env) -> None:
    who = licensed_partner(env)
    data = receipt_csv(HEADER, [[imei(1), "Accepted", "", "R"]])
    response = post_receipt(env, who, "no-such-batch", data)
    assert _error(response)[:2] == (404, "batch_not_found")


def test_another_partners_batch_is_unknown_to_me(env: Env) -> None:
    who, other = licensed_partner(env), licensed_partner(env, "Other OEM Pvt Ltd")
    activate(env, who, "IN", 1)
    made = batch(env, who, "IN")
    data = receipt_csv(HEADER, [[imei(1), "Accepted", "", "R"]])
    assert _error(post_receipt(env, other, made["id"], data))[:2] == (404, "batch_not_found")
    file = env.client.get(f"/v1/registrations/batches/{made['id']}/file", headers=other.admin)
    assert file.status_code == 404


def test_an_imei_outside_the_batch_refuses_the_whole_receipt(env: Env) -> None:
    who = licensed_partner(env)
    units = activate(env, who, "IN", 2)
    made = batch(env, who, "IN")
    stranger = imei(900_000)
    data = receipt_csv(
        HEADER,
        [
            [units[0]["imei1"], "Accepted", "", "R1"],
            [stranger, "Accepted", "", "R2"],
            [units[1]["imei1"], "Accepted", "", "R3"],
        ],
    )
    code, reason, message = _error(post_receipt(env, who, made["id"], data))
    assert (code, reason) == (422, "receipt_invalid")
    assert message == f"result.csv: row 3, column IMEI: not in batch {made['id']}; nothing applied"
    assert _states(env) == {"in_batch": 2}


def test_nothing_half_applied_then_partial_applies_the_good_rows(env: Env) -> None:
    who = licensed_partner(env)
    units = activate(env, who, "IN", 3)
    made = batch(env, who, "IN")
    data = receipt_csv(
        HEADER,
        [
            [units[0]["imei1"], "Accepted", "", "R1"],
            [units[1]["imei1"], "Maybe", "", ""],
            [units[2]["imei1"], "Rejected", "Brand not approved", ""],
            [units[2]["imei1"], "Rejected", "again", ""],
        ],
    )
    code, reason, message = _error(post_receipt(env, who, made["id"], data))
    assert (code, reason) == (422, "receipt_invalid")
    assert message.startswith("result.csv: row 3, column Status: 'maybe' is none of")
    assert message.endswith("(and 1 more problems); nothing applied")
    assert _states(env) == {"in_batch": 3}
    response = post_receipt(env, who, made["id"], data, partial="true")
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["registered"], out["rejected"], out["pending"]) == (1, 1, 1)
    assert [p.split(":")[1].strip() for p in out["problems"]] == [
        "row 3, column Status",
        "row 5, column IMEI",
    ]
    assert _states(env) == {"in_batch": 1, "registered": 1, "rejected": 1}
    assert status(env, who, units[1]["serial"])["state"] == "in_batch"
    assert env.ok("GET", f"/v1/registrations/batches/{made['id']}", who.admin)["status"] == "frozen"


def test_a_unit_already_decided_cannot_flip(env: Env) -> None:
    who = licensed_partner(env)
    (unit,) = activate(env, who, "IN", 1)
    made = batch(env, who, "IN")
    ok = receipt_csv(HEADER, [[unit["imei1"], "Accepted", "", "R1"]])
    assert post_receipt(env, who, made["id"], ok).status_code == 200
    flip = receipt_csv(HEADER, [[unit["imei2"], "Rejected", "late", ""]])
    code, _, message = _error(post_receipt(env, who, made["id"], flip))
    assert code == 422 and "already registered by an earlier receipt" in message
    assert status(env, who, unit["imei1"])["state"] == "registered"


def test_a_rejected_second_imei_rejects_the_unit(env: Env) -> None:
    who = licensed_partner(env)
    (unit,) = activate(env, who, "IN", 1)
    made = batch(env, who, "IN")
    data = receipt_csv(
        HEADER,
        [
            [unit["imei1"], "Accepted", "", "R1"],
            [unit["imei2"], "Rejected", "IMEI 2 duplicate", ""],
        ],
    )
    assert post_receipt(env, who, made["id"], data).json()["rejected"] == 1
    seen = status(env, who, unit["serial"])
    assert (seen["state"], seen["reason"]) == ("rejected", "IMEI 2 duplicate")


def test_roles_and_the_licence_number_a_batch_needs(env: Env) -> None:
    who = licensed_partner(env)
    activate(env, who, "NP", 1)  # no NTA approval number recorded for Nepal
    body = {"agreement_id": who.agreement, "territory": "NP"}
    refused = env.client.post("/v1/registrations/batches", json=body, headers=who.admin)
    assert _error(refused)[:2] == (403, "licence_number_missing")
    support = env.credential("support", partner_id=who.id)
    for headers in (who.factory, support, env.credential("auditor")):
        response = env.client.post("/v1/registrations/batches", json=body, headers=headers)
        assert _error(response)[:2] == (403, "role_not_allowed")
    (unit,) = activate(env, who, "IN", 1)
    assert env.ok("GET", f"/v1/registrations/status/{unit['imei1']}", support)[0]["state"] == (
        "unregistered"
    )
    bad = env.client.put(
        f"/v1/registrations/licences/{who.agreement}/PK",
        json={"licence_number": "X"},
        headers=who.admin,
    )
    assert _error(bad)[:2] == (403, "territory_not_licensed")


def test_registration_counts_per_territory_and_model(env: Env) -> None:
    who = licensed_partner(env)
    india = activate(env, who, "IN", 3)
    activate(env, who, "BD", 1)
    made = batch(env, who, "IN")
    data = receipt_csv(
        HEADER,
        [[india[0]["imei1"], "Accepted", "", "R1"], [india[1]["imei1"], "Rejected", "x", ""]],
    )
    assert post_receipt(env, who, made["id"], data).status_code == 200
    counts = env.ok("GET", f"/v1/registrations/summary/{who.agreement}", who.admin)
    assert counts == [
        {
            "territory": "BD",
            "model_code": "Z60",
            "activated": 1,
            "registered": 0,
            "rejected": 0,
            "in_batch": 0,
            "unregistered": 1,
        },
        {
            "territory": "IN",
            "model_code": "Z60",
            "activated": 3,
            "registered": 1,
            "rejected": 1,
            "in_batch": 1,
            "unregistered": 0,
        },
    ]


def test_decisions_written_in_chunks(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receipt's decisions go out in UPDATE … FROM (VALUES …) chunks: across a boundary
    every unit gets its own state, reference and reason."""
    from handsetguard.server.services import receipts

    monkeypatch.setattr(receipts, "_CHUNK", 2)
    who = licensed_partner(env)
    units = activate(env, who, "IN", 5)
    made = batch(env, who, "IN")
    rows = [
        [u["imei1"], "Rejected" if n == 2 else "Accepted", "bad TAC" if n == 2 else "", f"R{n}"]
        for n, u in enumerate(units)
    ]
    assert post_receipt(env, who, made["id"], receipt_csv(HEADER, rows)).status_code == 200
    seen = [status(env, who, u["serial"]) for u in units]
    assert [(s["state"], s["reference"], s["reason"]) for s in seen] == [
        ("registered", "R0", None),
        ("registered", "R1", None),
        ("rejected", "R2", "bad TAC"),
        ("registered", "R3", None),
        ("registered", "R4", None),
    ]


def test_royalty_statement_shows_registration_per_territory_and_model(env: Env) -> None:
    who = licensed_partner(env)
    india = activate(env, who, "IN", 2)
    made = batch(env, who, "IN")
    data = receipt_csv(
        HEADER,
        [[india[0]["imei1"], "Accepted", "", "R1"], [india[1]["imei1"], "Rejected", "x", ""]],
    )
    assert post_receipt(env, who, made["id"], data).status_code == 200
    params = {"partner_id": who.id, "period": "2026-10"}
    (statement,) = env.ok("GET", "/v1/royalties/statements", env.admin, params=params)["statements"]
    assert statement["registration"] == [
        {
            "territory": "IN",
            "model_code": "Z60",
            "activated": 2,
            "registered": 1,
            "rejected": 1,
            "in_batch": 0,
            "unregistered": 0,
        }
    ]
    later = env.ok(
        "GET", "/v1/royalties/statements", env.admin, params={**params, "period": "2026-11"}
    )
    assert later["statements"][0]["registration"] == []
