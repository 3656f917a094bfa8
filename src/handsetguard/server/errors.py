"""The service's exceptions: one base under the project root, each carrying a stable reason
code (machine-readable, part of the API contract) and the HTTP status it maps to."""

from __future__ import annotations

from typing import Any

from handsetguard.errors import HandsetGuardError

__all__ = [
    "AuthError",
    "ConflictError",
    "ForbiddenError",
    "InvalidInputError",
    "NotFoundError",
    "RateLimitedError",
    "RefusedError",
    "ServiceError",
    "UnavailableError",
]


class ServiceError(HandsetGuardError):
    """Base of every error the licensing service raises on purpose.

    ``code`` is a stable snake_case reason (``territory_not_licensed``, ``quota_exhausted``…);
    clients branch on it, never on ``message``.
    """

    status: int = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        remediation: str | None = None,
    ) -> None:
        super().__init__(message, remediation=remediation)
        self.code = code
        self.details = details or {}


class InvalidInputError(ServiceError):
    """A well-formed request whose values are not acceptable (bad IMEI, unknown country…)."""

    status = 422


class AuthError(ServiceError):
    """Missing, unknown, expired or revoked credential."""

    status = 401


class ForbiddenError(ServiceError):
    """The credential is valid but its role or scope does not allow the action."""

    status = 403


class NotFoundError(ServiceError):
    """The object does not exist, or is not visible to this tenant (same answer on purpose)."""

    status = 404


class ConflictError(ServiceError):
    """The request conflicts with the current state (duplicate device, closed period…)."""

    status = 409


class RefusedError(ServiceError):
    """An activation the licence does not allow (territory, model, term, quota, status)."""

    status = 403


class RateLimitedError(ServiceError):
    status = 429


class UnavailableError(ServiceError):
    """The database cannot be reached or stayed locked; nothing was saved, retry."""

    status = 503
