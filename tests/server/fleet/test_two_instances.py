"""Two app instances over one database (no in-process state that matters): reports sent
through one instance, the other's answers for the fleet routes are the same — overview,
alerts, history, support lookup, golden baseline — on SQLite and PostgreSQL; and a unit's
reports alternating between the two instances keep one baseline and consistent counts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from handsetguard.server.app import create_app
from handsetguard.server.services.fleet_worker import FleetSettings, tick
from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, example_report, set_check, tenant


def _post(client: TestClient, who: dict[str, str], report: dict[str, Any]) -> Any:
    response = client.post("/v1/reports", json=report, headers=who)
    assert response.status_code == 201, response.text
    return response.json()


def test_two_instances_answer_alike(env: Env) -> None:
    other = TestClient(create_app(env.settings, clock=env.clock))
    with other:
        lava = tenant(env)
        units = [activate(env, lava) for _ in range(4)]
        clients = (env.client, other)
        for n, unit in enumerate(units):
            gate = example_report("factory", serial=unit["serial"])
            gate["gate"]["verdict"] = "PASS"
            assert _post(clients[n % 2], lava.factory, gate)["baseline"] is True
        for n, unit in enumerate(units):
            later = set_check(
                example_report("consumer", serial=unit["serial"], security_patch="2024-01-05"),
                "bootloader_locked",
                "fail",
            )
            assert _post(clients[(n + 1) % 2], lava.support, later)["baseline"] is False
        tick(env.db, env.clock.now(), FleetSettings(worker_seconds=0))
        device = units[2]["device_id"]
        paths = [
            "/v1/fleet/overview",
            "/v1/fleet/golden",
            "/v1/alerts?status=open",
            f"/v1/units/{device}/history",
            f"/v1/support/lookup?q={units[1]['imei2']}",
        ]
        for path in paths:
            first = env.client.get(path, headers=lava.support)
            second = other.get(path, headers=lava.support)
            assert first.status_code == second.status_code == 200, (path, first.text)
            assert first.json() == second.json(), path
        overview = other.get("/v1/fleet/overview", headers=lava.support).json()
        assert overview["units"] == 4 and overview["open_alerts"]["regression"] == 8
        [model] = other.get("/v1/fleet/golden", headers=lava.support).json()
        assert model["golden_units"] == 4
