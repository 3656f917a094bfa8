"""Dashboard sessions without server state (several API processes serve one database): the
cookie holds the credential token itself, HttpOnly and SameSite=Strict (Secure over TLS), and
every page authenticates it as the API does. Each form carries a CSRF token derived from the
session (HMAC-SHA256 keyed by the token), which another site can neither read nor compute;
the sign-in form, before any session, uses a double-submit cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

__all__ = [
    "COOKIE",
    "LOGIN_COOKIE",
    "SESSION_SECONDS",
    "clear_session",
    "csrf_for",
    "csrf_ok",
    "login_token",
    "remember_login_token",
    "same_token",
    "set_session",
]

COOKIE = "hg_session"
LOGIN_COOKIE = "hg_login_csrf"
SESSION_SECONDS = 8 * 3600


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"handsetguard-ui-csrf/1", hashlib.sha256).hexdigest()


def csrf_ok(token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_for(token), sent or "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_SECONDS,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/ui")


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/ui", httponly=True, samesite="strict")


def login_token(request: Request) -> str:
    """The sign-in form's token: the double-submit cookie's value, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def same_token(expected: str | None, sent: str | None) -> bool:
    return bool(expected) and bool(sent) and hmac.compare_digest(expected or "", sent or "")


def remember_login_token(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=3600,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
