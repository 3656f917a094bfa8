"""Offline verification of a signed activation: only ``cryptography`` is needed.

Keys come from a PEM public key, a bare base64url raw key, or the JSON of ``GET /v1/keys``
(retired keys are not trusted). A revocation list (``GET /v1/revocations``) is itself a
signed envelope, checked with the same keys before it is believed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
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

__all__ = ["Verified", "load_keys", "read_activation_text", "verify_activation"]


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


def verify_activation(
    activation: str,
    keys: dict[str, Ed25519PublicKey],
    revocation_list: str | None = None,
) -> Verified:
    opened = verify_envelope(activation, keys, ACTIVATION_TYPE)
    revoked = None
    if revocation_list is not None:
        text = read_revocations_text(revocation_list)
        listed = verify_envelope(text, keys, REVOCATIONS_TYPE)
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
