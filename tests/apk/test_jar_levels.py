"""The API-level table of JAR signature algorithms, where the corpus cannot reach."""

from __future__ import annotations

import pytest

from handsetguard.apk.jar_levels import unsupported_levels

MAX = 0x7FFFFFFF


@pytest.mark.parametrize(
    ("key", "digest", "signature_hash", "low", "gaps"),
    [
        ("RSA", "sha1", None, 1, []),
        ("RSA", "sha256", None, 1, [(9, 17)]),
        ("RSA", "sha256", "sha256", 18, []),
        ("RSA", "md5", "md5", 1, [(9, 20)]),
        ("RSA", "sha384", "sha384", 18, [(18, 20)]),
        ("RSA", "sha256", "sha1", 21, [(22, None)]),  # mismatched: API 21 only
        ("RSA", "md5", "sha256", 21, [(24, None)]),  # mismatched: API 21-23
        ("DSA", "sha1", "sha1", 1, [(1, 8)]),
        ("DSA", "sha256", None, 21, [(21, 21)]),
        ("EC", "sha256", None, 18, []),
        ("EC", "sha256", "sha256", 18, [(18, 20)]),
        ("EC", "md5", None, 24, [(24, None)]),  # never supported
    ],
)
def test_unsupported_levels(
    key: str, digest: str, signature_hash: str | None, low: int, gaps: list[tuple[int, int | None]]
) -> None:
    assert unsupported_levels(key, digest, signature_hash, low, MAX) == gaps
