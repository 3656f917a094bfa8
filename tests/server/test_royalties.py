"""Royalty statements: units by territory × model, tiers, overage, CSV, closing a period
freezes it, corrections are adjustment lines."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.server.conftest import Env


def test_statement_tiers_close_and_adjust(env: Env) -> None:
    partner = env.partner()
    agreement = env.agreement(
        partner,
        quota=4,
        overage_policy="allow",
        overage_factor="1.5",
        royalty_tiers=[{"from_units": 0, "rate": "2.00"}, {"from_units": 3, "rate": "1.50"}],
    )
    factory = env.credential("factory", partner_id=partner)
    for territory in ("IN", "IN", "LK", "NP", "BD"):
        env.ok("POST", "/v1/activations", factory, json=env.unit(territory=territory))
    url = f"/v1/royalties/statements?partner_id={partner}&period=2026-10"
    got = env.ok("GET", url, env.admin)["statements"][0]
    assert got["status"] == "open"
    assert got["lines"] == [
        {
            "territory": "BD",
            "model_code": "Z60",
            "rate": "1.50",
            "units": 1,
            "overage_units": 1,
            "amount": "1.50",
        },
        {
            "territory": "IN",
            "model_code": "Z60",
            "rate": "2.00",
            "units": 2,
            "overage_units": 0,
            "amount": "4.00",
        },
        {
            "territory": "LK",
            "model_code": "Z60",
            "rate": "2.00",
            "units": 1,
            "overage_units": 0,
            "amount": "2.00",
        },
        {
            "territory": "NP",
            "model_code": "Z60",
            "rate": "1.50",
            "units": 1,
            "overage_units": 0,
            "amount": "1.50",
        },
    ]
    assert got["totals"]["units"] == 5 and got["totals"]["total_amount"] == "9.00"
    csv_text = env.client.get(url + "&format=csv", headers=env.admin).text
    assert csv_text.splitlines()[0].startswith("partner_id,agreement_id,period")
    assert len(csv_text.splitlines()) == 1 + 4 + 2

    early = env.client.post(
        "/v1/royalties/closures",
        headers=env.admin,
        json={"agreement_id": agreement, "period": "2026-10"},
    )
    assert early.json()["error"]["code"] == "period_not_over"
    env.clock.set(datetime(2026, 11, 2, tzinfo=UTC))
    closed = env.ok(
        "POST",
        "/v1/royalties/closures",
        env.admin,
        json={"agreement_id": agreement, "period": "2026-10"},
    )
    assert closed["status"] == "closed"
    env.ok(
        "POST",
        "/v1/royalties/adjustments",
        env.admin,
        json={
            "agreement_id": agreement,
            "refers_to_period": "2026-10",
            "units": 1,
            "amount": "1.50",
            "reason": "unit activated offline on line 3",
        },
    )
    env.ok("POST", "/v1/activations", factory, json=env.unit())  # November
    frozen = env.ok("GET", url, env.admin)["statements"][0]
    assert frozen == closed  # reproducible: later activity does not change a closed period
    november = env.ok("GET", url.replace("2026-10", "2026-11"), env.admin)["statements"][0]
    assert november["adjustments"][0]["refers_to_period"] == "2026-10"
    assert november["totals"]["total_amount"] == "3.00"
    assert november["cumulative"] == {"units": 7, "amount": "12.00"}
    again = env.client.post(
        "/v1/royalties/closures",
        headers=env.admin,
        json={"agreement_id": agreement, "period": "2026-10"},
    )
    assert again.json()["error"]["code"] == "period_closed"
    bad = env.client.get(url.replace("2026-10", "2026-13"), headers=env.admin)
    assert bad.json()["error"]["code"] == "invalid_period"
