"""API credential tokens: ``hgk_<id>_<secret>``. The id (public, the row's key) finds the
credential; only SHA-256 of the 256-bit secret is stored and compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = ["IssuedToken", "hash_secret", "issue_token", "parse_token", "secret_matches"]

PREFIX = "hgk"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    credential_id: str
    secret: str
    token: str

    def __repr__(self) -> str:  # never let the secret reach a log through repr()
        return f"IssuedToken(credential_id={self.credential_id!r}, secret=<redacted>)"


def issue_token() -> IssuedToken:
    credential_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(credential_id, secret, f"{PREFIX}_{credential_id}_{secret}")


def parse_token(token: str) -> tuple[str, str] | None:
    """``(credential_id, secret)`` or None when the token is not of our shape."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 16 or not parts[2]:
        return None
    return parts[1], parts[2]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
