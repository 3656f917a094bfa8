"""The APK subsystem's errors: a file that cannot be read as an APK at all (exit 2), as
opposed to an APK whose signature does not verify (a verdict, not an error)."""

from __future__ import annotations

from handsetguard.errors import SourceError

__all__ = ["ApkFormatError"]


class ApkFormatError(SourceError):
    """The file is not a ZIP archive Android could open (no end of central directory, a
    central directory outside the file, ZIP64, 0 bytes, unreadable)."""
