"""Signing keys sealed at rest: AES-256-GCM under a key-encryption key (KEK) kept outside
the database, so that a copy of the database (a backup, a replica, a leaked dump) cannot
forge activations.

Stored form of a sealed private key (the ``signing_keys.private_key`` column)::

    aesgcm1.<base64url(nonce(12) || ciphertext || tag(16))>

with ``AAD = "HandsetGuard signing key" 0x00 kid``: a sealed key moved onto another key id
does not open. An unsealed key is standard base64 of the 32 raw bytes (which never contains
a dot, so the two forms cannot be confused).

KEK file: one line, standard base64 of 32 random bytes (``handsetguard server
new-key-file PATH`` writes one, mode 0600). Keep it where the API processes can read it and
database backups cannot (a secrets mount, a KMS-fetched file).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from handsetguard.boundedio import read_bounded
from handsetguard.errors import UsageError

__all__ = [
    "SEALED_PREFIX",
    "KeyFileError",
    "is_sealed",
    "new_key_file",
    "read_key_file",
    "seal",
    "unseal",
]

SEALED_PREFIX = "aesgcm1."
KEK_BYTES = 32
_AAD = b"HandsetGuard signing key\x00"


class KeyFileError(UsageError):
    """The key-encryption key file is missing, unreadable or not 32 bytes of base64."""


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def seal(kek: bytes, kid: str, raw: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(kek).encrypt(nonce, raw, _AAD + kid.encode())
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def unseal(kek: bytes, kid: str, stored: str) -> bytes:
    """The raw key; ValueError when ``kek`` does not open it (wrong KEK, altered, other kid)."""
    body = stored.removeprefix(SEALED_PREFIX)
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return AESGCM(kek).decrypt(blob[:12], blob[12:], _AAD + kid.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise ValueError(f"the key-encryption key does not open signing key {kid}") from None


def read_key_file(path: Path) -> bytes:
    text = read_bounded(path, 4096, KeyFileError).strip()
    try:
        kek = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise KeyFileError(f"{path}: not base64 (expected one line: 32 random bytes)") from None
    if len(kek) != KEK_BYTES:
        raise KeyFileError(f"{path}: {len(kek)} bytes of key, expected {KEK_BYTES}")
    return kek


def new_key_file(path: Path) -> None:
    """Write a new random KEK to ``path`` (mode 0600); never overwrites a file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create it ({exc.strerror})") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(os.urandom(KEK_BYTES)).decode() + "\n")
