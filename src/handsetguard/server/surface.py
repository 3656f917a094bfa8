"""The HTTP surface every response shares (pure ASGI, before routing): security headers on
every response, and request URLs with control characters refused before any route (and so
any database) sees them — PostgreSQL refuses NUL in text where SQLite stores it, and both
must answer the same."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handsetguard.server.middleware import error_bytes
from handsetguard.server.schemas.common import forbidden_character

__all__ = ["CONTENT_SECURITY_POLICY", "DOCS_CONTENT_SECURITY_POLICY", "SecureSurface"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""For every HTML page that does not send its own: its own assets only, no inline script."""
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
    "'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""For the API viewers (/docs, /redoc) when they send none: they start with inline code."""
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def _bad_url(scope: Scope) -> str | None:
    path: str = scope.get("path", "")
    query = unquote_to_bytes(scope.get("query_string", b"")).decode("utf-8", "surrogateescape")
    for part, text in (("path", path), ("query", query)):
        bad = forbidden_character(text)
        if bad is not None:
            return f"the URL {part} holds control character {bad}"
    return None


class SecureSurface:
    """Adds ``X-Content-Type-Options``, ``Referrer-Policy`` and ``X-Frame-Options`` to every
    response; ``Cache-Control: no-store`` to every answer to a request with credentials
    (unless the route chose its own); a Content-Security-Policy to every HTML response that
    has none. A URL with a control character is a 400 ``invalid_url``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = scope["headers"]
        authenticated = any(k == b"authorization" for k, _ in request_headers)
        docs = scope.get("path", "") in DOCS_PATHS

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.extend(h for h in _ALWAYS if h[0] not in names)
                if authenticated and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                html = any(
                    k.lower() == b"content-type" and v.lower().startswith(b"text/html")
                    for k, v in headers
                )
                if html and b"content-security-policy" not in names:
                    policy = DOCS_CONTENT_SECURITY_POLICY if docs else CONTENT_SECURITY_POLICY
                    headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        problem = _bad_url(scope)
        if problem is not None:
            body = error_bytes("invalid_url", problem)
            await secured(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await secured({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, secured)
