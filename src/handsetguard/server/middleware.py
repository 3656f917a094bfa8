"""Pure ASGI middleware: request body size limit and Prometheus request metrics."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handsetguard.server.context import Metrics

__all__ = ["BodyLimit", "RequestMetrics", "error_bytes", "replayed"]


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": {}}}).encode()


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = error_bytes(code, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413 ``body_too_large``: by Content-Length when
    given, otherwise by reading at most limit + 1 bytes before the app sees any of it.
    ``larger`` maps a path to its own limit (uploaded reports and register files are
    bigger); ``{}`` in a path stands for one segment (``/v1/registrations/batches/{}/receipt``)."""

    def __init__(self, app: ASGIApp, limit: int, larger: dict[str, int] | None = None) -> None:
        self.app, self._limit = app, limit
        self.larger = [
            (re.compile("[^/]+".join(re.escape(part) for part in path.split("{}"))), size)
            for path, size in (larger or {}).items()
        ]

    def _limit_for(self, path: str) -> int:
        return next((size for p, size in self.larger if p.fullmatch(path)), self._limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        limit = self._limit_for(scope.get("path", ""))
        too_big = f"request body over {limit} bytes"
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _send_error(send, 413, "body_too_large", too_big)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, "body_too_large", too_big)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, replayed(b"".join(chunks), receive), send)


def replayed(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app ``body`` (already read) as one message, then what
    ``receive`` gives (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class RequestMetrics:
    """Each request counted by route template, method and status, and its latency by
    route. The labelled series are looked up once per (route, method, status) and kept
    (prometheus_client's ``labels()`` validates and locks on every call), up to
    :data:`SERIES_KEPT` of them: a client's made-up methods are counted, not kept."""

    SERIES_KEPT = 1024

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route: Any = scope.get("route")
            key = (getattr(route, "path", "unmatched"), scope["method"], status)
            series = self._series.get(key)
            if series is None:
                series = self._labelled(key)
            series[0].inc()
            series[1].observe(time.perf_counter() - started)

    def _labelled(self, key: tuple[str, str, int]) -> tuple[Any, Any]:
        template, method, status = key
        series = (
            self.metrics.requests.labels(template, method, str(status)),
            self.metrics.latency.labels(template),
        )
        if len(self._series) < self.SERIES_KEPT:
            self._series[key] = series
        return series
