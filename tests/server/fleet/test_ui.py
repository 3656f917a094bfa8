"""The dashboard over HTTP (in-process): sign-in sets an HttpOnly, SameSite=Strict session
cookie; every page renders for a signed-in credential and redirects otherwise; a form without
the session's CSRF token is refused; a partner sees only its own units; /docs and /redoc load
nothing from outside the service."""

from __future__ import annotations

import re
from typing import Any

from handsetguard.server.ui import session
from tests.server.conftest import Env
from tests.server.fleet.helpers import Tenant, activate, example_report, tenant
from tests.server.fleet.test_reports import _post


def _sign_in(env: Env, who: dict[str, str]) -> None:
    page = env.client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    token = who["Authorization"].removeprefix("Bearer ")
    response = env.client.post(
        "/ui/login",
        content=f"csrf={csrf.group(1)}&token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie


def _regressed_unit(env: Env, lava: Tenant) -> dict[str, Any]:
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    _post(env, lava.support, example_report(serial=unit["serial"], security_patch="2023-03-01"))
    return unit


def test_pages_need_a_session_and_render_with_one(env: Env) -> None:
    lava = tenant(env)
    unit = _regressed_unit(env, lava)
    for path in ("/ui/", "/ui/alerts", "/ui/search", f"/ui/units/{unit['device_id']}"):
        response = env.client.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/ui/login")
    _sign_in(env, lava.support)
    overview = env.client.get("/ui/")
    assert overview.status_code == 200 and "<svg" in overview.text
    assert 'data-band="24+" data-units="1"' in overview.text  # 2023-03 vs 2026-10
    alerts_page = env.client.get("/ui/alerts")
    assert "patch_backwards:os" in alerts_page.text
    found = env.client.get("/ui/search", params={"q": unit["imei2"]})
    assert f"/ui/units/{unit['device_id']}" in found.text
    page = env.client.get(f"/ui/units/{unit['device_id']}")
    assert page.status_code == 200
    for tier in ("attested", "os", "host"):
        assert f'data-tier="{tier}"' in page.text
    assert "OS patch level" in page.text or "os_patch" in page.text


def test_acknowledge_needs_the_csrf_token(env: Env) -> None:
    lava = tenant(env)
    _regressed_unit(env, lava)
    _sign_in(env, lava.support)
    alert = env.ok("GET", "/v1/alerts", lava.support)["items"][0]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = env.client.post(
        f"/ui/alerts/{alert['id']}/acknowledge", content="note=forged&csrf=nope", headers=form
    )
    assert forged.status_code == 403
    assert env.ok("GET", "/v1/alerts", lava.support)["items"][0]["status"] == "open"
    token = lava.support["Authorization"].removeprefix("Bearer ")
    done = env.client.post(
        f"/ui/alerts/{alert['id']}/acknowledge",
        content=f"note=customer+updated&csrf={session.csrf_for(token)}",
        headers=form,
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = env.ok("GET", "/v1/alerts", lava.support)["items"][0]
    assert (after["status"], after["note"]) == ("acknowledged", "customer updated")


def test_a_partner_does_not_see_another_partners_unit(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    unit = _regressed_unit(env, lava)
    _sign_in(env, other.support)
    assert env.client.get(f"/ui/units/{unit['device_id']}").status_code == 404
    found = env.client.get("/ui/search", params={"q": unit["imei1"]})
    assert unit["device_id"] not in found.text and "0 unit(s)" in found.text
    assert "patch_backwards" not in env.client.get("/ui/alerts").text


def test_a_bad_token_does_not_sign_in(env: Env) -> None:
    page = env.client.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = env.client.post("/ui/login", content=f"csrf={csrf.group(1)}&token=hgk_x_y", headers=form)
    assert bad.status_code == 401 and session.COOKIE not in bad.headers.get("set-cookie", "")
    no_csrf = env.client.post("/ui/login", content="token=hgk_x_y", headers=form)
    assert no_csrf.status_code == 403


def test_docs_are_served_offline(env: Env) -> None:
    for path in ("/docs", "/redoc"):
        page = env.client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources
        for asset in sources:
            if asset.startswith("/docs/assets/"):
                assert env.client.get(asset).status_code == 200, asset
        assert "fonts.googleapis" not in page.text
