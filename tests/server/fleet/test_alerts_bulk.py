"""alerts.raise_many (a receipt's rejections: thousands of alerts in a few statements), on
SQLite and PostgreSQL: the same deduplication as raise_alert (an alert already open is not
raised twice, nor twice within one call), one webhook delivery per active webhook of each
alert's partner with the same event body raise_alert queues, no delivery for another
partner's webhook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from handsetguard.server.models import Alert, Device, Webhook, WebhookDelivery
from handsetguard.server.services import alerts
from tests.server.conftest import Env
from tests.server.fleet.helpers import Tenant, activate, device, tenant


def _hook(env: Env, hook_id: str, partner: str, *, active: bool = True) -> None:
    with env.db.write() as session:
        session.add(
            Webhook(
                id=hook_id,
                partner_id=partner,
                url=f"http://127.0.0.1:9/{hook_id}",
                secret="s",
                created_at=env.clock.now(),
                created_by="admin",
                active=active,
            )
        )


def _units(env: Env, who: Tenant, count: int) -> list[Device]:
    return [device(env, activate(env, who)["device_id"]) for _ in range(count)]


def test_raise_many_dedupes_and_queues_like_raise_alert(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    _hook(env, "lava-1", lava.partner)
    _hook(env, "lava-2", lava.partner)
    _hook(env, "lava-off", lava.partner, active=False)
    _hook(env, "other-1", other.partner)
    mine = _units(env, lava, 3)
    theirs = _units(env, other, 1)
    now: datetime = env.clock.now()
    with env.db.write() as session:
        already = alerts.raise_alert(
            session, mine[0], "registration", "register_rejected", {"n": 0}, now=now
        )
        assert already is not None
        already_id = already.id
    raised = [
        (mine[0], "register_rejected", {"n": 0}),  # open already
        (mine[1], "register_rejected", {"n": 1}),
        (mine[1], "register_rejected", {"n": 1}),  # twice in one call
        (mine[2], "register_rejected", {"n": 2}),
        (theirs[0], "register_rejected", {"n": 3}),
    ]
    with env.db.write() as session:
        added = alerts.raise_many(session, raised, "registration", now=now)
    assert len(added) == 3
    with env.db.read() as session:
        rows = {a.id: a for a in session.execute(select(Alert)).scalars()}
        deliveries = session.execute(select(WebhookDelivery)).scalars().all()
        by_device = {a.device_id: a for a in rows.values()}
        assert sorted(by_device) == sorted(u.id for u in [*mine, *theirs])
        assert len(rows) == 4 and already_id in rows
        queued: dict[str, set[str]] = {}
        for d in deliveries:
            queued.setdefault(d.alert_id, set()).add(d.webhook_id)
        for alert_id in added:
            alert = rows[alert_id]
            unit = next(u for u in [*mine, *theirs] if u.id == alert.device_id)
            hooks = {"lava-1", "lava-2"} if unit.partner_id == lava.partner else {"other-1"}
            assert queued[alert_id] == hooks
            event = next(d.event for d in deliveries if d.alert_id == alert_id)
            assert event == alerts.alert_event(alert, unit)
        assert queued[already_id] == {"lava-1", "lava-2"}  # from raise_alert, not again
        assert len(deliveries) == 2 + 2 + 2 + 1
