"""The project's exception tree: one root with a user-facing message, one base per subsystem.

Third-party exceptions (zipfile, OSError, json, …) are translated into these at the boundary
where they occur; nothing else escapes the library (a test pins this).
"""

from __future__ import annotations

__all__ = [
    "HandsetGuardError",
    "ParseError",
    "PolicyError",
    "SourceError",
    "UsageError",
]


class HandsetGuardError(Exception):
    """Root of every error the library raises on purpose.

    ``message`` is one line naming what was wrong (file, section, device); ``remediation`` says
    what the user can do about it, when there is something to say.
    """

    def __init__(self, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation

    def __str__(self) -> str:
        return self.message


class SourceError(HandsetGuardError):
    """An input could not be opened or read (missing file, corrupt zip, zip bomb, unknown kind)."""


class ParseError(HandsetGuardError):
    """A section's text could not be parsed into records."""


class PolicyError(HandsetGuardError):
    """A policy profile is missing or malformed."""


class UsageError(HandsetGuardError):
    """The caller asked for something that makes no sense (bad date, unknown category, …)."""
