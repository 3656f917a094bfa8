"""The deflate library HandsetGuard inflates and checksums with: zlib-ng (a dependency) when it
is installed — the same API, bytes and errors as the standard library's zlib, its inflate ~2x
and its CRC-32 ~10x faster — else the standard library's zlib. Bugreport zips
(sources/inflate.py), the indicator cache's CRC and the service's gzipped uploads all read
it from here."""

from __future__ import annotations

try:
    from zlib_ng import zlib_ng as zlib
except ImportError:  # pragma: no cover - the standard library's zlib then
    import zlib  # type: ignore[no-redef]

__all__ = ["ZLIB_ERROR", "zlib"]

# zlib-ng's stubs type its error as an instance.
ZLIB_ERROR: type[BaseException] = zlib.error  # type: ignore[assignment]
"""What a damaged stream raises (``zlib.error`` of whichever library is in use)."""
