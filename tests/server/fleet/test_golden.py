"""Per-model golden baseline (services/golden.py) on SQLite and PostgreSQL: recomputed from
the units whose gate baseline passed, shown by GET /v1/fleet/golden (tenant-scoped), and a
report deviating from it raises golden_deviation — an expected check failing on a unit whose
own baseline failed it too, a patch level older than any golden unit shipped with — while
a check that regressed against the unit's own baseline is left to its regression alert.
A gate baseline that fails an expected check deviates already."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handsetguard.server.models import Alert
from handsetguard.server.services import golden
from handsetguard.server.services.fleet_worker import FleetSettings, tick
from tests.server.conftest import Env
from tests.server.fleet.helpers import Tenant, activate, example_report, set_check, tenant
from tests.server.fleet.test_reports import _post


def _gate(passes: bool, serial: str, **device: Any) -> dict[str, Any]:
    report = example_report("factory", serial=serial, **device)
    report["gate"] = {**(report.get("gate") or {}), "verdict": "PASS" if passes else "FAIL"}
    return report


def _fleet(env: Env, lava: Tenant, golden_units: int) -> list[dict[str, Any]]:
    units = [activate(env, lava) for _ in range(golden_units + 1)]
    for n, unit in enumerate(units[:golden_units]):
        patch = f"2025-0{5 + n % 2}-05"  # 2025-05-05 and 2025-06-05
        assert (
            _post(env, lava.factory, _gate(True, unit["serial"], security_patch=patch)).status_code
            == 201
        )
    return units


def test_the_golden_baseline_and_its_deviations(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    settings = FleetSettings(worker_seconds=0)
    units = _fleet(env, lava, 3)
    assert env.ok("GET", "/v1/fleet/golden", lava.support) == []  # not computed yet
    tick(env.db, env.clock.now(), settings)
    [model] = env.ok("GET", "/v1/fleet/golden", lava.support)
    assert (model["model_code"], model["golden_units"]) == ("Z60", 3)
    assert (model["os_patch_min"], model["os_patch_max"]) == ("2025-05-05", "2025-06-05")
    passing = sorted(c for c, n in model["checks"].items() if n == 3)
    assert model["expected_checks"] == passing and "bootloader_locked" in passing
    assert sum(model["fingerprints"].values()) == 3
    assert env.ok("GET", "/v1/fleet/golden", other.support) == []  # another partner's model
    assert env.ok("GET", "/v1/fleet/golden?model_code=Z61", lava.support) == []

    # The fourth unit's own gate baseline failed bootloader_locked: not a regression, but a
    # deviation from the model's golden units; and its patch is older than any they had.
    odd = units[3]
    baseline = set_check(_gate(False, odd["serial"]), "bootloader_locked", "fail")
    first_report = _post(env, lava.factory, baseline).json()
    assert first_report["baseline"] is True and len(first_report["alerts"]) == 1  # deviates
    later = set_check(
        example_report("consumer", serial=odd["serial"], security_patch="2025-01-05"),
        "bootloader_locked",
        "fail",
    )
    _post(env, lava.support, later)
    with env.db.read() as session:
        raised = session.execute(
            select(Alert.kind, Alert.reason).where(Alert.device_id == odd["device_id"])
        ).all()
    assert ("golden_deviation", "check_fails:bootloader_locked") in raised
    assert ("golden_deviation", "patch_older") in raised
    assert ("regression", "check_now_fails:bootloader_locked") not in raised

    # A golden unit regressing on an expected check: its regression says it, once.
    first = units[0]
    failing = set_check(
        example_report("consumer", serial=first["serial"]), "bootloader_locked", "fail"
    )
    body = _post(env, lava.support, failing).json()
    with env.db.read() as session:
        reasons = session.execute(
            select(Alert.kind, Alert.reason).where(Alert.id.in_(body["alerts"]))
        ).all()
    assert ("regression", "check_now_fails:bootloader_locked") in reasons
    assert not [r for r in reasons if r[0] == "golden_deviation" and "bootloader" in r[1]]


def test_refresh_is_due_only_after_its_interval(env: Env) -> None:
    lava = tenant(env)
    _fleet(env, lava, golden.MIN_GOLDEN_UNITS)
    every = timedelta(hours=1)
    with env.db.write() as session:
        assert golden.refresh_due(session, env.clock.now(), every) == 1
    with env.db.write() as session:
        assert golden.refresh_due(session, env.clock.now() + timedelta(minutes=59), every) is None
    with env.db.write() as session:
        assert golden.refresh_due(session, env.clock.now() + timedelta(minutes=61), every) == 1


def test_the_overview_page_shows_the_golden_baseline(env: Env) -> None:
    from tests.server.fleet.test_ui import _sign_in

    lava = tenant(env)
    _fleet(env, lava, golden.MIN_GOLDEN_UNITS)
    _sign_in(env, lava.support)
    before = env.client.get("/ui/").text
    assert 'id="golden"' in before and "none yet (recomputed by the fleet worker)" in before
    tick(env.db, env.clock.now(), FleetSettings(worker_seconds=0))
    page = env.client.get("/ui/").text
    [model] = env.ok("GET", "/v1/fleet/golden", lava.support)
    row = (
        f'<tr><th>Z60</th><td class="num">3</td>'
        f'<td class="num" title="{", ".join(model["expected_checks"])}">'
        f"{len(model['expected_checks'])}</td><td>2025-05-05 – 2025-06-05</td>"
    )
    assert row in page
