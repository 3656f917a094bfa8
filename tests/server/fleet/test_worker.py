"""The fleet worker: the app's background loop delivers a webhook on its own; one tick
raises stale alerts, sends due deliveries and applies the document retention policy."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from handsetguard.server.models import PostureReport
from handsetguard.server.services.fleet_worker import FleetSettings, tick
from tests.server.conftest import make_env
from tests.server.fleet.helpers import activate, example_report, tenant
from tests.server.fleet.receiver import receiver
from tests.server.fleet.test_reports import _post
from tests.server.fleet.test_webhooks_and_staleness import hooked_regression


def test_the_apps_worker_delivers_without_being_asked(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSETGUARD_FLEET_WORKER_SECONDS", "0.2")
    env, client = make_env(db_url)
    with client, receiver() as hook:
        hooked_regression(env, tenant(env), hook.url)
        deadline = time.monotonic() + 20
        while not hook.got and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(hook.got) == 1 and b"patch_backwards:os" in hook.got[0].body


def test_one_tick_sweeps_sends_and_prunes(db_url: str) -> None:
    env, client = make_env(db_url)
    settings = FleetSettings(worker_seconds=0, document_retention_days=30)
    with client:
        lava = tenant(env)
        unit = activate(env, lava)
        _post(env, lava.factory, example_report(serial=unit["serial"]))
        env.clock.advance(timedelta(days=1))
        _post(env, lava.support, example_report(serial=unit["serial"]))
        env.clock.advance(timedelta(days=40))
        done = tick(env.db, env.clock.now(), settings)
        assert (done.stale_alerts, done.deliveries, done.pruned) == (1, 0, 1)
        with env.db.read() as session:
            kept = dict(
                session.execute(select(PostureReport.baseline, PostureReport.document)).all()
            )
        assert kept[True] is not None and kept[False] is None  # the baseline's document stays
        history = env.ok("GET", f"/v1/units/{unit['device_id']}/history", lava.support)
        assert history[1]["document_kept"] is False and history[1]["diff"]["source"] == "summary"
        assert tick(env.db, env.clock.now(), settings).pruned == 0
