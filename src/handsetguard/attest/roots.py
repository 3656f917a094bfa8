"""Trust anchors: the public keys (SPKI) a chain must end at, bundled or loaded from a file.

Anchors are matched by SubjectPublicKeyInfo, never by certificate bytes: Google re-issued its
RSA root (2016, 2019, 2021, 2022) with one key, and chains in the field end in every issue.
The bundled set (``handsetguard/data/attestation_roots.json``) holds Google's RSA-4096 root and
the 2025 P-384 "Key Attestation CA1" root. It also names keys that are known *not* to be trust
anchors (the AOSP software-attestation roots) so a verdict can say precisely why it failed.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
)

from handsetguard.attest.errors import ChainInputError, TrustStoreError
from handsetguard.attest.inputs import MAX_INPUT_BYTES, pem_blocks

__all__ = [
    "ROOTS_SCHEMA",
    "KnownRoot",
    "RootKind",
    "TrustStore",
    "TrustedRoot",
    "spki_of",
]

ROOTS_SCHEMA = "handsetguard.attest.roots/1"
_BUNDLED = "data/attestation_roots.json"
_MAX_ROOTS = 64


class RootKind(enum.Enum):
    BUNDLED = "bundled"
    """Shipped with HandsetGuard (Google's roots)."""
    FILE = "file"
    """Loaded from a roots file that replaced the bundled set."""
    UNSAFE_EXTRA = "unsafe-extra"
    """Added through an explicitly unsafe option (test roots): never for production."""


def spki_of(certificate: x509.Certificate) -> bytes:
    """The DER SubjectPublicKeyInfo of a certificate."""
    return certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True, slots=True)
class TrustedRoot:
    """A trust anchor: a public key, and the subject name chains name as issuer when known."""

    name: str
    spki: bytes
    subject: bytes | None
    kind: RootKind
    spki_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spki_sha256", hashlib.sha256(self.spki).hexdigest())

    @property
    def unsafe(self) -> bool:
        return self.kind is RootKind.UNSAFE_EXTRA


@dataclass(frozen=True, slots=True)
class KnownRoot:
    """A key known not to be a trust anchor, with the reason (``software``)."""

    name: str
    spki_sha256: str
    reason: str


class TrustStore:
    """The set of trust anchors, looked up by SPKI digest and by subject name."""

    def __init__(self, roots: Iterable[TrustedRoot], untrusted: Iterable[KnownRoot] = ()) -> None:
        self.roots = tuple(roots)
        if not self.roots:
            raise TrustStoreError("no trust anchor given: a trust store needs at least one root")
        self.untrusted = tuple(untrusted)
        self._by_spki = {root.spki_sha256: root for root in self.roots}
        self._untrusted = {known.spki_sha256: known for known in self.untrusted}
        self._keys: dict[str, Any] = {}

    @classmethod
    def bundled(cls) -> TrustStore:
        """Google's roots as shipped in ``handsetguard/data/attestation_roots.json``."""
        return cls(*_bundled())

    @classmethod
    def from_file(cls, path: str | Path) -> TrustStore:
        """Replace the bundled roots by those in ``path`` (see :func:`load_roots`)."""
        roots, untrusted = load_roots(path, RootKind.FILE)
        return cls(roots, untrusted or cls.bundled().untrusted)

    def with_unsafe_roots(self, roots: Iterable[TrustedRoot]) -> TrustStore:
        """A copy that also trusts ``roots``, marked unsafe. For test chains only: a verdict
        that rests on such a root says so."""
        extra = [
            TrustedRoot(r.name, r.spki, r.subject, RootKind.UNSAFE_EXTRA)
            for r in roots
            if r.spki_sha256 not in self._by_spki
        ]
        return TrustStore((*self.roots, *extra), self.untrusted)

    def by_spki(self, spki: bytes) -> TrustedRoot | None:
        return self._by_spki.get(hashlib.sha256(spki).hexdigest())

    def known_untrusted(self, spki: bytes) -> KnownRoot | None:
        return self._untrusted.get(hashlib.sha256(spki).hexdigest())

    def for_issuer(self, issuer: bytes) -> tuple[TrustedRoot, ...]:
        """Roots that may have issued a certificate naming ``issuer`` (DER Name): same subject,
        or a key-only root (no subject known)."""
        return tuple(r for r in self.roots if r.subject is None or r.subject == issuer)

    def public_key(self, root: TrustedRoot) -> Any:
        key = self._keys.get(root.spki_sha256)
        if key is None:
            key = self._keys[root.spki_sha256] = load_der_public_key(root.spki)
        return key


@cache
def _bundled() -> tuple[list[TrustedRoot], list[KnownRoot]]:
    text = resources.files("handsetguard").joinpath(_BUNDLED).read_bytes()
    return _from_json(json.loads(text), "bundled roots", RootKind.BUNDLED)


def load_roots(path: str | Path, kind: RootKind) -> tuple[list[TrustedRoot], list[KnownRoot]]:
    """Roots from a file: HandsetGuard's roots JSON, a JSON array of PEM certificates (as in
    android/keyattestation's ``roots.json``), PEM ``CERTIFICATE``/``PUBLIC KEY`` blocks, or one
    DER certificate."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrustStoreError(f"{path}: cannot read roots ({exc.strerror or exc})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise TrustStoreError(f"{path}: roots file over {MAX_INPUT_BYTES} bytes")
    stripped = data.strip()
    try:
        if stripped[:1] in (b"{", b"["):
            document = json.loads(stripped)
            if isinstance(document, list):
                pem = "\n".join(item for item in document if isinstance(item, str)).encode()
                return _from_pem(pem, str(path), kind), []
            return _from_json(document, str(path), kind)
        if b"-----BEGIN" in stripped:
            return _from_pem(stripped, str(path), kind), []
        return [_from_certificate(x509.load_der_x509_certificate(data), path.name, kind)], []
    except (ValueError, TypeError, KeyError, ChainInputError, binascii.Error) as exc:
        raise TrustStoreError(
            f"{path}: not a roots file ({getattr(exc, 'message', exc)})",
            remediation="give PEM certificates or public keys, a DER certificate, "
            "or a JSON file in HandsetGuard's roots format",
        ) from None


def _from_certificate(cert: x509.Certificate, name: str, kind: RootKind) -> TrustedRoot:
    return TrustedRoot(name, spki_of(cert), cert.subject.public_bytes(), kind)


def _from_pem(data: bytes, source: str, kind: RootKind) -> list[TrustedRoot]:
    roots = []
    for index, (label, der) in enumerate(pem_blocks(data, source, limit=_MAX_ROOTS)):
        name = f"{Path(source).name}#{index}"
        if label == "CERTIFICATE":
            roots.append(_from_certificate(x509.load_der_x509_certificate(der), name, kind))
        elif label == "PUBLIC KEY":
            key = load_der_public_key(der)
            spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            roots.append(TrustedRoot(name, spki, None, kind))
        else:
            raise ValueError(f"PEM block {index + 1} is {label!r}")
    return roots


def _from_json(
    document: Any, source: str, kind: RootKind
) -> tuple[list[TrustedRoot], list[KnownRoot]]:
    if not isinstance(document, dict) or document.get("schema") != ROOTS_SCHEMA:
        raise TrustStoreError(f"{source}: expected a JSON object with schema {ROOTS_SCHEMA!r}")
    roots = []
    for entry in document.get("trusted", [])[:_MAX_ROOTS]:
        spki = base64.b64decode(entry["spki"], validate=True)
        load_der_public_key(spki)  # refuse a key cryptography cannot use
        subject = (
            base64.b64decode(entry["subject"], validate=True) if entry.get("subject") else None
        )
        root = TrustedRoot(str(entry["name"]), spki, subject, kind)
        if entry.get("spki_sha256", root.spki_sha256) != root.spki_sha256:
            raise TrustStoreError(f"{source}: root {root.name}: spki_sha256 does not match spki")
        roots.append(root)
    untrusted = [
        KnownRoot(str(e["name"]), str(e["spki_sha256"]).lower(), str(e.get("reason", "untrusted")))
        for e in document.get("untrusted", [])[:_MAX_ROOTS]
    ]
    return roots, untrusted
