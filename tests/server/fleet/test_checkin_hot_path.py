"""The attested check-in hot path (services/checkin_store.py) on SQLite and PostgreSQL, where
the HTTP tests of test_checkins.py cannot reach: a challenge used, or a unit revoked, by
another process between the read and the write is refused with its reason and nothing is
stored (the challenge stays usable after a revocation's refusal); the first check-in of a
unit gives it its posture row and its place in the roll-up, and a check-in moves the unit's
patch month only forward; two app instances over one database share the challenge's use.
And the fleet's routers, matched first, shadow no other route; the two hot paths read the
bearer token by the same rules as every other route."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from starlette.routing import compile_path

from handsetguard.server.app import create_app
from handsetguard.server.models import (
    Alert,
    AuditEntry,
    CheckIn,
    CheckInChallenge,
    Device,
    FleetCount,
    FleetUnit,
)
from handsetguard.server.services.attestation import AttestChainCheck
from handsetguard.server.services.checkin_store import CheckinRead, CheckinStore
from handsetguard.server.services.dbapi import Steps
from tests.attest.helpers import ASSETS, unsafe_test_trust
from tests.server.conftest import Env
from tests.server.fleet import test_checkins
from tests.server.fleet.helpers import Tenant, activate, tenant
from tests.server.fleet.test_checkins import (
    FIXED,
    IDS,
    _check_in,
    _fixed_challenge,
    _fixed_challenge_for,
)

attested = test_checkins.attested
"""The synthetic chains' app and tenant (test_checkins.py's fixture)."""


def _after_read(env: Env, monkeypatch: pytest.MonkeyPatch, change: Any) -> list[str]:
    """Run ``change`` (another process's write) right after the check-in's first read, on
    the threaded and the event-loop path alike (both run the store's read_steps); the
    reads made, one per entry of the list returned."""
    store: CheckinStore = env.client.app.state.ctx.checkin_store  # type: ignore[attr-defined]
    original = store.read_steps
    calls = []

    def read_steps(credential_id: str, device_id: str, challenge: str) -> Steps[CheckinRead]:
        found = yield from original(credential_id, device_id, challenge)
        calls.append(device_id)
        if len(calls) == 1:
            with env.db.write() as session:
                change(session)
        return found

    monkeypatch.setattr(store, "read_steps", read_steps)
    return calls


def _count(env: Env, model: Any) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_challenge_used_after_the_read_is_refused(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    _fixed_challenge(env, lava, unit["device_id"])
    used = update(CheckInChallenge).values(used_at=env.clock.now())
    _after_read(env, monkeypatch, lambda session: session.execute(used))
    response = _check_in(env, lava, unit["device_id"])
    assert (response.status_code, response.json()["error"]["code"]) == (403, "challenge_replayed")
    assert _count(env, CheckIn) == 0 and _count(env, FleetUnit) == 0
    with env.db.read() as session:
        refused = session.execute(
            select(AuditEntry.after).where(AuditEntry.action == "checkin.refuse")
        ).scalar_one()
    assert refused == {"code": "challenge_replayed"}


def test_a_unit_revoked_after_the_read_is_refused_and_keeps_its_challenge(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    _fixed_challenge(env, lava, unit["device_id"])
    revoked = update(Device).values(status="revoked")
    _after_read(env, monkeypatch, lambda session: session.execute(revoked))
    response = _check_in(env, lava, unit["device_id"])
    assert (response.status_code, response.json()["error"]["code"]) == (403, "device_revoked")
    assert _count(env, CheckIn) == 0
    with env.db.read() as session:
        assert session.get(CheckInChallenge, FIXED).used_at is None  # type: ignore[union-attr]


def _state(env: Env, device_id: str) -> tuple[Any, ...]:
    with env.db.read() as session:
        row = session.get(FleetUnit, device_id)
        assert row is not None
        counts = session.execute(
            select(FleetCount.level, FleetCount.patch_month, FleetCount.units).where(
                FleetCount.units != 0
            )
        ).all()
        return row.last_checkin_id, row.level, row.patch_month, row.stale_alerted, sorted(counts)


def test_check_ins_keep_the_posture_row_and_the_roll_up(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    _fixed_challenge(env, lava, unit["device_id"])
    first = _check_in(env, lava, unit["device_id"]).json()
    month = first["attested"]["os_patch"][:7]
    assert _state(env, unit["device_id"]) == (
        first["checkin_id"],
        "unknown",
        month,
        False,
        [("unknown", month, 1)],
    )
    # A newer patch month on record (a report's, say): a check-in attesting an older one
    # leaves it, and the unit stays in its bucket.
    with env.db.write() as session:
        session.execute(update(FleetUnit).values(patch_month="2099-01", stale_alerted=True))
        session.execute(update(FleetCount).values(patch_month="2099-01"))
    _fixed_challenge_for(env, lava, unit["device_id"])
    second = _check_in(env, lava, unit["device_id"]).json()
    assert second["verified"] is True
    assert _state(env, unit["device_id"]) == (
        second["checkin_id"],
        "unknown",
        "2099-01",
        False,
        [("unknown", "2099-01", 1)],
    )
    # An older month on record: the attested one replaces it, and the unit moves bucket.
    with env.db.write() as session:
        session.execute(update(FleetUnit).values(patch_month="2001-01"))
        session.execute(update(FleetCount).values(patch_month="2001-01"))
    _fixed_challenge_for(env, lava, unit["device_id"])
    third = _check_in(env, lava, unit["device_id"]).json()
    assert _state(env, unit["device_id"])[2:] == (
        month,
        False,
        [("unknown", month, 1)],
    )
    assert third["alerts"] == [] and _count(env, CheckIn) == 3


def _posture_row(session: Any, env: Env, lava: Tenant, device_id: str) -> None:
    """Another transaction's first posture row for the unit (a report's, say), counted."""
    device = session.get(Device, device_id)
    assert device is not None
    session.add(
        FleetUnit(
            device_id=device.id,
            partner_id=lava.partner,
            model_code=device.model_code,
            territory=device.territory,
            last_seen_at=env.clock.now(),
            level="unknown",
            patch_month=None,
        )
    )
    session.add(
        FleetCount(
            partner_id=lava.partner,
            model_code=device.model_code,
            territory=device.territory,
            level="unknown",
            patch_month="unknown",
            units=1,
        )
    )


def _written_once(env: Env, device_id: str, done: dict[str, Any]) -> None:
    """One check-in stored, the unit's posture row updated by it and counted once, in the
    attested patch month's bucket; the challenge used."""
    month = done["attested"]["os_patch"][:7]
    state = _state(env, device_id)
    assert state == (done["checkin_id"], "unknown", month, False, [("unknown", month, 1)])
    assert _count(env, CheckIn) == 1
    with env.db.read() as session:
        used = session.execute(select(CheckInChallenge.used_at)).scalar_one()
    assert used is not None


def test_a_posture_row_made_after_the_read_makes_it_read_and_write_again(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first check-in whose unit gets its posture row from another transaction between the
    read and the write: the write finds the row not as read, writes nothing, and the check-in
    is read and written again, now as an update — one check-in, one row, counted once."""
    env, lava = attested
    unit = activate(env, lava, **IDS)
    _fixed_challenge(env, lava, unit["device_id"])
    reads = _after_read(
        env, monkeypatch, lambda session: _posture_row(session, env, lava, unit["device_id"])
    )
    response = _check_in(env, lava, unit["device_id"])
    assert response.status_code == 201, response.text
    assert len(reads) == 2
    _written_once(env, unit["device_id"], response.json())


def test_a_check_in_between_the_read_and_the_write_is_seen_by_the_rules(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process stores a verified check-in of the unit, with another boot key, between
    this check-in's read and its write: the write sees the unit's last check-in changed, so
    the history is read again and the rules see K1, K2, K1 (``boot_key_alternating``); had the
    first read's history been used, no alert would be raised."""
    env, lava = attested
    unit = activate(env, lava, **IDS)["device_id"]
    _fixed_challenge(env, lava, unit)
    first = _check_in(env, lava, unit).json()
    assert first["verified"] is True and first["alerts"] == []
    other_key = "ab" * 32
    assert first["attested"]["verified_boot_key"] != other_key

    def other_check_in(session: Any) -> None:
        other = CheckIn(
            id="other-device-checkin",
            device_id=unit,
            partner_id=lava.partner,
            received_at=env.clock.now() - timedelta(minutes=1),
            credential_id=lava.support["Authorization"].split("_")[1],
            verified=True,
            failure=None,
            attested={**first["attested"], "verified_boot_key": other_key},
            os_reported={},
        )
        session.add(other)
        session.flush()
        session.execute(
            update(FleetUnit)
            .where(FleetUnit.device_id == unit)
            .values(last_checkin_id=other.id, last_checkin_at=other.received_at)
        )

    env.clock.set(env.clock.now() + timedelta(minutes=2))
    _fixed_challenge_for(env, lava, unit)
    reads = _after_read(env, monkeypatch, other_check_in)
    response = _check_in(env, lava, unit)
    assert response.status_code == 201, response.text
    assert len(reads) == 2
    with env.db.read() as session:
        reasons = session.execute(
            select(Alert.reason).where(Alert.id.in_(response.json()["alerts"]))
        ).scalars()
        assert list(reasons) == ["boot_key_alternating"]
        last = session.get(FleetUnit, unit)
        assert last is not None and last.last_checkin_id == response.json()["checkin_id"]


def test_a_report_between_the_read_and_the_write_moves_the_unit_from_where_it_is(
    attested: tuple[Env, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report grades the unit (level ``good``) between a check-in's read and its write: the
    write finds the posture row not as read, and the check-in, read again, moves the unit to
    its attested patch month from the bucket it is in now, not the one it was read in."""
    env, lava = attested
    unit = activate(env, lava, **IDS)["device_id"]
    _fixed_challenge(env, lava, unit)
    month = _check_in(env, lava, unit).json()["attested"]["os_patch"][:7]
    with env.db.write() as session:  # an older month on record, so the next one moves it
        session.execute(update(FleetUnit).values(patch_month="2001-01"))
        session.execute(update(FleetCount).values(patch_month="2001-01"))

    def graded(session: Any) -> None:
        session.execute(update(FleetUnit).values(level="good"))
        session.execute(update(FleetCount).values(level="good"))

    _fixed_challenge_for(env, lava, unit)
    reads = _after_read(env, monkeypatch, graded)
    response = _check_in(env, lava, unit)
    assert response.status_code == 201, response.text
    assert len(reads) == 2
    state = _state(env, unit)
    assert state == (response.json()["checkin_id"], "good", month, False, [("good", month, 1)])


def test_a_posture_row_made_during_the_write_makes_it_read_and_write_again(
    attested: tuple[Env, Tenant],
) -> None:
    """PostgreSQL: another transaction inserts the unit's first posture row after this
    check-in's write began (it saw no row) and commits while the write waits on it: the write
    fails as a whole (a unique violation, nothing of it kept, the challenge unused) and the
    check-in is read and written again, as an update."""
    env, lava = attested
    if env.db.sqlite:
        pytest.skip("PostgreSQL only: SQLite's write transaction excludes the other writer")
    import psycopg

    unit = activate(env, lava, **IDS)["device_id"]
    _fixed_challenge(env, lava, unit)
    url = make_url(env.settings.database_url).set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as other, psycopg.connect(conninfo, autocommit=True) as watch:
        with env.db.read() as session:
            device = session.get(Device, unit)
            assert device is not None
            model, territory = device.model_code, device.territory
        other.execute(
            "INSERT INTO fleet_units (device_id, partner_id, model_code, territory,"
            " last_seen_at, level, stale_alerted) VALUES (%s, %s, %s, %s, now(), 'unknown',"
            " false)",
            (unit, lava.partner, model, territory),
        )
        other.execute(
            "INSERT INTO fleet_counts (partner_id, model_code, territory, level, patch_month,"
            " units) VALUES (%s, %s, %s, 'unknown', 'unknown', 1)",
            (lava.partner, model, territory),
        )
        answer: list[Any] = []
        writer = threading.Thread(target=lambda: answer.append(_check_in(env, lava, unit)))
        writer.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # until the write waits on the other's row
            waiting = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE %s",
                ("%fleet_challenges%",),
            ).fetchone()
            if waiting is not None and waiting[0]:
                break
            time.sleep(0.02)
        else:
            other.rollback()
            writer.join(30)
            pytest.fail("the check-in's write never waited on the other transaction's row")
        other.commit()
        writer.join(30)
    response = answer[0]
    assert response.status_code == 201, response.text
    _written_once(env, unit, response.json())


def _paths(routes: Any) -> list[str]:
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out += _paths(inner.routes)
        elif getattr(route, "path", None) is not None:
            out.append(route.path)
    return out


def test_the_fleet_routers_matched_first_shadow_no_other_route(env: Env) -> None:
    from handsetguard.server.routes import checkins, fleet

    hot = {route.path for router in (fleet.router, checkins.router) for route in router.routes}
    others = set(_paths(env.client.app.router.routes)) - hot  # type: ignore[attr-defined]
    assert hot and len(others) > 20

    def sample(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "x", path)

    clashes = [
        (mine, theirs)
        for mine in hot
        for theirs in others
        if compile_path(mine)[0].match(sample(theirs))
        or compile_path(theirs)[0].match(sample(mine))
    ]
    assert clashes == []


@pytest.mark.parametrize("path", ["/v1/reports", "/v1/checkins"])
def test_the_hot_paths_read_the_bearer_token_as_every_route(env: Env, path: str) -> None:
    """deps.token_of, which the two hot paths use instead of the BearerToken dependency:
    the same answers to a missing, empty or non-Bearer Authorization header, and the
    scheme in any case; the published spec still says the route takes a bearer token."""
    lava = tenant(env)
    body = {"device_id": "x", "challenge": "c", "attestation_chain": ["AA=="]}
    token = lava.support["Authorization"].removeprefix("Bearer ")
    for authorization in (None, "", "Bearer", "Bearer   ", f"Basic {token}", f"Token {token}"):
        headers = {} if authorization is None else {"Authorization": authorization}
        response = env.client.post(path, json=body, headers=headers)
        assert response.status_code == 401, (authorization, response.text)
        assert response.json()["error"]["code"] == "missing_credential"
    lower = env.client.post(path, json=body, headers={"Authorization": f"bearer {token}"})
    assert lower.status_code in (404, 422), lower.text  # authenticated: the unit is unknown
    assert lower.json()["error"]["code"] in ("device_not_found", "report_schema_unsupported")
    spec = env.client.get("/openapi.json").json()["paths"][path]["post"]
    assert spec["security"] == [{"HTTPBearer": []}]


def test_the_hot_paths_refuse_an_unauthenticated_request_before_reading_its_input(
    env: Env,
) -> None:
    """Authentication first, as on every route: without a credential, an over-long
    ``device_id`` or a check-in body its model refuses is still a 401, not a 422 that would
    answer an anonymous caller about the input."""
    tenant(env)
    bad = [
        ("/v1/reports", {"params": {"device_id": "x" * 37}, "json": {}}),
        ("/v1/checkins", {"json": {"device_id": 5, "attestation_chain": "not a list"}}),
    ]
    for path, request in bad:
        for headers in ({}, {"Authorization": "Basic abc"}):
            response = env.client.post(path, headers=headers, **request)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"]["code"] == "missing_credential"


def test_a_challenge_is_single_use_across_two_instances(attested: tuple[Env, Tenant]) -> None:
    """Two app instances over one database: a check-in through one, its replay through the
    other refused (the challenge's use is in the database, not in a process); both answer
    the unit's card alike."""
    env, lava = attested
    verifier = test_checkins.attest.Verifier(
        trust=unsafe_test_trust(),
        status_list=test_checkins.attest.load_status_list(ASSETS / "status.json"),
    )
    check = AttestChainCheck(verifier=verifier)
    with TestClient(create_app(env.settings, clock=env.clock, attestation=check)) as other:
        unit = activate(env, lava, **IDS)
        _fixed_challenge(env, lava, unit["device_id"])
        body = _check_in(env, lava, unit["device_id"]).json()
        assert body["verified"] is True
        replay = other.post(
            "/v1/checkins",
            json={
                "device_id": unit["device_id"],
                "challenge": FIXED,
                "attestation_chain": test_checkins._chain("valid_factory.pem"),
            },
            headers=lava.support,
        )
        assert (replay.status_code, replay.json()["error"]["code"]) == (403, "challenge_replayed")
        assert _count(env, CheckIn) == 1
        query = {"q": IDS["imei1"]}
        mine = env.client.get("/v1/support/lookup", params=query, headers=lava.support)
        theirs = other.get("/v1/support/lookup", params=query, headers=lava.support)
        assert mine.status_code == theirs.status_code == 200
        assert mine.json() == theirs.json()


def test_a_nul_in_a_check_in_is_a_422_not_a_server_error(env: Env) -> None:
    """PostgreSQL text cannot hold NUL: the driver's refusal is the service's 422."""
    lava = tenant(env)
    body = {"device_id": "\u0000", "challenge": "", "attestation_chain": [""]}
    response = env.client.post("/v1/checkins", json=body, headers=lava.support)
    assert response.status_code < 500, response.text
    assert response.status_code in (404, 422), response.text
