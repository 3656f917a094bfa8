"""The report ingestion hot path (services/report_ingest.py, report_store.py) on SQLite and
PostgreSQL: the baseline's document is read only when the components changed, and then the
diff's regressions are raised (a new accessibility service, a new adb key); reports of one
unit arriving at once leave consistent posture and counts and one baseline; a webhook
delivery is queued with each alert opened; a month without a partition yet is created on
demand (PostgreSQL)."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text

from handsetguard.server.models import (
    Alert,
    FleetBaseline,
    FleetCount,
    FleetUnit,
    PostureReport,
    WebhookDelivery,
)
from handsetguard.server.services import report_ingest
from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, example_report, stored_webhook, tenant


def _post(env: Env, who: dict[str, str], report: dict[str, Any]) -> Any:
    headers = {**who, "Content-Type": "application/json"}
    response = env.client.post("/v1/reports", content=json.dumps(report), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def _token(who: dict[str, str]) -> str:
    return who["Authorization"].removeprefix("Bearer ")


def _count(env: Env, model: Any) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_baseline_document_is_read_only_for_changed_components(
    env: Env, monkeypatch: Any
) -> None:
    lava = tenant(env)
    stored_webhook(env, lava)
    unit = activate(env, lava)
    assert _post(env, lava.factory, example_report("factory", serial=unit["serial"]))["baseline"]
    store = env.client.app.state.ctx.report_store  # type: ignore[attr-defined]
    reads: list[str] = []
    original = store.document_steps  # what the threaded and the event-loop path both run

    def counted(report_id: str, received_at: datetime) -> Any:
        reads.append(report_id)
        return original(report_id, received_at)

    monkeypatch.setattr(store, "document_steps", counted)
    same = _post(env, lava.support, example_report("factory", serial=unit["serial"]))
    assert (same["alerts"], reads) == ([], [])
    changed = example_report("factory", serial=unit["serial"])
    inventory = changed["inventory"]
    inventory["accessibility_services"]["items"].append("com.evil.spy/.ReadScreen")
    inventory["adb_keys"]["items"].append({"fingerprint": "AA:BB:CC", "comment": "stranger"})
    body = _post(env, lava.support, changed)
    assert len(reads) == 1
    with env.db.read() as session:
        raised = session.execute(
            select(Alert.reason, Alert.detail).where(Alert.id.in_(body["alerts"]))
        ).all()
        queued = session.execute(select(WebhookDelivery.alert_id, WebhookDelivery.event)).all()
    assert sorted(r for r, _ in raised) == [
        "accessibility_enabled:com.evil.spy/.ReadScreen",
        "adb_key_added:AA:BB:CC",
    ]
    assert all(d["report_id"] == body["report_id"] for _, d in raised)
    assert sorted(a for a, _ in queued) == sorted(body["alerts"])
    event = queued[0][1]
    assert event["type"] == "alert.raised" and event["unit"]["serial"] == unit["serial"]
    assert event["alert"]["kind"] == "regression"


def test_reports_of_one_unit_at_once(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    ctx = env.client.app.state.ctx  # type: ignore[attr-defined]
    gate = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    later = example_report("consumer", serial=unit["serial"], security_patch="2026-11-05")
    bodies = [(_token(lava.factory), gate)] * 3 + [
        (_token(lava.support), json.dumps(later).encode())
    ] * 5
    done: list[Any] = []
    failed: list[BaseException] = []

    def send(token: str, raw: bytes) -> None:
        try:
            done.append(report_ingest.ingest(ctx.report_store, token, raw, env.clock.now()))
        except BaseException as exc:  # noqa: BLE001 (collected, asserted below)
            failed.append(exc)

    threads = [threading.Thread(target=send, args=body) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == [] and len(done) == len(bodies)
    with env.db.read() as session:
        baselines = session.execute(
            select(func.count()).select_from(PostureReport).where(PostureReport.baseline)
        ).scalar_one()
        state = session.get(FleetUnit, unit["device_id"])
        counts = session.execute(select(func.sum(FleetCount.units))).scalar_one()
    assert baselines == 1 and sum(d.baseline for d in done) == 1
    assert state is not None and state.last_report_id in {d.report_id for d in done}
    assert counts == 1 and _count(env, PostureReport) == len(bodies)


def test_a_month_without_a_partition_is_created_on_demand(env: Env) -> None:
    lava = tenant(env, term_end="2035-12-31")
    unit = activate(env, lava)
    env.clock.set(datetime(2031, 5, 3, 12, 0, tzinfo=UTC))
    body = _post(env, lava.factory, example_report("factory", serial=unit["serial"]))
    with env.db.read() as session:
        stored = session.execute(
            select(PostureReport.received_at).where(PostureReport.id == body["report_id"])
        ).scalar_one()
        if not env.db.sqlite:
            names = session.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relkind = 'r'"
                    " AND relname LIKE 'fleet_reports_y2031%'"
                )
            ).scalars()
            assert list(names) == ["fleet_reports_y2031m05"]
    assert stored == env.clock.now()
    assert body["received_at"] == "2031-05-03T12:00:00Z"  # as pydantic writes times


def test_control_characters_are_refused_alike_and_nothing_stored(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    headers = {**lava.factory, "Content-Type": "application/json"}
    nul_serial = example_report("factory", serial=unit["serial"] + "\x00")
    surrogate = example_report("factory", serial=unit["serial"], build_fingerprint="a/b/c:\ud800")
    threat = example_report("factory", serial=unit["serial"])
    threat["threats"][0]["package"] = "com.evil\x00"
    for report, field in (
        (nul_serial, "device.serial"),
        (surrogate, "device.build_fingerprint"),
        (threat, "threats[].package"),
    ):
        response = env.client.post("/v1/reports", content=json.dumps(report), headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("report_invalid", field)
    assert _count(env, PostureReport) == 0 and _count(env, FleetUnit) == 0


def test_device_id_is_checked_as_the_query_parameter_it_is_documented_as(env: Env) -> None:
    """``device_id`` is bounded as published (36 characters): a 37-character one is a 422
    naming the parameter, and nothing is stored; 36 is allowed."""
    lava = tenant(env)
    report = json.dumps(example_report("consumer")).encode()
    headers = {**lava.support, "Content-Type": "application/json"}
    long = env.client.post("/v1/reports?device_id=" + "a" * 37, content=report, headers=headers)
    assert long.status_code == 422, long.text
    error = long.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"]["errors"] == [
        {
            "loc": ["query", "device_id"],
            "msg": "String should have at most 36 characters",
            "type": "string_too_long",
        }
    ]
    fits = env.client.post("/v1/reports?device_id=" + "a" * 36, content=report, headers=headers)
    assert (fits.status_code, fits.json()["error"]["code"]) == (404, "device_not_found")
    assert _count(env, PostureReport) == 0
    spec = env.client.get("/openapi.json").json()["paths"]["/v1/reports"]["post"]
    assert [p["name"] for p in spec["parameters"]] == ["device_id"]
    assert "422" in spec["responses"]


def test_every_variant_of_the_hot_writes_runs_on_postgresql(env: Env) -> None:
    """The report and check-in writes come in variants (a unit with or without a posture
    row, roll-up moves, alerts to open), each one statement: every variant is run against
    PostgreSQL, for a unit that does not exist, so that a variant the other tests happen
    not to reach is still valid SQL there; its guard lets nothing through."""
    if env.db.sqlite:
        pytest.skip("PostgreSQL only: SQLite runs the writes statement by statement")
    ctx = env.client.app.state.ctx  # type: ignore[attr-defined]
    stores = (ctx.report_store, ctx.checkin_store)
    writes = [(store, name) for store in stores for name in store.sql if name.startswith("write")]
    assert len(writes) == 8 + 8
    for store, name in writes:
        sql = store.sql[name]
        params = dict.fromkeys(re.findall(r"%\((\w+)\)s", sql))
        with env.db.dbapi(write=True) as conn:
            went, *_ = conn.execute(sql, params).fetchone()
        assert went == 0, name
    assert _count(env, PostureReport) == 0


def _baselines(env: Env) -> list[tuple[Any, ...]]:
    with env.db.read() as session:
        rows = session.execute(
            select(
                FleetBaseline.device_id,
                FleetBaseline.report_id,
                FleetBaseline.received_at,
                FleetBaseline.checks,
                FleetBaseline.os_patch,
                FleetBaseline.vendor_patch,
                FleetBaseline.fingerprint,
                FleetBaseline.components_sha256,
                FleetBaseline.threats,
                FleetBaseline.has_document,
                FleetUnit.first_fingerprint,
            ).join(FleetUnit, FleetUnit.device_id == FleetBaseline.device_id)
        )
        return [tuple(row) for row in rows]


def test_migration_0014_fills_the_baselines_as_ingestion_writes_them(env: Env) -> None:
    """The baseline's summary and the first fingerprint that ingestion writes beside the
    reports are what migration 0014 makes of the reports already stored: downgraded past it
    and upgraded again, the rows are the same."""
    from alembic import command

    from handsetguard.server.migrate import _config, upgrade

    lava = tenant(env)
    unit = activate(env, lava)
    earlier = "hgbrand/hgprod/hgdev:13/TP1A/1:user/release-keys"
    support = example_report("factory", serial=unit["serial"], build_fingerprint=earlier)
    assert not _post(env, lava.support, support)["baseline"]
    later = "hgbrand/hgprod/hgdev:14/UP1A/2:user/release-keys"
    factory = example_report("factory", serial=unit["serial"], build_fingerprint=later)
    baseline = _post(env, lava.factory, factory)
    assert baseline["baseline"]
    written = _baselines(env)
    assert [(row[1], row[6], row[9], row[10]) for row in written] == [
        (baseline["report_id"], later, True, earlier)
    ]
    config = _config()
    with env.db.write_engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013_meid_unique")
        connection.commit()
    upgrade(env.db.write_engine)
    assert _baselines(env) == written
