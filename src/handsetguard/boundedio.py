"""Reading a whole file with a size bound, so no input can make us read without limit; the
caller chooses which of the project's errors a failure becomes."""

from __future__ import annotations

import stat
from pathlib import Path

from handsetguard.errors import HandsetGuardError

__all__ = ["read_bounded"]


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def read_bounded(
    path: Path, limit: int, error: type[HandsetGuardError], remediation: str | None = None
) -> bytes:
    """The file's bytes; ``error`` naming the file when it cannot be read, is not a regular
    file (a FIFO or device would block or never end) or exceeds ``limit`` (judged from its
    size first; at most ``limit + 1`` bytes are ever read)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file")
        if info.st_size > limit:
            raise error(
                f"{path}: larger than {_size(limit)}; refusing to read it", remediation=remediation
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise error(
            f"{path}: larger than {_size(limit)}; refusing to read it", remediation=remediation
        )
    return data
