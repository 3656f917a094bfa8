"""Replace a file whole or not at all: the one way HandsetGuard writes a file it keeps — reports
and diffs (``-o``), snapshot manifests, attestation status lists, the indicator and pattern
caches.

The bytes go to a new temporary file beside the target, made as ``tempfile.mkstemp`` makes one
(a random name, ``O_EXCL | O_NOFOLLOW``, mode 0600: a link planted there is never followed and
nobody else can read a report while it is written), then are synced and renamed over the
target. The target itself must be absent or a regular file: a symbolic link is never written
through and a device node, FIFO, socket or folder never replaced (:class:`UnsafeTarget`), and
it is checked again just before the rename. An existing target keeps its mode. Whatever
fails, the temporary file is removed and the target is as it was. Not ``tempfile`` itself: it
imports random and shutil, ~7-9 M instructions of every ``check -o`` run.
"""

from __future__ import annotations

import os
import stat
from contextlib import suppress

__all__ = ["UnsafeTarget", "replace_file", "target_status"]


class UnsafeTarget(OSError):
    """The target is a symbolic link, or exists and is not a regular file; ``reason`` says
    which, as a phrase to follow the path."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def target_status(path: str | os.PathLike[str]) -> os.stat_result | None:
    """The ``lstat`` of an existing regular file at ``path``, ``None`` when nothing is there;
    :class:`UnsafeTarget` for a link or anything else (other ``OSError`` as ``lstat`` raises
    it)."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(found.st_mode):
        raise UnsafeTarget("is a symbolic link; refusing to write through it")
    if not stat.S_ISREG(found.st_mode):
        raise UnsafeTarget("exists and is not a regular file; refusing to replace it")
    return found


# What tempfile.mkstemp opens with: created here or not at all, never through a link, and
# not inherited by a child process.
_NEW_FILE = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)
_NAME_TRIES = 100


def _private_file(folder: str, prefix: str) -> tuple[int, str]:
    """A new file ``folder/prefix<random>.tmp``, mode 0600 (another random name on a clash):
    its descriptor and path."""
    for _ in range(_NAME_TRIES):
        path = os.path.join(folder, f"{prefix}{os.urandom(8).hex()}.tmp")
        try:
            return os.open(path, _NEW_FILE, 0o600), path
        except FileExistsError:
            continue  # 64 random bits taken already: only a planted name does that
    raise FileExistsError(f"no free temporary name in {folder} after {_NAME_TRIES} tries")


def replace_file(target: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Make ``target`` hold ``data``, whole or not at all (see the module docstring); raises
    ``OSError`` (:class:`UnsafeTarget` for a target that must not be replaced). ``durable``:
    the file and the rename are synced to disk before this returns (a cache, which is rebuilt
    when lost, skips that)."""
    path = os.fspath(target)
    existing = target_status(path)
    folder, name = os.path.split(path)
    folder = folder or os.curdir
    handle, temporary = _private_file(folder, f".{name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if existing is not None:
                os.fchmod(stream.fileno(), stat.S_IMODE(existing.st_mode))
            if durable:
                os.fsync(stream.fileno())
        target_status(path)  # not swapped for a link or a device meanwhile
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; a file system that cannot sync a folder is no error."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
