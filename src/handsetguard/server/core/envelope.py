"""Signed envelopes: the format of activations and of the revocation list.

Format (``hg1``), four base64url (no padding) fields joined by dots::

    hg1.<header>.<payload>.<signature>

- ``header`` is canonical JSON ``{"alg": "Ed25519", "kid": <key id>, "typ": <type>}``;
  ``typ`` is ``handsetguard.activation.v1`` or ``handsetguard.revocations.v1``.
- ``payload`` is canonical JSON (sorted keys, no spaces, UTF-8).
- ``signature`` is Ed25519 over ``DOMAIN(typ) || header_b64 || "." || payload_b64`` where
  ``DOMAIN(typ) = "HandsetGuard signed envelope\\x00" + typ + "\\x00"`` (ASCII). The prefix
  separates these signatures from anything else the key could ever sign; the ``typ`` inside
  it means an activation can never be replayed as a revocation list or the other way round.
  It is deliberately *not* a JWS: a JWS library will refuse it rather than verify it without
  the domain prefix.
- ``kid`` is ``ed25519:`` + the first 16 bytes of SHA-256(raw 32-byte public key), base64url.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ACTIVATION_TYPE",
    "REVOCATIONS_TYPE",
    "EnvelopeError",
    "Opened",
    "canonical_json",
    "key_id",
    "open_envelope",
    "raw_public_key",
    "sign_envelope",
    "verify_envelope",
]

VERSION = "hg1"
ACTIVATION_TYPE = "handsetguard.activation.v1"
REVOCATIONS_TYPE = "handsetguard.revocations.v1"
ALGORITHM = "Ed25519"


class EnvelopeError(ValueError):
    """The envelope is malformed, of another type, signed by an unknown key, or forged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Opened:
    """A parsed but *not yet verified* envelope."""

    kid: str
    typ: str
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public_key(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    return "ed25519:" + _b64(hashlib.sha256(raw_public_key(public)).digest()[:16])


def _domain(typ: str) -> bytes:
    return b"HandsetGuard signed envelope\x00" + typ.encode() + b"\x00"


def sign_envelope(key: Ed25519PrivateKey, typ: str, payload: dict[str, Any]) -> str:
    header = {"alg": ALGORITHM, "kid": key_id(key.public_key()), "typ": typ}
    head, body = _b64(canonical_json(header)), _b64(canonical_json(payload))
    signature = key.sign(_domain(typ) + f"{head}.{body}".encode())
    return f"{VERSION}.{head}.{body}.{_b64(signature)}"


def open_envelope(text: str) -> Opened:
    parts = text.strip().split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise EnvelopeError("malformed", f"not a {VERSION} envelope (4 dot-separated fields)")
    try:
        header = json.loads(_unb64(parts[1]))
        payload = json.loads(_unb64(parts[2]))
        signature = _unb64(parts[3])
    except (binascii.Error, ValueError) as exc:
        raise EnvelopeError("malformed", f"envelope field is not base64url JSON: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise EnvelopeError("malformed", "envelope header and payload must be JSON objects")
    if header.get("alg") != ALGORITHM or not isinstance(header.get("kid"), str):
        raise EnvelopeError("malformed", "envelope header needs alg Ed25519 and a kid")
    typ = header.get("typ")
    if not isinstance(typ, str):
        raise EnvelopeError("malformed", "envelope header has no typ")
    signing_input = _domain(typ) + f"{parts[1]}.{parts[2]}".encode()
    return Opened(header["kid"], typ, payload, signing_input, signature)


def verify_envelope(text: str, keys: dict[str, Ed25519PublicKey], typ: str) -> Opened:
    """Check type, key id and signature; return the envelope whose payload is now trusted."""
    opened = open_envelope(text)
    if opened.typ != typ:
        raise EnvelopeError("wrong_type", f"envelope is a {opened.typ!r}, expected {typ!r}")
    public = keys.get(opened.kid)
    if public is None:
        raise EnvelopeError("unknown_key", f"no trusted public key with id {opened.kid}")
    try:
        public.verify(opened.signature, opened.signing_input)
    except InvalidSignature as exc:
        raise EnvelopeError("bad_signature", "signature does not verify") from exc
    return opened
