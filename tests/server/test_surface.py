"""The public surface (issue 12): security headers on every response, ``no-store`` on
answers to authenticated requests, a Content-Security-Policy on HTML; ``/metrics`` needs a
licensor-admin or auditor credential, or a client address the operator allowed."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from handsetguard.server.app import create_app
from handsetguard.server.config import Settings
from handsetguard.server.surface import CONTENT_SECURITY_POLICY, SecureSurface
from tests.server.conftest import Env, LiveServer, make_env


def _secured(response: httpx.Response) -> bool:
    return (
        response.headers.get("x-content-type-options") == "nosniff"
        and response.headers.get("referrer-policy") == "no-referrer"
        and response.headers.get("x-frame-options") == "DENY"
    )


def test_every_response_carries_the_security_headers(env: Env) -> None:
    """Found: no security headers at all."""
    anonymous = [
        env.client.get("/health"),
        env.client.get("/v1/keys"),
        env.client.get("/v1/revocations"),
        env.client.get("/v1/nowhere"),
        env.client.get("/v1/partners"),  # 401
        env.client.post("/v1/partners", content=b"{", headers={"Content-Type": "application/json"}),
        env.client.post("/v1/partners", content=b"x" * 100_000),  # 413 from the body limit
        env.client.get("/v1/devices/%00"),  # 400 before routing
    ]
    assert [r.status_code for r in anonymous] == [200, 200, 200, 404, 401, 400, 413, 400]
    assert all(_secured(r) for r in anonymous)
    assert all("cache-control" not in r.headers for r in anonymous[:2])
    authenticated = [
        env.client.get("/v1/partners", headers=env.admin),
        env.client.get("/v1/audit", headers=env.admin),
        env.client.get("/v1/partners/nope", headers=env.admin),
        env.client.get("/v1/partners", headers={"Authorization": "Bearer hgk_bad"}),
    ]
    assert all(_secured(r) for r in authenticated)
    assert all(r.headers.get("cache-control") == "no-store" for r in authenticated)


def test_html_gets_a_content_security_policy() -> None:
    async def page(_request: object) -> HTMLResponse:
        return HTMLResponse("<p>hello</p>")

    async def own(_request: object) -> HTMLResponse:
        return HTMLResponse("<p>own</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    app = SecureSurface(Starlette(routes=[Route("/page", page), Route("/own", own)]))
    with TestClient(app) as client:
        assert client.get("/page").headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert client.get("/own").headers["content-security-policy"] == "default-src 'none'"


def test_the_api_docs_page_has_a_policy(env: Env) -> None:
    docs = env.client.get("/docs")
    assert docs.status_code == 200 and _secured(docs)
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "content-security-policy" not in env.client.get("/v1/keys").headers  # not HTML


def test_metrics_need_a_credential(env: Env) -> None:
    """Found: /metrics (public) exposed activation volumes."""
    partner = env.partner()
    factory = env.credential("factory", partner_id=partner)
    auditor = env.credential("auditor")
    assert env.client.get("/metrics").status_code == 401
    assert env.client.get("/metrics", headers=factory).status_code == 403
    for headers in (auditor, env.admin):
        allowed = env.client.get("/metrics", headers=headers)
        assert allowed.status_code == 200 and "handsetguard_http_requests" in allowed.text
        assert allowed.headers["cache-control"] == "no-store"


def test_metrics_from_an_allowed_address_need_none(db_url: str) -> None:
    env, client = make_env(db_url, metrics_allow_from=["127.0.0.1/32"])
    elsewhere = Settings(database_url=db_url, metrics_allow_from=["10.0.0.0/8"])
    with client, TestClient(create_app(elsewhere, clock=env.clock)) as other:
        for app, status in ((client.app, 200), (other.app, 401)):
            server = LiveServer(app)
            try:
                assert httpx.get(f"{server.url}/metrics").status_code == status
            finally:
                server.stop()
