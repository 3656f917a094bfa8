"""The retention policy (services/fleet_worker.py, report_partitions.py) on SQLite and
PostgreSQL: report summaries of the months past HANDSETGUARD_FLEET_SUMMARY_RETENTION_MONTHS
are dropped — on PostgreSQL their partition rebuilt with the baselines only, once — while a
unit's baseline, later months and the timeline's baseline stay; the worker keeps the coming
months' partitions ready."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from handsetguard.server.models import PostureReport
from handsetguard.server.services.fleet_worker import FleetSettings, tick
from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, example_report, tenant
from tests.server.fleet.test_reports import _post


def _partitions(env: Env) -> list[str]:
    with env.db.read() as session:
        names = session.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'fleet_reports'"
            )
        ).scalars()
        return sorted(names)


def test_old_months_keep_only_their_baselines(env: Env) -> None:
    settings = FleetSettings(worker_seconds=0, summary_retention_months=36)
    lava = tenant(env, term_end="2035-12-31")
    unit = activate(env, lava)
    baseline = _post(env, lava.factory, example_report(serial=unit["serial"])).json()
    env.clock.advance(timedelta(days=1))
    old = _post(env, lava.support, example_report(serial=unit["serial"])).json()
    env.clock.set(datetime(2027, 3, 10, tzinfo=UTC))
    recent = _post(env, lava.support, example_report(serial=unit["serial"])).json()
    assert tick(env.db, env.clock.now(), settings).summaries_dropped == 0
    env.clock.set(datetime(2030, 1, 15, tzinfo=UTC))  # 36 months back: 2027-01 and later stay
    done = tick(env.db, env.clock.now(), settings)
    assert done.summaries_dropped == 1
    with env.db.read() as session:
        kept = sorted(session.execute(select(PostureReport.id)).scalars())
    assert kept == sorted([baseline["report_id"], recent["report_id"]])
    assert old["report_id"] not in kept
    assert tick(env.db, env.clock.now(), settings).summaries_dropped == 0
    history = env.ok("GET", f"/v1/units/{unit['device_id']}/history", lava.support)
    assert [e["type"] for e in history] == ["baseline", "report"]
    # Ingestion still compares with the baseline kept in the shrunk month.
    later = example_report(serial=unit["serial"], security_patch="2020-01-05")
    assert len(_post(env, lava.support, later).json()["alerts"]) == 1
    if not env.db.sqlite:
        names = _partitions(env)
        assert "fleet_reports_y2026m10" in names  # rebuilt with its baseline
        assert {
            "fleet_reports_y2030m01",
            "fleet_reports_y2030m02",
            "fleet_reports_y2030m03",
        } <= set(names)


def test_retention_zero_keeps_everything(env: Env) -> None:
    lava = tenant(env, term_end="2035-12-31")
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    _post(env, lava.support, example_report(serial=unit["serial"]))
    env.clock.set(datetime(2034, 1, 1, tzinfo=UTC))
    settings = FleetSettings(worker_seconds=0, summary_retention_months=0)
    assert tick(env.db, env.clock.now(), settings).summaries_dropped == 0
    with env.db.read() as session:
        assert len(session.execute(select(PostureReport.id)).all()) == 2
