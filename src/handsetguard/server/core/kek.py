"""Where the key-encryption key (KEK) lives: a small provider interface, so that the KEK can
later be held by a KMS or an HSM without the services changing, and the one implementation
shipped today, a local file.

A provider seals a private key for storage and opens it again; it never hands the KEK out.
A KMS/HSM provider implements the same two methods by calling the KMS (``Encrypt`` /
``Decrypt`` with the AAD below as the encryption context, or an HSM's wrap/unwrap), stores
its own prefix instead of ``aesgcm1.`` and is chosen in :func:`configured_kek` (see
docs/server.md, "Key-encryption key").

Without ``HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE``, the default file is
``$XDG_CONFIG_HOME/handsetguard/server.kek`` (``~/.config/…``): ``server init`` creates it
(mode 0600, folder 0700) when neither exists, and every command and the app use it when it
exists.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from handsetguard.server.core import keywrap

__all__ = ["KEK_ENV", "FileKek", "KeyEncryptionKey", "configured_kek", "default_kek_path"]

KEK_ENV = "HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE"


class KeyEncryptionKey(Protocol):
    """Seals and opens private keys; ``where`` names it in messages (never its value)."""

    @property
    def where(self) -> str: ...

    def seal(self, kid: str, raw: bytes) -> str:
        """The stored form of ``raw``, bound to ``kid`` (a sealed key moved to another kid
        does not open)."""
        ...

    def unseal(self, kid: str, stored: str) -> bytes:
        """The raw key; ValueError when this KEK does not open it."""
        ...


class FileKek:
    """A KEK read from a file (base64 of 32 random bytes, see core/keywrap.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key = keywrap.read_key_file(path)

    @property
    def where(self) -> str:
        return f"file {self.path}"

    def seal(self, kid: str, raw: bytes) -> str:
        return keywrap.seal(self._key, kid, raw)

    def unseal(self, kid: str, stored: str) -> bytes:
        return keywrap.unseal(self._key, kid, stored)


def default_kek_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "handsetguard" / "server.kek"


def configured_kek(path: str | None, *, create: bool = False) -> tuple[FileKek | None, bool]:
    """The KEK of the settings: ``path`` when given, else the default file when it exists
    (or, with ``create``, after creating it). Returns the KEK (None when there is none) and
    whether it was created now. Raises :class:`keywrap.KeyFileError` naming the file."""
    if path:
        return FileKek(Path(path)), False
    default = default_kek_path()
    if default.exists():
        return FileKek(default), False
    if not create:
        return None, False
    try:
        default.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise keywrap.KeyFileError(
            f"{default.parent}: cannot create the folder ({exc.strerror})"
        ) from None
    keywrap.new_key_file(default)
    return FileKek(default), True
