"""The fleet's hot paths on the event loop (services/fleet_async.py): POST /v1/reports and
/v1/checkins need no worker thread on either database (PostgreSQL: psycopg's asyncio
connections; SQLite: in-process), a SQLite write whose turn another writer holds goes to a
worker thread instead of blocking the loop, and ``Database.dbapi(write=True, wait=False)``
says at once when the turn is taken, in this process or another."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from handsetguard.server.db import Database, WriterBusy
from handsetguard.server.models import CheckIn, PostureReport
from handsetguard.server.routes import checkins as checkin_routes
from handsetguard.server.routes import fleet as fleet_routes
from handsetguard.server.services import fleet_async
from tests.server.conftest import Env
from tests.server.fleet import test_checkins
from tests.server.fleet.helpers import Tenant, activate, example_report, tenant
from tests.server.fleet.test_checkins import IDS, _check_in, _fixed_challenge

attested = test_checkins.attested


def _no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a hot path used a worker thread")

    monkeypatch.setattr(fleet_routes, "run_in_threadpool", refuse)
    monkeypatch.setattr(checkin_routes, "run_in_threadpool", refuse)
    monkeypatch.setattr(fleet_async.to_thread, "run_sync", refuse)


def _count(env: Env, model: Any) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_report_needs_no_worker_thread(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    _no_threads(monkeypatch)
    report = example_report("factory", serial=unit["serial"])
    response = env.client.post("/v1/reports", json=report, headers=lava.factory)
    assert response.status_code == 201, response.text
    assert response.json()["baseline"] is True
    again = env.client.post("/v1/reports", json=report, headers=lava.support)
    assert (again.status_code, again.json()["baseline"]) == (201, False)
    assert _count(env, PostureReport) == 2


def test_a_check_in_needs_no_worker_thread(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    _fixed_challenge(env, lava, unit["device_id"])
    _no_threads(monkeypatch)
    response = _check_in(env, lava, unit["device_id"])
    assert response.status_code == 201, response.text
    assert response.json()["verified"] is True
    assert _count(env, CheckIn) == 1
    monkeypatch.undo()  # a refusal's audit entry is written in a thread (a cold path)
    replayed = _check_in(env, lava, unit["device_id"])
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (
        403,
        "challenge_replayed",
    )


def test_a_sqlite_write_whose_turn_is_taken_goes_to_a_thread(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not env.db.sqlite:
        pytest.skip("SQLite only: PostgreSQL's writers take no turn")
    lava = tenant(env)
    unit = activate(env, lava)
    handed: list[str] = []
    original = fleet_async.to_thread.run_sync

    async def counted(function: Any, *args: Any) -> Any:
        handed.append(function.__name__)
        return await original(function, *args)

    monkeypatch.setattr(fleet_async.to_thread, "run_sync", counted)
    with _another_writer(env.db.write) as release:
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        report = example_report("factory", serial=unit["serial"])
        response = env.client.post("/v1/reports", json=report, headers=lava.factory)
        waited = time.monotonic() - started
    assert response.status_code == 201, response.text
    assert handed == ["write"]  # the store's write, once, in a thread
    assert waited >= 0.25  # it did wait for the other writer's turn
    assert _count(env, PostureReport) == 1


@contextmanager
def _another_writer(turn: Callable[[], AbstractContextManager[Any]]) -> Iterator[threading.Event]:
    """A thread holding ``turn()`` for the block (or until the event it yields is set)."""
    holding, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with turn():
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert holding.wait(10)
        yield release
    finally:
        release.set()
        writer.join(10)


def _sqlite(tmp_path: Any) -> Database:
    from handsetguard.server.config import Settings

    return Database(Settings(database_url=f"sqlite:///{tmp_path / 'turn.db'}"), create=True)


def test_no_wait_says_at_once_when_this_process_holds_the_turn(tmp_path: Any) -> None:
    db = _sqlite(tmp_path)
    with _another_writer(lambda: db.dbapi(write=True)):
        with pytest.raises(WriterBusy), db.dbapi(write=True, wait=False):
            pass
    with db.dbapi(write=True, wait=False) as conn:  # free again
        conn.execute("SELECT 1")
    db.dispose()


def test_no_wait_says_at_once_when_another_process_holds_the_turn(tmp_path: Any) -> None:
    db = _sqlite(tmp_path)
    # Another open file description of the lock file is what another process would hold.
    with open(f"{tmp_path / 'turn.db'}.writelock", "a+b") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(WriterBusy), db.dbapi(write=True, wait=False):
            pass
        fcntl.flock(other, fcntl.LOCK_UN)
    with db.dbapi(write=True, wait=False) as conn:
        conn.execute("SELECT 1")
    # The refused attempt left the in-process turn free: a waiting writer gets it at once.
    with db.dbapi(write=True) as conn:
        conn.execute("SELECT 1")
    db.dispose()


def test_the_threaded_paths_store_alike(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside the loop the asyncio connections serve (PostgreSQL), the routes run the same
    steps on the threaded stores: a report and a check-in stored as on the loop."""
    env, lava = attested
    ctx: Any = env.client.app.state.ctx  # type: ignore[attr-defined]
    monkeypatch.setattr(ctx, "on_loop", lambda: False)
    unit = activate(env, lava, **IDS)
    report = example_report("factory", serial=unit["serial"])
    response = env.client.post("/v1/reports", json=report, headers=lava.factory)
    assert (response.status_code, response.json()["baseline"]) == (201, True)
    _fixed_challenge(env, lava, unit["device_id"])
    checked = _check_in(env, lava, unit["device_id"])
    assert (checked.status_code, checked.json()["verified"]) == (201, True)
    assert _count(env, PostureReport) == 1 and _count(env, CheckIn) == 1
    replayed = _check_in(env, lava, unit["device_id"])
    assert replayed.json()["error"]["code"] == "challenge_replayed"
