"""Attested check-ins with the synthetic chains of tests/attest/assets (a locked, VERIFIED TEE
key of a fictional device: challenge 'hg-challenge', attested serial HG0001, two IMEIs),
trusted through the attest tests' UNSAFE test root: facts stored as tier 'attested', single-use
challenges (replayed, expired, foreign: refused, audited, nothing stored), an attested IMEI
that is not the unit's and a chain that does not verify raise alerts."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

attest = pytest.importorskip("handsetguard.attest")

from sqlalchemy import func, select  # noqa: E402

from handsetguard.server.models import AuditEntry, CheckIn, CheckInChallenge  # noqa: E402
from handsetguard.server.services.attestation import AttestChainCheck  # noqa: E402
from handsetguard.server.services.checkins import _regressions  # noqa: E402
from tests.attest.helpers import ASSETS, unsafe_test_trust  # noqa: E402
from tests.server.conftest import Env, imei, make_env  # noqa: E402
from tests.server.fleet.helpers import Tenant, activate, tenant  # noqa: E402

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
IDS = {"serial": "HG0001", "imei1": "490154203237518", "imei2": "490154203237526"}
FIXED = "hg-challenge"


@pytest.fixture
def attested(db_url: str) -> Iterator[tuple[Env, Tenant]]:
    verifier = attest.Verifier(
        trust=unsafe_test_trust(), status_list=attest.load_status_list(ASSETS / "status.json")
    )
    env, client = make_env(db_url, attestation=AttestChainCheck(verifier=verifier))
    with client:
        env.clock.set(AT)
        yield env, tenant(env, device_models=[{"model_code": "Z60"}])


def _chain(name: str) -> list[str]:
    chain = attest.read_chain(ASSETS / name)
    return [base64.b64encode(der).decode() for der in chain.certificates]


def _fixed_challenge(env: Env, who: Tenant, device_id: str, *, ttl: int = 300) -> None:
    """The synthetic chain answers a fixed challenge, so it is stored as if issued."""
    credential_id = who.support["Authorization"].split("_")[1]
    with env.db.write() as s:
        s.add(
            CheckInChallenge(
                value=FIXED,
                device_id=device_id,
                credential_id=credential_id,
                issued_at=env.clock.now(),
                expires_at=env.clock.now() + timedelta(seconds=ttl),
            )
        )


def _check_in(env: Env, who: Tenant, device_id: str, chain: str = "valid_factory.pem") -> Any:
    body = {
        "device_id": device_id,
        "challenge": FIXED,
        "attestation_chain": _chain(chain),
        "os_reported": {"security_patch": "2026-11-01"},
    }
    return env.client.post("/v1/checkins", json=body, headers=who.support)


def test_a_verified_check_in_records_attested_facts(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    issued = env.ok(
        "POST", "/v1/checkins/challenge", lava.support, json={"device_id": unit["device_id"]}
    )
    assert len(issued["challenge"]) >= 40
    _fixed_challenge(env, lava, unit["device_id"])
    response = _check_in(env, lava, unit["device_id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["verified"] is True and body["alerts"] == []
    facts = body["attested"]
    assert (facts["verified_boot_state"], facts["device_locked"]) == ("verified", True)
    assert facts["serial"] == "HG0001" and facts["imei"] == IDS["imei1"]
    assert facts["security_level"] in ("trusted_environment", "strongbox")
    card = env.ok("GET", "/v1/support/lookup", lava.support, params={"q": IDS["imei1"]})["units"][0]
    assert card["posture"]["attested"]["device_locked"] is True
    assert card["posture"]["os"]["security_patch"] == "2026-11-01"
    assert card["posture"]["host"] is None
    assert [e["tier"] for e in card["timeline"]] == ["attested"]

    replay = _check_in(env, lava, unit["device_id"])
    assert (replay.status_code, replay.json()["error"]["code"]) == (403, "challenge_replayed")
    with env.db.read() as s:
        assert s.execute(select(func.count()).select_from(CheckIn)).scalar_one() == 1
        refused = s.execute(
            select(AuditEntry.after).where(AuditEntry.action == "checkin.refuse")
        ).scalar_one()
        assert refused == {"code": "challenge_replayed"}


def test_expired_and_foreign_challenges_are_refused(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    unit = activate(env, lava, **IDS)
    other = activate(env, lava)
    _fixed_challenge(env, lava, unit["device_id"], ttl=60)
    foreign = _check_in(env, lava, other["device_id"])
    assert foreign.json()["error"]["code"] == "challenge_unknown"
    env.clock.advance(timedelta(seconds=61))
    expired = _check_in(env, lava, unit["device_id"])
    assert expired.json()["error"]["code"] == "challenge_expired"
    theirs = tenant(env, "Other OEM Pvt Ltd")
    hidden = env.client.post(
        "/v1/checkins/challenge", json={"device_id": unit["device_id"]}, headers=theirs.support
    )
    assert hidden.status_code == 404


def test_identity_mismatch_and_failing_chain_raise_alerts(attested: tuple[Env, Tenant]) -> None:
    env, lava = attested
    # The same serial, other IMEIs on record: the hardware attests IMEIs this unit lacks.
    unit = activate(env, lava, serial="HG0001", imei1=imei(77), imei2=None)
    _fixed_challenge(env, lava, unit["device_id"])
    body = _check_in(env, lava, unit["device_id"]).json()
    assert body["verified"] is True and len(body["alerts"]) == 2
    kinds = {(a["kind"], a["reason"]) for a in env.ok("GET", "/v1/alerts", lava.support)["items"]}
    assert kinds == {
        ("identity_mismatch", "attested_imei"),
        ("identity_mismatch", "attested_second_imei"),
    }

    second = activate(env, lava, **{**IDS, "serial": "HG0009"})
    _fixed_challenge_for(env, lava, second["device_id"])
    failing = _check_in(env, lava, second["device_id"], "bad_signature.pem").json()
    assert failing["verified"] is False and len(failing["alerts"]) == 1
    alert = env.ok("GET", "/v1/alerts", lava.support, params={"device_id": second["device_id"]})
    assert alert["items"][0]["reason"] == "attestation_failing"


def _fixed_challenge_for(env: Env, who: Tenant, device_id: str) -> None:
    with env.db.write() as s:
        s.execute(CheckInChallenge.__table__.delete())
    _fixed_challenge(env, who, device_id)


def test_changes_against_the_first_verified_check_in() -> None:
    first = {"verified_boot_key": "aa", "os_patch": "2026-10-01", "device_locked": True}
    now = {"verified_boot_key": "bb", "os_patch": "2026-01-01", "device_locked": False}
    reasons = [reason for reason, _ in _regressions(first, now)]
    assert reasons == [
        "attestation_boot_key_changed",
        "attested_patch_backwards:os_patch",
        "attested_unlocked",
    ]
    assert _regressions(first, dict(first)) == []
    assert _regressions(None, now) == []
