"""Bounded input: reading a whole file with a size bound, and parsing JSON with a depth and a
size-of-result bound, so no input can make us read, recurse or allocate without limit; the
caller chooses which of the project's errors a failure becomes."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from handsetguard.errors import HandsetGuardError
from handsetguard.lazyre import lazy_compile

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_JSON_VALUES",
    "check_json",
    "iter_bounded",
    "loads_bounded",
    "read_bounded",
]

MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a JSON side file. AndroidQF and snapshot
documents nest at most 4 deep; Python's json module recurses once per level (a RecursionError
near 1,000), so the depth is checked on the text before json sees it."""

MAX_JSON_VALUES = 1_000_000
"""Upper bound on the values of one JSON document (counted as commas plus openings: an
over-count). Each value becomes a Python object of 28–230 bytes, so without this a 64 MiB
``[[],[],…]`` would cost gigabytes; a busy phone's packages.json has well under 100,000."""


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def _open_regular(
    path: Path,
    limit: int,
    error: type[HandsetGuardError],
    remediation: str | None,
    follow_symlinks: bool,
) -> tuple[int, int]:
    """An open descriptor of the regular file ``path`` and its size, checked against ``limit``."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        if path.is_symlink():
            raise error(f"{path}: a symbolic link; not followed")
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, flags)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise error(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file (a FIFO, socket or device?)")
        if info.st_size > limit:
            raise error(
                f"{path}: larger than {_size(limit)}; refusing to read it",
                remediation=remediation,
            )
    except OSError as exc:
        os.close(fd)
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except HandsetGuardError:
        os.close(fd)
        raise
    return fd, info.st_size


def read_bounded(
    path: Path,
    limit: int,
    error: type[HandsetGuardError],
    remediation: str | None = None,
    *,
    follow_symlinks: bool = True,
) -> bytes:
    """The file's bytes; ``error`` naming the file when it cannot be read, is not a regular
    file (a FIFO or device would block or never end; refused before a byte is read) or exceeds
    ``limit`` (judged from its size first; at most ``limit + 1`` bytes are ever read).

    With ``follow_symlinks=False`` a symbolic link is refused (O_NOFOLLOW, so the check cannot
    be raced): what a folder of evidence holds is read, never what it points at.
    """
    fd, size = _open_regular(path, limit, error, remediation, follow_symlinks)
    try:
        data = _read_up_to(fd, limit + 1, size)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(
            f"{path}: larger than {_size(limit)}; refusing to read it", remediation=remediation
        )
    return data


def iter_bounded(
    path: Path,
    limit: int,
    error: type[HandsetGuardError],
    remediation: str | None = None,
    *,
    follow_symlinks: bool = True,
    chunk: int = 256 * 1024,
) -> Iterator[bytes]:
    """:func:`read_bounded` in chunks of at most ``chunk`` bytes, for a reader that needs the
    text only once: the same checks (made before the first chunk is yielded), the same
    ``error`` once more than ``limit`` bytes have come."""
    fd, _ = _open_regular(path, limit, error, remediation, follow_symlinks)
    try:
        total = 0
        while True:
            try:
                data = os.read(fd, chunk)
            except OSError as exc:
                raise error(f"{path}: cannot read ({exc.strerror or exc})") from exc
            if not data:
                return
            total += len(data)
            if total > limit:
                raise error(
                    f"{path}: larger than {_size(limit)}; refusing to read it",
                    remediation=remediation,
                )
            yield data
    finally:
        os.close(fd)


def _read_up_to(fd: int, most: int, hint: int) -> bytes:
    """At most ``most`` bytes, in one read when the file's size is known (no copy)."""
    first = os.read(fd, max(hint + 1, 1) if hint < most else most)
    if len(first) <= hint:  # the whole file, as its size said
        return first
    parts = [first]
    total = len(first)
    while total < most and (chunk := os.read(fd, min(4 * 1024 * 1024, most - total))):
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


# A JSON string, or a run of openings or of closings: all the depth scan needs to see.
_STRING = lazy_compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_RUNS = lazy_compile(r"[\[{]+|[\]}]+")
_STRING_B = lazy_compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_RUNS_B = lazy_compile(rb"[\[{]+|[\]}]+")


def _steps(text: str | bytes | bytearray) -> Iterator[int]:
    """The signed size of each run of openings (+) or closings (-) outside strings."""
    if isinstance(text, str):
        for run in _RUNS.finditer(_STRING.sub("", text)):
            yield len(run.group()) if run.group()[0] in "[{" else -len(run.group())
    else:
        for brun in _RUNS_B.finditer(_STRING_B.sub(b"", text)):
            yield len(brun.group()) if brun.group()[0] in b"[{" else -len(brun.group())


def check_json(text: str | bytes | bytearray, where: str, error: type[HandsetGuardError]) -> None:
    """Raise ``error`` when ``text`` nests deeper than MAX_JSON_DEPTH or could hold more than
    MAX_JSON_VALUES values. Linear and in C for ordinary documents: the depth is scanned only
    when there are more openings than the depth limit, and then only outside strings (at most
    MAX_JSON_VALUES openings are left, so at most twice that many runs)."""
    if isinstance(text, str):
        opens = text.count("[") + text.count("{")
        values = opens + text.count(",")
    else:
        opens = text.count(b"[") + text.count(b"{")
        values = opens + text.count(b",")
    if values > MAX_JSON_VALUES:
        raise error(
            f"{where}: JSON with more than {MAX_JSON_VALUES:,} values; refusing to parse it"
        )
    if opens <= MAX_JSON_DEPTH:
        return
    depth = 0
    for step in _steps(text):
        depth += step
        if depth > MAX_JSON_DEPTH:
            raise error(
                f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels; refusing to parse it"
            )


def loads_bounded(
    text: str | bytes | bytearray, where: str, error: type[HandsetGuardError]
) -> object:
    """``json.loads`` after :func:`check_json`; invalid JSON is ``error`` naming ``where``."""
    check_json(text, where, error)
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        # ValueError covers JSONDecodeError; RecursionError cannot happen after check_json.
        raise error(f"{where}: not valid JSON ({exc})") from exc
