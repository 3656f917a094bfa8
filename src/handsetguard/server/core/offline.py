"""Offline verification of a signed activation: only ``cryptography`` is needed.

Keys come from a PEM public key, a bare base64url raw key, or the JSON of ``GET /v1/keys``
(retired keys are not trusted). A revocation list (``GET /v1/revocations``) is itself a
signed envelope, checked with the same keys before it is believed, and then for freshness:
a list issued more than ``max_list_age`` ago (default 7 days), or before the activation it
is asked about, is refused (:class:`StaleListError`) — an old list cannot show a newer
revocation.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from handsetguard.server.core.envelope import (
    ACTIVATION_TYPE,
    REVOCATIONS_TYPE,
    EnvelopeError,
    key_id,
    verify_envelope,
)

__all__ = [
    "DEFAULT_MAX_LIST_AGE",
    "StaleListError",
    "Verified",
    "load_keys",
    "read_activation_text",
    "verify_activation",
]

DEFAULT_MAX_LIST_AGE = timedelta(days=7)


class StaleListError(EnvelopeError):
    """The revocation list verifies but is too old to answer for this activation."""


@dataclass(frozen=True, slots=True)
class Verified:
    kid: str
    payload: dict[str, Any]
    revoked: str | None
    """Why the activation is void per the revocation list, or None."""


def _raw_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("bad_key", "public key is not PEM, JSON keys or raw base64") from exc


def load_keys(data: bytes) -> dict[str, Ed25519PublicKey]:
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = load_pem_public_key(data)
        except ValueError as exc:
            raise EnvelopeError("bad_key", f"unreadable PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise EnvelopeError("bad_key", "the PEM key is not an Ed25519 public key")
        return {key_id(key): key}
    if text.startswith("{"):
        try:
            entries = json.loads(text)["keys"]
            found = {
                e["kid"]: _raw_key(e["public_key"]) for e in entries if e["status"] != "retired"
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise EnvelopeError("bad_key", "keys JSON is not the GET /v1/keys shape") from exc
        for kid, key in found.items():
            if key_id(key) != kid:
                raise EnvelopeError("bad_key", f"key id {kid} does not match its key")
        return found
    key = _raw_key(text)
    return {key_id(key): key}


def read_activation_text(data: bytes) -> str:
    """The envelope itself, or the JSON response of POST /v1/activations holding it."""
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)["activation"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EnvelopeError("malformed", "JSON without an 'activation' field") from exc
        if not isinstance(value, str):
            raise EnvelopeError("malformed", "'activation' is not a string")
        return value
    return text


def _revoked(payload: dict[str, Any], revocations: dict[str, Any]) -> str | None:
    for entry in revocations.get("activations", []):
        if entry.get("activation_id") == payload.get("activation_id"):
            return f"device revoked: {entry.get('reason')}"
    agreement = payload.get("agreement", {}).get("id")
    for entry in revocations.get("agreements", []):
        if entry.get("agreement_id") == agreement:
            return f"agreement {entry.get('status')}"
    return None


def _issued_at(payload: dict[str, Any], what: str) -> datetime:
    try:
        issued = datetime.fromisoformat(str(payload["issued_at"]))
    except (KeyError, ValueError):
        raise EnvelopeError("malformed", f"the {what} has no valid issued_at") from None
    if issued.tzinfo is None:
        raise EnvelopeError("malformed", f"the {what}'s issued_at has no time zone")
    return issued


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f} days"


def check_list_age(
    listed: dict[str, Any],
    activation: dict[str, Any],
    now: datetime,
    max_age: timedelta,
) -> None:
    """Refuse a list older than ``max_age`` at ``now``, or issued before the activation."""
    issued = _issued_at(listed, "revocation list")
    age = now - issued
    if age > max_age:
        raise StaleListError(
            "stale_list",
            f"the revocation list was issued {issued.isoformat()}, {_days(age)} ago: older "
            f"than the {_days(max_age)} allowed; fetch a fresh GET /v1/revocations",
        )
    activated = _issued_at(activation, "activation")
    if issued < activated:
        raise StaleListError(
            "stale_list",
            f"the revocation list was issued {issued.isoformat()}, before the activation "
            f"({activated.isoformat()}): it cannot show its revocation; fetch a fresh one",
        )


def verify_activation(
    activation: str,
    keys: dict[str, Ed25519PublicKey],
    revocation_list: str | None = None,
    *,
    now: datetime | None = None,
    max_list_age: timedelta = DEFAULT_MAX_LIST_AGE,
) -> Verified:
    """Verify the activation and, with a list, whether it is revoked; the list must be
    fresh (see the module docstring; ``now`` defaults to the system clock)."""
    opened = verify_envelope(activation, keys, ACTIVATION_TYPE)
    revoked = None
    if revocation_list is not None:
        text = read_revocations_text(revocation_list)
        listed = verify_envelope(text, keys, REVOCATIONS_TYPE)
        check_list_age(listed.payload, opened.payload, now or datetime.now(UTC), max_list_age)
        revoked = _revoked(opened.payload, listed.payload)
    return Verified(opened.kid, opened.payload, revoked)


def read_revocations_text(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)["revocations"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EnvelopeError("malformed", "JSON without a 'revocations' field") from exc
        return str(value)
    return stripped
