"""middleware.RequestMetrics: every request counted by (route, method, status) and timed by
route, each series looked up once and kept; past SERIES_KEPT series (a client inventing
methods), requests are still counted, the kept ones no more."""

from __future__ import annotations

import asyncio
from typing import Any

from handsetguard.server.context import Metrics
from handsetguard.server.middleware import RequestMetrics


class _Route:
    path = "/v1/things/{id}"


async def _app(scope: Any, _receive: Any, send: Any) -> None:
    """Answers with the status the test put in the scope, matched to one route template."""
    scope["route"] = _Route()
    await send({"type": "http.response.start", "status": scope["status"], "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _serve(middleware: RequestMetrics, requests: list[tuple[str, int]]) -> None:
    async def receive() -> Any:
        return {"type": "http.disconnect"}

    async def send(_message: Any) -> None:
        return None

    async def run() -> None:
        for method, status in requests:
            scope = {"type": "http", "method": method, "path": "/v1/things/7", "status": status}
            await middleware(scope, receive, send)

    asyncio.run(run())


def _count(metrics: Metrics, method: str, status: int) -> float | None:
    labels = {"route": _Route.path, "method": method, "status": str(status)}
    return metrics.registry.get_sample_value("handsetguard_http_requests_total", labels)


def test_each_series_counts_its_own_requests() -> None:
    metrics = Metrics()
    middleware = RequestMetrics(_app, metrics)
    _serve(middleware, [("GET", 200)] * 3 + [("GET", 404)] * 2 + [("POST", 200)])
    assert [_count(metrics, m, s) for m, s in [("GET", 200), ("GET", 404), ("POST", 200)]] == [
        3.0,
        2.0,
        1.0,
    ]
    timed = metrics.registry.get_sample_value(
        "handsetguard_http_request_seconds_count", {"route": _Route.path}
    )
    assert timed == 6.0
    assert len(middleware._series) == 3


def test_series_past_the_cap_are_counted_and_not_kept() -> None:
    metrics = Metrics()
    middleware = RequestMetrics(_app, metrics)
    middleware.SERIES_KEPT = 4
    invented = [(f"M{i}", 200) for i in range(10)]
    _serve(middleware, invented + invented[-1:])
    assert len(middleware._series) == 4
    assert all(_count(metrics, m, 200) == 1.0 for m, _ in invented[:-1])
    assert _count(metrics, "M9", 200) == 2.0
