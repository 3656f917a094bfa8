"""Shared set-up for the register tests: a partner licensed for IN, LK, NP and BD with
licence numbers recorded, a partner-admin and a factory credential, and units activated."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from tests.server.conftest import Env


@dataclass
class Partner:
    id: str
    agreement: str
    admin: dict[str, str]
    factory: dict[str, str]


def licensed_partner(env: Env, name: str = "Lava International Ltd") -> Partner:
    partner = env.partner(name)
    agreement = env.agreement(partner, quota=1000)
    admin = env.credential("partner_admin", partner_id=partner)
    factory = env.credential("factory", partner_id=partner)
    for territory, number in (("IN", "ICDR-MFR-0042"), ("BD", "BTRC-VE-117"), ("LK", "TRCSL-V-9")):
        env.ok(
            "PUT",
            f"/v1/registrations/licences/{agreement}/{territory}",
            admin,
            json={"licence_number": number, "brand": "Lava"},
        )
    return Partner(partner, agreement, admin, factory)


def activate(env: Env, who: Partner, territory: str, count: int) -> list[dict[str, Any]]:
    units = []
    for _ in range(count):
        unit = env.unit(territory=territory)
        env.ok("POST", "/v1/activations", who.factory, json=unit)
        units.append(unit)
    return units


def batch(env: Env, who: Partner, territory: str, **extra: Any) -> dict[str, Any]:
    body = {"agreement_id": who.agreement, "territory": territory, **extra}
    result: dict[str, Any] = env.ok("POST", "/v1/registrations/batches", who.admin, json=body)
    return result


def receipt_csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode()


def post_receipt(env: Env, who: Partner, batch_id: str, data: bytes, **params: Any) -> Any:
    return env.client.post(
        f"/v1/registrations/batches/{batch_id}/receipt",
        content=data,
        params={"filename": "result.csv", **params},
        headers=who.admin,
    )


def status(env: Env, who: Partner, ident: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = env.ok("GET", f"/v1/registrations/status/{ident}", who.admin)
    assert len(found) == 1
    return found[0]
