"""Policies on the attestation challenge: the one the server sent (:class:`ExpectedChallenge`)
or a single-use one from a :class:`NonceStore` (:class:`SingleUseChallenge`), and an
in-process store for tools and tests."""

from __future__ import annotations

import hmac
import secrets
import threading
from datetime import datetime, timedelta
from typing import Protocol

from handsetguard.attest.policy import Attestation
from handsetguard.attest.reasons import Failure, FailureCode

__all__ = ["ExpectedChallenge", "InMemoryNonceStore", "NonceStore", "SingleUseChallenge"]


class ExpectedChallenge:
    """The attestation challenge equals the one the server sent (constant-time compare)."""

    def __init__(self, challenge: bytes) -> None:
        self.challenge = challenge

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        got = attestation.challenge
        if hmac.compare_digest(got, self.challenge):
            return ()
        message = (
            f"attestation challenge {got.hex()[:64]} is not the expected "
            f"{self.challenge.hex()[:64]}"
        )
        return (Failure(FailureCode.CHALLENGE_MISMATCH, message),)

    def describe(self) -> str:
        return f"challenge = {self.challenge.hex()}"


class NonceStore(Protocol):
    def consume(self, challenge: bytes, at: datetime) -> bool:
        """True exactly once for a challenge that was issued and has not expired."""
        ...


class InMemoryNonceStore:
    """Single-use challenges held in this process. Fine for tests and one-process tools; a
    service running several processes needs a shared store (a database row per challenge)."""

    def __init__(self, lifetime: timedelta = timedelta(minutes=5)) -> None:
        self.lifetime = lifetime
        self._issued: dict[bytes, datetime] = {}
        self._lock = threading.Lock()

    def issue(self, at: datetime, size: int = 32) -> bytes:
        """A fresh random challenge, valid from ``at`` for ``lifetime``."""
        challenge = secrets.token_bytes(size)
        self.register(challenge, at)
        return challenge

    def register(self, challenge: bytes, at: datetime) -> None:
        """Remember a challenge handed out at ``at`` by other means."""
        with self._lock:
            self._issued[challenge] = at

    def consume(self, challenge: bytes, at: datetime) -> bool:
        with self._lock:
            issued = self._issued.pop(challenge, None)
        return issued is not None and issued <= at <= issued + self.lifetime


class SingleUseChallenge:
    """The challenge was issued by ``store`` and is used now for the first and last time."""

    def __init__(self, store: NonceStore) -> None:
        self.store = store

    def check(self, attestation: Attestation) -> tuple[Failure, ...]:
        challenge = attestation.challenge
        if self.store.consume(challenge, attestation.at):
            return ()
        message = (
            f"challenge {challenge.hex()[:64]} was not issued, has expired or was already used"
        )
        return (Failure(FailureCode.CHALLENGE_NOT_ISSUED, message),)

    def describe(self) -> str:
        return "single-use challenge"
