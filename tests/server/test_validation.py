"""One validation for both databases (issue 12): what SQLite would store and PostgreSQL
refuse (NUL and other control characters, lone surrogates, integers past ``integer``), times
without a zone and out-of-range royalty periods are refused the same way on both, with a
4xx that names the field — never a 500, never a half-written row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from handsetguard.server.models import Partner
from tests.cli_runner import run
from tests.server.conftest import Env, agreement_body


def _status(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def _partners(env: Env) -> int:
    with env.db.read() as s:
        return int(s.execute(select(func.count()).select_from(Partner)).scalar_one())


@pytest.mark.parametrize(
    "name", ["Lava\x00International", "Lava\x01", "Lava\x1b[31m", "Lava\x7f", "Lava\x85"]
)
def test_control_characters_are_refused_on_both_databases(env: Env, name: str) -> None:
    """Found: SQLite stored NUL bytes in names that PostgreSQL refused with 422."""
    before = _partners(env)
    response = env.client.post(
        "/v1/partners", headers=env.admin, json={"legal_name": name, "country": "IN"}
    )
    assert _status(response) == (422, "invalid_request")
    assert "control character" in json.dumps(response.json())
    assert _partners(env) == before


def test_control_characters_deep_in_a_body_and_lone_surrogates(env: Env) -> None:
    partner = env.partner()
    nested = agreement_body(partner, brand_assets=["shield\x00logo"])
    assert _status(env.client.post("/v1/agreements", headers=env.admin, json=nested)) == (
        422,
        "invalid_request",
    )
    raw = b'{"legal_name": "Lava \\ud800 Ltd", "country": "IN"}'
    response = env.client.post(
        "/v1/partners", headers={**env.admin, "Content-Type": "application/json"}, content=raw
    )
    assert _status(response) == (422, "invalid_request")
    # Tabs and line ends are text, not controls: a note may have lines.
    assert env.client.post(
        "/v1/partners", headers=env.admin, json={"legal_name": "Lava\tLtd", "country": "IN"}
    ).is_success


@pytest.mark.parametrize(
    "url",
    ["/v1/devices/%00", "/v1/devices?serial=SN%00X", "/v1/agreements/a%01b", "/v1/partners/%C2%85"],
)
def test_control_characters_in_the_url_are_one_answer(env: Env, url: str) -> None:
    response = env.client.get(url, headers=env.admin)
    assert _status(response) == (400, "invalid_url")


def test_integers_fit_every_column(env: Env) -> None:
    """Found: on PostgreSQL a tier from_units >= 2^31 (and quota 10^9 x overage 10) was
    accepted, then every activation under the agreement failed with a misleading 422."""
    partner = env.partner()
    tiers = [{"from_units": 0, "rate": "1.50"}, {"from_units": 2**31, "rate": "1.00"}]
    too_far = env.client.post(
        "/v1/agreements", headers=env.admin, json=agreement_body(partner, royalty_tiers=tiers)
    )
    assert _status(too_far) == (422, "invalid_request")
    big = agreement_body(partner, quota=10**9, overage_policy="allow", overage_factor="10")
    assert _status(env.client.post("/v1/agreements", headers=env.admin, json=big)) == (
        422,
        "invalid_quota",
    )
    tiers[1]["from_units"] = 2**31 - 1  # the largest that fits: accepted, and it works
    env.ok("POST", "/v1/agreements", env.admin, json=agreement_body(partner, royalty_tiers=tiers))
    factory = env.credential("factory", partner_id=partner)
    made = env.client.post("/v1/activations", headers=factory, json=env.unit())
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    ("expires_at", "status"),
    [
        ("2027-01-01T00:00:00", 422),  # no zone: refused, never guessed
        ("9999-12-31T23:00:00-05:00", 422),  # past year 9999 in UTC
        ("0001-01-01T00:00:00+01:00", 422),
        ("2027-01-01T05:30:00+05:30", 201),
    ],
)
def test_credential_expiry_needs_a_zone_and_a_range(env: Env, expires_at: str, status: int) -> None:
    """Found: POST /v1/credentials with an expires_at without a time zone answered 500."""
    body = {"name": "auditor", "role": "auditor", "expires_at": expires_at}
    response = env.client.post("/v1/credentials", headers=env.admin, json=body)
    assert response.status_code == status, response.text
    if status == 201:
        assert response.json()["expires_at"] == "2027-01-01T00:00:00+00:00"


@pytest.mark.parametrize("period", ["0000-01", "9999-12"])
def test_royalty_periods_out_of_range_are_422(env: Env, period: str) -> None:
    """Found: royalty periods 0000-01 / 9999-12 answered 500 (statements, closures,
    adjustments) and the CLI printed a traceback."""
    partner = env.partner()
    agreement = env.agreement(partner)
    statements = env.client.get(
        f"/v1/royalties/statements?partner_id={partner}&period={period}", headers=env.admin
    )
    closure = env.client.post(
        "/v1/royalties/closures",
        headers=env.admin,
        json={"agreement_id": agreement, "period": period},
    )
    adjustment = env.client.post(
        "/v1/royalties/adjustments",
        headers=env.admin,
        json={
            "agreement_id": agreement,
            "refers_to_period": period,
            "units": 1,
            "amount": "1.50",
            "reason": "late report",
        },
    )
    for response in (statements, closure, adjustment):
        assert _status(response) == (422, "invalid_period"), response.text
    url = env.settings.database_url
    result = run(
        "royalty", "statement", "--partner", partner, "--period", period, "--database-url", url
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.splitlines() == [f"error: period '{period}': years 0001-9998 only"]
