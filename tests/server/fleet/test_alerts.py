"""Alerts (services/alerts.py): one open alert per condition, tenant scoping, acknowledgement
with an audited note, a webhook delivery queued in the raising transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handsetguard.server.errors import ConflictError, InvalidInputError, NotFoundError
from handsetguard.server.models import Alert, AuditEntry, Webhook, WebhookDelivery
from handsetguard.server.services import alerts
from handsetguard.server.services.actors import Actor, Role
from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, device, tenant


def _support(partner: str) -> Actor:
    return Actor(credential_id="support-1", role=Role.SUPPORT, partner_id=partner)


def test_raise_dedupes_while_open_and_acknowledge_is_audited(env: Env) -> None:
    lava = tenant(env)
    unit = device(env, activate(env, lava)["device_id"])
    now = env.clock.now()
    with env.db.write() as session:
        env_hook = Webhook(
            id="hook-1",
            partner_id=lava.partner,
            url="http://127.0.0.1:9/x",
            secret="s",
            created_at=now,
            created_by="admin",
            active=True,
        )
        session.add(env_hook)
    with env.db.write() as session:
        first = alerts.raise_alert(session, unit, "regression", "check_now_fails:adb", {}, now=now)
        again = alerts.raise_alert(session, unit, "regression", "check_now_fails:adb", {}, now=now)
        other = alerts.raise_alert(session, unit, "stale", "no_check_in", {"hours": 49}, now=now)
        assert first is not None and other is not None and again is None
        first_id = first.id
    with env.db.read() as session:
        assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 2
        queued = session.execute(select(WebhookDelivery.alert_id)).scalars().all()
        assert sorted(queued) == sorted([first_id, other.id])

    with env.db.write() as session:
        with pytest.raises(InvalidInputError):
            alerts.acknowledge(session, _support(lava.partner), first_id, "  ", now)
    later = now + timedelta(hours=1)
    with env.db.write() as session:
        done = alerts.acknowledge(session, _support(lava.partner), first_id, "re-flashed", later)
        assert (done.status, done.note, done.acknowledged_at) == (
            "acknowledged",
            "re-flashed",
            later,
        )
    with env.db.write() as session:
        with pytest.raises(ConflictError):
            alerts.acknowledge(session, _support(lava.partner), first_id, "again", later)
    with env.db.read() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == "alert.acknowledge")
        ).scalar_one()
        assert entry.target_id == first_id and entry.after == {
            "status": "acknowledged",
            "note": "re-flashed",
        }
    # The condition coming back after the acknowledgement is a new alert.
    with env.db.write() as session:
        assert alerts.raise_alert(session, unit, "regression", "check_now_fails:adb", {}, now=later)


def test_alerts_are_scoped_to_the_partner(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    unit = device(env, activate(env, lava)["device_id"])
    with env.db.write() as session:
        raised = alerts.raise_alert(session, unit, "stale", "no_check_in", {}, now=env.clock.now())
        assert raised is not None
        alert_id = raised.id
    with env.db.read() as session:
        mine = alerts.list_alerts(session, _support(lava.partner), alerts.AlertFilter())
        theirs = alerts.list_alerts(session, _support(other.partner), alerts.AlertFilter())
        assert [a.id for a in mine] == [alert_id] and theirs == []
        with pytest.raises(NotFoundError):
            alerts.get_alert(session, _support(other.partner), alert_id)


def test_kind_and_reason_must_be_codes(env: Env) -> None:
    lava = tenant(env)
    unit = device(env, activate(env, lava)["device_id"])
    with env.db.write() as session, pytest.raises(ValueError, match="short lower-case code"):
        alerts.raise_alert(session, unit, "Bad Kind", "x", {}, now=env.clock.now())
