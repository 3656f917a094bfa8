"""Shared set-up for the fleet tests: a partner with an agreement, factory and support
credentials, activated units, and JSON reports derived from the bundled example's report."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from typing import Any

from handsetguard.server.models import Device, Webhook
from tests.server.conftest import Env


@dataclass
class Tenant:
    partner: str
    agreement: str
    factory: dict[str, str]
    support: dict[str, str]
    partner_admin: dict[str, str]


def tenant(env: Env, name: str = "Lava International Ltd", **terms: Any) -> Tenant:
    partner = env.partner(name)
    agreement = env.agreement(partner, **{"quota": 50, **terms})
    return Tenant(
        partner,
        agreement,
        env.credential("factory", partner_id=partner),
        env.credential("support", partner_id=partner),
        env.credential("partner_admin", partner_id=partner),
    )


def activate(env: Env, who: Tenant, **over: Any) -> dict[str, Any]:
    """Activate one unit; returns its body plus ``device_id``."""
    unit = env.unit(**over)
    response = env.client.post("/v1/activations", json=unit, headers=who.factory)
    assert response.status_code == 201, response.text
    return {**unit, "device_id": response.json()["device_id"]}


def device(env: Env, device_id: str) -> Device:
    with env.db.read() as session:
        found = session.get(Device, device_id)
        assert found is not None
        return found


@functools.cache
def _example(profile: str) -> str:
    from handsetguard.cli.check import acquire as _acquire
    from handsetguard.engine import KNOWN_CHECKS, run_check
    from handsetguard.profiles.profile import load_profile
    from handsetguard.report.json_report import render_json

    report = run_check(_acquire(None, True), load_profile(profile, KNOWN_CHECKS))
    return render_json(report)


def example_report(profile: str = "factory", **device: Any) -> dict[str, Any]:
    """The bundled example's real JSON report, with ``device`` fields overridden."""
    report: dict[str, Any] = copy.deepcopy(json.loads(_example(profile)))
    report["device"].update(device)
    return report


def set_check(report: dict[str, Any], check_id: str, status: str) -> dict[str, Any]:
    for check in report["checks"]:
        if check["id"] == check_id:
            check["status"] = status
            return report
    raise KeyError(check_id)


def stored_webhook(env: Env, who: Tenant) -> None:
    """A webhook row of ``who``'s (id ``hook-1``, to a port nothing listens on), written
    directly: for tests that look at the deliveries queued, not at their sending."""
    with env.db.write() as session:
        session.add(
            Webhook(
                id="hook-1",
                partner_id=who.partner,
                url="http://127.0.0.1:9/hook",
                secret="s",
                created_at=env.clock.now(),
                created_by="admin",
                active=True,
            )
        )
