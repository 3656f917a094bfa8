"""Health, Prometheus metrics, OpenAPI, pagination, rate limiting per credential, and the
light import of the package."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Env, make_env


def test_health_metrics_openapi(env: Env) -> None:
    assert env.client.get("/health").json() == {"status": "ok", "database": "ok"}
    partner = env.partner()
    env.agreement(partner, quota=0)
    factory = env.credential("factory", partner_id=partner)
    env.client.post("/v1/activations", json=env.unit(), headers=factory)
    metrics = env.client.get("/metrics", headers=env.admin).text
    assert 'handsetguard_activations_total{outcome="quota_exhausted"} 1.0' in metrics
    assert 'route="/v1/activations"' in metrics
    spec = env.client.get("/openapi.json").json()
    assert spec["info"]["version"] == "1.0.0"
    assert all(p.startswith("/v1/") for p in spec["paths"] if p not in ("/health", "/metrics"))


def test_pagination_walks_every_partner_once(env: Env) -> None:
    made = {env.partner(f"OEM {i} Ltd") for i in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        query = "/v1/partners?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = env.ok("GET", query, env.admin)
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    too_big = env.client.get("/v1/partners?limit=1000", headers=env.admin)
    assert too_big.json()["error"]["code"] == "invalid_request"


def test_rate_limit_per_credential(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    env, client = make_env(url, rate_limit_per_second=0.001, rate_limit_burst=4)
    with client:
        other = env.credential("auditor")  # spends one of the admin's 4
        codes = [client.get("/v1/partners", headers=env.admin).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = client.get("/v1/partners", headers=env.admin)
        assert limited.headers["Retry-After"] == "1"
        assert limited.json()["error"]["code"] == "rate_limited"
        assert client.get("/v1/partners", headers=other).status_code == 200  # own bucket


def test_import_handsetguard_stays_light() -> None:
    code = (
        "import sys, handsetguard, handsetguard.server, handsetguard.server.core.offline;"
        "bad = [m for m in ('fastapi', 'sqlalchemy', 'starlette') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_secrets_never_reach_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    env, client = make_env(f"sqlite:///{tmp_path / 'logs.db'}")
    with client:
        partner = env.partner()
        env.agreement(partner)
        factory = env.credential("factory", partner_id=partner)
        env.client.post("/v1/activations", json=env.unit(), headers=factory)
        env.client.get("/v1/partners", headers={"Authorization": "Bearer hgk_0123456789abcdef_x"})
    secrets = [h["Authorization"].split("_", 2)[2] for h in (env.admin, factory)]
    assert caplog.records  # something was logged, and none of it is a secret
    assert not [s for s in secrets if s in caplog.text]


@pytest.mark.parametrize("enabled", [False, True])
def test_fastapi_opentelemetry_only_when_configured(
    db_url: str, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """With an OpenTelemetry SDK configured in the process (simulated: FastAPI's check for
    an unconfigured provider answers no), FastAPI's native instrumentation sees the
    requests only when ``opentelemetry`` is set; by default it is not even asked."""
    asgi = pytest.importorskip("fastapi.telemetry._asgi", reason="FastAPI without telemetry")
    seen: list[str] = []
    instrument = asgi.NativeTelemetry.__call__

    async def recording(self: Any, **kwargs: Any) -> None:
        seen.append(kwargs["scope"]["path"])
        await instrument(self, **kwargs)

    monkeypatch.setattr(asgi, "_unconfigured", lambda _provider: False)
    monkeypatch.setattr(asgi.NativeTelemetry, "__call__", recording)
    _, client = make_env(db_url, opentelemetry=enabled)
    with client:
        assert client.get("/health").status_code == 200
    assert seen == (["/health"] if enabled else [])
