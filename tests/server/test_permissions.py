"""The permission matrix: every endpoint × every role × own/other tenant. A partner-scoped
credential must never read or change another partner's data; the route list is pinned so a
new endpoint cannot be added without a row here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from handsetguard.server.models import Device
from handsetguard.server.services import alerts
from tests.server.conftest import Env, agreement_body
from tests.server.fleet.matrix import fleet_rows
from tests.server.registers.matrix import register_rows

L, A, PA, F, S = "licensor_admin", "auditor", "partner_admin", "factory", "support"
ROLES = (L, A, PA, F, S)
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/v1/keys"),
    ("GET", "/v1/revocations"),
}


@dataclass
class Tenant:
    partner: str
    agreement: str
    device: str
    serial: str
    credential: str
    imei: str = ""
    batch: str = ""
    alert: str = ""
    webhook: str = ""


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: frozenset[str]
    url: Callable[[Tenant], str]
    body: Callable[[Env, Tenant], Any] | None = None
    bound: bool = True
    """The request names a tenant's object (else it is a list, filtered by tenant)."""
    raw: Callable[[Tenant], bytes] | None = None
    """A raw request body (an uploaded file) instead of JSON."""


def row(
    method: str,
    path: str,
    allowed: tuple[str, ...],
    url: Callable[[Tenant], str] | None = None,
    body: Callable[[Env, Tenant], Any] | None = None,
) -> Row:
    return Row(
        method,
        path,
        frozenset(allowed),
        url or (lambda _t: path),
        body,
        bound=url is not None or body is not None,
    )


def raw_row(
    method: str,
    path: str,
    allowed: tuple[str, ...],
    url: Callable[[Tenant], str],
    raw: Callable[[Tenant], bytes] | None = None,
    *,
    bound: bool = True,
) -> Row:
    return Row(method, path, frozenset(allowed), url, None, bound=bound, raw=raw)


def _terms(_env: Env, t: Tenant) -> Any:
    terms = agreement_body(t.partner)
    del terms["partner_id"]
    return {"terms": terms, "note": "matrix amendment"}


MATRIX = [
    row("POST", "/v1/partners", (L,), body=lambda _e, _t: {"legal_name": "X", "country": "LK"}),
    row("GET", "/v1/partners", (L, A, PA, S)),
    row("GET", "/v1/partners/{partner_id}", (L, A, PA, S), lambda t: f"/v1/partners/{t.partner}"),
    row(
        "PUT",
        "/v1/partners/{partner_id}",
        (L,),
        lambda t: f"/v1/partners/{t.partner}",
        lambda _e, _t: {"legal_name": "Renamed Ltd", "country": "IN"},
    ),
    row("POST", "/v1/agreements", (L,), body=lambda _e, t: agreement_body(t.partner)),
    row("GET", "/v1/agreements", (L, A, PA)),
    row(
        "GET",
        "/v1/agreements/{agreement_id}",
        (L, A, PA),
        lambda t: f"/v1/agreements/{t.agreement}",
    ),
    row(
        "POST",
        "/v1/agreements/{agreement_id}/amendments",
        (L,),
        lambda t: f"/v1/agreements/{t.agreement}/amendments",
        _terms,
    ),
    row(
        "GET",
        "/v1/agreements/{agreement_id}/versions",
        (L, A, PA),
        lambda t: f"/v1/agreements/{t.agreement}/versions",
    ),
    row(
        "POST",
        "/v1/agreements/{agreement_id}/status",
        (L,),
        lambda t: f"/v1/agreements/{t.agreement}/status",
        lambda _e, _t: {"status": "active", "reason": "matrix"},
    ),
    row(
        "POST",
        "/v1/credentials",
        (L, PA),
        body=lambda _e, t: {"name": "line 2", "role": F, "partner_id": t.partner},
    ),
    row("GET", "/v1/credentials", (L, A, PA)),
    row(
        "POST",
        "/v1/credentials/{credential_id}/revoke",
        (L, PA),
        lambda t: f"/v1/credentials/{t.credential}/revoke",
    ),
    row("POST", "/v1/activations/nonce", (F,)),
    row("POST", "/v1/activations", (F,), body=lambda e, t: e.unit(agreement_id=t.agreement)),
    row("GET", "/v1/devices", (L, A, PA, S)),
    row("GET", "/v1/devices/{device_id}", (L, A, PA, S), lambda t: f"/v1/devices/{t.device}"),
    row(
        "POST",
        "/v1/devices/{device_id}/notes",
        (L, PA, S),
        lambda t: f"/v1/devices/{t.device}/notes",
        lambda _e, _t: {"text": "screen replaced"},
    ),
    row(
        "GET",
        "/v1/devices/{device_id}/notes",
        (L, A, PA, S),
        lambda t: f"/v1/devices/{t.device}/notes",
    ),
    row(
        "POST",
        "/v1/devices/{device_id}/revoke",
        (L, PA),
        lambda t: f"/v1/devices/{t.device}/revoke",
        lambda _e, _t: {"reason": "stolen"},
    ),
    row(
        "GET",
        "/v1/royalties/statements",
        (L, A, PA),
        lambda t: f"/v1/royalties/statements?partner_id={t.partner}&period=2026-10",
    ),
    row(
        "POST",
        "/v1/royalties/closures",
        (L,),
        body=lambda _e, t: {"agreement_id": t.agreement, "period": "2026-09"},
    ),
    row(
        "POST",
        "/v1/royalties/adjustments",
        (L,),
        body=lambda _e, t: {
            "agreement_id": t.agreement,
            "refers_to_period": "2026-09",
            "units": 1,
            "amount": "1.50",
            "reason": "late unit",
        },
    ),
    row("GET", "/v1/audit", (L, A)),
    row("GET", "/v1/audit/verify", (L, A)),
    row("GET", "/v1/audit/checkpoint", (L, A)),
    row("POST", "/v1/keys/rotate", (L,)),
    row("GET", "/metrics", (L, A)),
    *register_rows(row, raw_row),
    *fleet_rows(row, raw_row),
]


def _tenant(env: Env, name: str) -> tuple[Tenant, dict[str, dict[str, str]]]:
    partner = env.partner(name)
    agreement = env.agreement(partner)
    creds = {L: env.admin, A: env.credential(A)}
    for role in (PA, F, S):
        creds[role] = env.credential(role, partner_id=partner)
    unit = env.unit()
    device = env.ok("POST", "/v1/activations", creds[F], json=unit)["device_id"]
    # The registers' rows: unit in an IN batch (licence recorded), an unbatched unit in BD.
    env.ok("POST", "/v1/activations", creds[F], json=env.unit(territory="BD"))
    licence = {"licence_number": "ICDR-MFR-1"}
    env.ok("PUT", f"/v1/registrations/licences/{agreement}/IN", env.admin, json=licence)
    in_batch = {"agreement_id": agreement, "territory": "IN"}
    batch = env.ok("POST", "/v1/registrations/batches", env.admin, json=in_batch)["id"]
    spare = env.ok(
        "POST",
        "/v1/credentials",
        env.admin,
        json={"name": "spare", "role": S, "partner_id": partner},
    )["id"]
    # The fleet's rows: an open alert on the unit, a webhook of the partner.
    with env.db.write() as session:
        raised = alerts.raise_alert(
            session, session.get(Device, device), "stale", "no_check_in", {}, now=env.clock.now()
        )
        assert raised is not None
        alert = raised.id
    hook = {"partner_id": partner, "url": "https://hooks.example.com/matrix"}
    webhook = env.ok("POST", "/v1/webhooks", env.admin, json=hook)["id"]
    tenant = Tenant(
        partner, agreement, device, unit["serial"], spare, unit["imei1"], batch, alert, webhook
    )
    return tenant, creds


def test_every_route_is_in_the_matrix(env: Env) -> None:
    paths = env.client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    covered = (
        {(r.method, r.path) for r in MATRIX}
        | PUBLIC
        | {
            ("POST", "/v1/keys/{kid}/retire"),  # covered by test_keys_revocation
            ("POST", "/v1/checkins"),  # covered by tests/server/fleet/test_checkins.py
        }
    )
    assert routes == covered


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(env: Env, role: str) -> None:
    own, own_creds = _tenant(env, "Own Mobiles Pvt Ltd")
    other, _ = _tenant(env, "Other Handsets Ltd")
    headers = own_creds[role]
    for entry in MATRIX:
        targets = ((own, "own"), (other, "other")) if entry.bound else ((own, "own"),)
        for tenant, owner in targets:
            body = entry.body(env, tenant) if entry.body else None
            if entry.raw is not None:
                response = env.client.request(
                    entry.method, entry.url(tenant), headers=headers, content=entry.raw(tenant)
                )
            else:
                response = env.client.request(
                    entry.method, entry.url(tenant), headers=headers, json=body
                )
            where = f"{role} {entry.method} {entry.path} on {owner} tenant"
            visible = role in (L, A) or owner == "own"
            if role in entry.allowed and visible:
                assert response.status_code < 300, (where, response.text)
                if role not in (L, A) and entry.method == "GET":
                    for secret in (other.partner, other.agreement, other.device, other.serial):
                        assert secret not in response.text, where
            else:
                assert response.status_code in (403, 404), (where, response.text)
                assert "error" in response.json()


def test_partner_admin_cannot_issue_credentials_for_another_role_or_partner(env: Env) -> None:
    own, creds = _tenant(env, "Own Mobiles Pvt Ltd")
    other, _ = _tenant(env, "Other Handsets Ltd")
    for body in (
        {"name": "x", "role": L},
        {"name": "x", "role": PA, "partner_id": own.partner},
        {"name": "x", "role": F, "partner_id": other.partner},
    ):
        response = env.client.post("/v1/credentials", json=body, headers=creds[PA])
        assert response.status_code in (403, 404), response.text
