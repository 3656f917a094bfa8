"""server/hot_paths.py: the plain ``POST /v1/reports`` and ``POST /v1/checkins`` are answered
ahead of FastAPI's routing; every other request to them goes on to the FastAPI route, its
body replayed; and both paths give the same answers (status, error, headers, body), the same
audit entries and the same metrics — on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from handsetguard.server.hot_paths import HotPaths
from handsetguard.server.models import AuditEntry, CheckInChallenge
from tests.server.conftest import Env
from tests.server.fleet import test_checkins
from tests.server.fleet.helpers import Tenant, activate, example_report, tenant
from tests.server.fleet.test_checkins import IDS, _check_in, _fixed_challenge

attested = test_checkins.attested


class Lane:
    """The app's HotPaths in its middleware stack: which requests to its two paths went past
    it to FastAPI, and a switch that sends every request past it (the route alone)."""

    def __init__(self, env: Env) -> None:
        env.client.get("/v1/meta/health")  # the middleware stack is built on first use
        node: Any = env.client.app.middleware_stack  # type: ignore[attr-defined]
        while not isinstance(node.app, HotPaths):
            node = node.app
        self.parent, self.hot, self.route = node, node.app, node.app.app
        self.passed: list[str] = []
        self.hot.app = self._record

    async def _record(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in ("/v1/reports", "/v1/checkins"):
            self.passed.append(f"{scope['method']} {scope['path']}")
        await self.route(scope, receive, send)

    def bypass(self, on: bool) -> None:
        self.parent.app = self._record if on else self.hot


@pytest.fixture
def lane(env: Env) -> Iterator[Lane]:
    yield Lane(env)


def _post_report(env: Env, who: dict[str, str], body: bytes, **headers: str) -> Any:
    sent = {**who, "Content-Type": "application/json", **headers}
    return env.client.post("/v1/reports", content=body, headers=sent)


def _refusals(env: Env, action: str) -> int:
    with env.db.read() as s:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return int(s.execute(query).scalar_one())


def _same(a: Any, b: Any, *varying: str) -> None:
    """Two answers alike: status, headers (but the length, when ids may differ) and body
    (but the named fields, which differ between any two stored reports)."""
    assert a.status_code == b.status_code, (a.text, b.text)
    skip = {"content-length"} if varying else set()
    assert {k: v for k, v in a.headers.items() if k not in skip} == {
        k: v for k, v in b.headers.items() if k not in skip
    }
    one, other = a.json(), b.json()
    for field in varying:
        assert one.pop(field) != other.pop(field)
    assert one == other


def test_plain_reports_are_taken_and_others_go_on_to_the_route(env: Env, lane: Lane) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    assert _post_report(env, lava.factory, raw).status_code == 201
    gzipped = _post_report(env, lava.support, gzip.compress(raw), **{"Content-Encoding": "gzip"})
    assert gzipped.status_code == 201, gzipped.text
    by_id = env.client.post(
        "/v1/reports",
        params={"device_id": unit["device_id"]},
        content=raw,
        headers={**lava.support, "Content-Type": "application/json"},
    )
    assert by_id.status_code == 201, by_id.text
    assert lane.passed == []
    long_id = env.client.post(
        "/v1/reports", params={"device_id": "x" * 37}, content=raw, headers=lava.support
    )
    assert long_id.status_code == 422  # the route's Query(max_length=36)
    extra = env.client.post(
        "/v1/reports",
        params={"device_id": unit["device_id"], "x": "1"},
        headers=lava.support,
        content=raw,
    )
    assert extra.status_code == 201, extra.text  # the route ignores the unknown parameter
    for authorization in ("", "Basic abc", "Bearer  "):
        refused = _post_report(env, {"Authorization": authorization}, raw)
        assert refused.json()["error"]["code"] == "missing_credential"
    assert lane.passed == ["POST /v1/reports"] * 5
    env.client.get("/v1/reports")  # another method: the route's 405
    assert lane.passed[-1] == "GET /v1/reports"


def test_reports_answer_alike_through_either_path(env: Env, lane: Lane) -> None:
    lava = tenant(env)
    units = [activate(env, lava), activate(env, lava)]
    answers = []
    for unit, bypass in zip(units, (False, True), strict=True):
        lane.bypass(bypass)
        raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
        first = _post_report(env, lava.factory, raw)
        again = _post_report(env, lava.support, gzip.compress(raw), **{"Content-Encoding": "gzip"})
        unknown = json.dumps(example_report("factory", serial="NOSUCHUNIT")).encode()
        before = _refusals(env, "report.refuse")
        missing = _post_report(env, lava.support, unknown)
        audited = _refusals(env, "report.refuse") - before
        broken = _post_report(env, lava.support, b"\x1f\x8b broken", **{"Content-Encoding": "gzip"})
        not_json = _post_report(env, lava.support, b"{nope")
        wrong = _post_report(env, lava.support, raw, **{"Content-Encoding": "br"})
        answers.append((first, again, missing, audited, broken, not_json, wrong))
    lane.bypass(False)
    assert lane.passed == ["POST /v1/reports"] * 6  # the bypassed half only
    taken, routed = answers
    assert taken[0].json()["baseline"] is True and taken[1].json()["baseline"] is False
    for a, b in zip(taken[:2], routed[:2], strict=True):
        _same(a, b, "report_id", "device_id")
    assert taken[2].status_code == 404 and taken[3] == routed[3] == 1
    assert [r.status_code for r in taken[4:]] == [400, 400, 415]
    for a, b in zip(taken[2:3] + taken[4:], routed[2:3] + routed[4:], strict=True):
        _same(a, b)


def test_report_metrics_name_the_route_on_either_path(env: Env, lane: Lane) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    metrics = env.client.app.state.ctx.metrics  # type: ignore[attr-defined]

    def count(status: str) -> float:
        sample = metrics.requests.labels("/v1/reports", "POST", status)
        return float(sample._value.get())

    for bypass in (False, True):
        lane.bypass(bypass)
        assert _post_report(env, lava.support, raw).status_code == 201
        assert _post_report(env, lava.support, b"{").status_code == 400
    assert (count("201"), count("400")) == (2, 2)


def test_check_ins_answer_alike_through_either_path(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    lane = Lane(env)
    unit = activate(env, lava, **IDS)
    done = []
    for bypass in (False, True):
        lane.bypass(bypass)
        with env.db.write() as s:
            s.execute(delete(CheckInChallenge))
        _fixed_challenge(env, lava, unit["device_id"])
        stored = _check_in(env, lava, unit["device_id"])
        before = _refusals(env, "checkin.refuse")
        replayed = _check_in(env, lava, unit["device_id"])
        done.append((stored, replayed, _refusals(env, "checkin.refuse") - before))
    lane.bypass(False)
    (stored, replayed, audited), (routed, routed_replay, routed_audited) = done
    assert stored.status_code == 201 and stored.json()["verified"] is True
    _same(stored, routed, "checkin_id")
    assert replayed.json()["error"]["code"] == "challenge_replayed"
    _same(replayed, routed_replay)
    assert audited == routed_audited == 1
    assert lane.passed == ["POST /v1/checkins"] * 2


def test_check_ins_the_model_refuses_go_on_to_the_route(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    lane = Lane(env)
    unit = activate(env, lava, **IDS)
    body = {"device_id": unit["device_id"], "challenge": "c", "attestation_chain": ["AA=="]}
    cases = [
        ({**body, "attestation_chain": []}, "application/json", 422),
        ({**body, "unknown": 1}, "application/json", 422),
        (body, "text/plain", 422),
    ]
    for sent, content_type, status in cases:
        headers = {**lava.support, "Content-Type": content_type}
        response = env.client.post("/v1/checkins", content=json.dumps(sent), headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == "invalid_request"
    broken = env.client.post(
        "/v1/checkins",
        content=b'{"device_id": ',
        headers={**lava.support, "Content-Type": "application/json"},
    )
    assert broken.json()["error"]["code"] == "malformed_json"
    assert lane.passed == ["POST /v1/checkins"] * 4
    taken = env.client.post("/v1/checkins", json=body, headers=lava.support)
    assert taken.status_code in (403, 404), taken.text  # the unknown challenge, by the lane
    assert len(lane.passed) == 4
