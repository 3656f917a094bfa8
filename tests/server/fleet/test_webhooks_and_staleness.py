"""Signed webhooks delivered to a receiver on loopback (retried with back-off after a
failure, every attempt recorded; the secret stored sealed with the KEK), staleness per the
agreement's window, the fleet policy's minimum, webhook URLs that are not HTTP refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handsetguard.server.core import keywrap
from handsetguard.server.errors import UnavailableError
from handsetguard.server.models import Webhook, WebhookDelivery
from handsetguard.server.services import fleet_state, webhooks
from tests.server.conftest import Env
from tests.server.fleet.helpers import Tenant, activate, example_report, tenant
from tests.server.fleet.receiver import receiver
from tests.server.fleet.test_reports import _post


def _vault(env: Env) -> Any:
    return env.client.app.state.ctx.vault  # type: ignore[attr-defined]


def hooked_regression(env: Env, lava: Tenant, url: str) -> dict[str, Any]:
    """A webhook of ``lava``'s at ``url`` (returned as created), then a unit whose second
    report's patch level went backwards: one alert, one delivery due."""
    made: dict[str, Any] = env.ok(
        "POST", "/v1/webhooks", lava.partner_admin, json={"partner_id": lava.partner, "url": url}
    )
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    _post(env, lava.support, example_report(serial=unit["serial"], security_patch="2020-01-01"))
    return made


def test_an_alert_reaches_the_partner_webhook_signed_after_a_retry(env: Env) -> None:
    lava = tenant(env)
    with receiver(500) as hook:
        made = env.ok(
            "POST",
            "/v1/webhooks",
            lava.partner_admin,
            json={"partner_id": lava.partner, "url": hook.url},
        )
        unit = activate(env, lava)
        assert _post(env, lava.factory, example_report(serial=unit["serial"])).status_code == 201
        env.clock.advance(timedelta(hours=1))
        later = example_report("consumer", serial=unit["serial"], security_patch="2024-01-05")
        raised = _post(env, lava.support, later).json()["alerts"]
        assert len(raised) == 1

        now = env.clock.now()
        assert webhooks.deliver_due(env.db, now, vault=_vault(env)) == 1  # answered 500
        assert (
            webhooks.deliver_due(env.db, now, vault=_vault(env)) == 0
        )  # not due before its back-off
        deliveries = env.ok("GET", f"/v1/webhooks/{made['id']}/deliveries", lava.partner_admin)
        assert [(d["status"], d["attempts"], d["last_status"]) for d in deliveries] == [
            ("pending", 1, 500)
        ]
        env.clock.advance(webhooks.next_delay(1))
        assert webhooks.deliver_due(env.db, env.clock.now(), vault=_vault(env)) == 1
        deliveries = env.ok("GET", f"/v1/webhooks/{made['id']}/deliveries", lava.partner_admin)
        assert [(d["status"], d["attempts"], d["last_status"]) for d in deliveries] == [
            ("delivered", 2, 200)
        ]
    assert len(hook.got) == 2
    with env.db.read() as session:
        stored = session.execute(select(Webhook.secret)).scalar_one()
    assert keywrap.is_sealed(stored) and made["secret"] not in stored
    last = hook.got[-1]
    signature = last.headers[webhooks.SIGNATURE_HEADER.lower()]
    sent_at = int(env.clock.now().timestamp())
    assert webhooks.verify_signature(made["secret"], signature, last.body, now=sent_at)
    assert not webhooks.verify_signature("whsec_wrong", signature, last.body, now=sent_at)
    assert not webhooks.verify_signature(made["secret"], signature, last.body + b" ", now=sent_at)
    assert not webhooks.verify_signature(made["secret"], signature, last.body, now=sent_at + 3600)
    event = json.loads(last.body)
    assert event["type"] == "alert.raised" and event["alert"]["id"] == raised[0]
    assert event["alert"]["reason"] == "patch_backwards:os"
    assert event["unit"]["serial"] == unit["serial"]
    assert last.headers["x-handsetguard-event"] == "alert.raised"


def test_a_webhook_that_never_answers_gives_up_after_max_attempts(env: Env) -> None:
    lava = tenant(env)
    with receiver(*[503] * webhooks.MAX_ATTEMPTS) as hook:
        made = hooked_regression(env, lava, hook.url)
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            assert webhooks.deliver_due(env.db, env.clock.now(), vault=_vault(env)) == 1
            env.clock.advance(webhooks.next_delay(attempt))
        assert webhooks.deliver_due(env.db, env.clock.now(), vault=_vault(env)) == 0
    deliveries = env.ok("GET", f"/v1/webhooks/{made['id']}/deliveries", lava.partner_admin)
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("failed", webhooks.MAX_ATTEMPTS)]


def test_webhook_urls_must_be_http(env: Env) -> None:
    lava = tenant(env)
    for url in ("ftp://example.org/x", "file:///etc/passwd", "javascript:alert(1)", "http://"):
        response = env.client.post(
            "/v1/webhooks",
            json={"partner_id": lava.partner, "url": url},
            headers=lava.partner_admin,
        )
        assert (response.status_code, response.json()["error"]["code"]) == (
            422,
            "webhook_url_invalid",
        ), url
    other = tenant(env, "Other OEM Pvt Ltd")
    response = env.client.post(
        "/v1/webhooks",
        json={"partner_id": other.partner, "url": "http://127.0.0.1/x"},
        headers=lava.partner_admin,
    )
    assert response.status_code == 404


def _sweep(env: Env) -> list[str]:
    with env.db.write() as session:
        return fleet_state.stale_sweep(session, env.clock.now())


def test_staleness_follows_the_agreement_window(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    env.clock.advance(timedelta(hours=47))
    assert _sweep(env) == []
    env.clock.advance(timedelta(hours=2))  # 49 h silent, default window 48 h
    raised = _sweep(env)
    assert len(raised) == 1 and _sweep(env) == []  # once per silence
    alert = env.ok("GET", "/v1/alerts", lava.support, params={"kind": "stale"})["items"][0]
    assert alert["detail"]["window_hours"] == 48 and alert["reason"] == "no_check_in"

    too_short = env.client.put(
        f"/v1/agreements/{lava.agreement}/fleet-policy",
        json={"stale_after_hours": 0},
        headers=lava.partner_admin,
    )
    assert too_short.status_code == 422
    missing = env.client.put(
        "/v1/agreements/no-such/fleet-policy", json={"stale_after_hours": 2}, headers=env.admin
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "agreement_not_found")
    no_hook = env.client.get("/v1/webhooks/no-such/deliveries", headers=env.admin)
    assert no_hook.status_code == 404
    env.ok(
        "PUT",
        f"/v1/agreements/{lava.agreement}/fleet-policy",
        lava.partner_admin,
        json={"stale_after_hours": 2},
    )
    env.ok("POST", f"/v1/alerts/{alert['id']}/acknowledge", lava.support, json={"note": "called"})
    _post(env, lava.support, example_report(serial=unit["serial"]))  # seen again
    env.clock.advance(timedelta(hours=1, minutes=59))
    assert _sweep(env) == []
    env.clock.advance(timedelta(minutes=2))
    assert len(_sweep(env)) == 1


def _never(env: Env) -> list[str]:
    with env.db.write() as session:
        return fleet_state.never_reported_sweep(session, env.clock.now())


def test_a_unit_never_heard_of_within_its_window_is_stale_once(env: Env) -> None:
    lava = tenant(env)
    env.ok(
        "PUT",
        f"/v1/agreements/{lava.agreement}/fleet-policy",
        lava.partner_admin,
        json={"stale_after_hours": 24},
    )
    silent, reporting = activate(env, lava), activate(env, lava)
    env.clock.advance(timedelta(hours=23))
    _post(env, lava.factory, example_report(serial=reporting["serial"]))
    assert _never(env) == []
    env.clock.advance(timedelta(hours=2))  # 25 h after activation, window 24 h
    raised = _never(env)
    assert len(raised) == 1 and _never(env) == [] and _sweep(env) == []  # once
    alert = env.ok("GET", "/v1/alerts", lava.support, params={"kind": "stale"})["items"][0]
    assert (alert["device_id"], alert["reason"]) == (silent["device_id"], "never_reported")
    assert alert["detail"]["window_hours"] == 24 and alert["detail"]["silent_hours"] == 25.0
    overview = env.ok("GET", "/v1/fleet/overview", lava.support)
    assert overview["units"] == 2 and overview["by_level"].get("unknown") == 1
    # Its first report makes it a unit like the others: silent again past the window, stale.
    _post(env, lava.factory, example_report(serial=silent["serial"]))
    overview = env.ok("GET", "/v1/fleet/overview", lava.support)
    assert overview["units"] == 2 and "unknown" not in overview["by_level"]
    env.clock.advance(timedelta(hours=25))
    assert len(_sweep(env)) == 2 and _never(env) == []


def test_a_sealed_secret_without_its_key_is_an_attempt_that_failed(env: Env) -> None:
    lava = tenant(env)
    with receiver() as hook:
        made = hooked_regression(env, lava, hook.url)
        assert webhooks.deliver_due(env.db, env.clock.now()) == 1  # no vault given
        with env.db.read() as session:
            row = session.execute(select(WebhookDelivery)).scalar_one()
            assert (row.status, row.attempts, row.last_status) == ("pending", 1, None)
            assert "sealed" in (row.last_error or "")
        # A secret sealed for one webhook does not open as another's.
        with env.db.read() as session:
            stored = session.execute(select(Webhook.secret)).scalar_one()
        other = webhooks.seal_secret(_vault(env), "another-hook", made["secret"])
        assert webhooks.open_secret(_vault(env), made["id"], stored) == made["secret"]
        with pytest.raises(UnavailableError) as refused:
            webhooks.open_secret(_vault(env), made["id"], other)
        assert refused.value.code == "webhook_secret_unreadable"
        env.clock.advance(webhooks.next_delay(1))
        assert webhooks.deliver_due(env.db, env.clock.now(), vault=_vault(env)) == 1
    assert len(hook.got) == 1
