"""middleware.BodyLimit on a body sent without Content-Length (chunked): read up to the
limit before the app sees any of it, then replayed whole to the app (and after it, what the
server gives next); one byte past the limit is a 413 and the app is never called."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from handsetguard.server.middleware import BodyLimit


def _run(limit: int, chunks: list[bytes]) -> tuple[list[Any], list[Any]]:
    seen: list[Any] = []
    sent: list[Any] = []
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Any:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    async def app(_scope: Any, receive: Any, _send: Any) -> None:
        seen.append(await receive())
        seen.append(await receive())

    scope = {"type": "http", "method": "POST", "path": "/v1/x", "headers": []}
    asyncio.run(BodyLimit(app, limit)(scope, receive, send))
    return seen, sent


def test_a_chunked_body_within_the_limit_is_replayed_whole() -> None:
    seen, sent = _run(10, [b"abc", b"defg", b"hij"])
    assert seen == [
        {"type": "http.request", "body": b"abcdefghij", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert sent == []


def test_a_chunked_body_past_the_limit_is_413_before_the_app() -> None:
    seen, sent = _run(10, [b"abc", b"defg", b"hijk"])
    assert seen == []
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "body_too_large"
