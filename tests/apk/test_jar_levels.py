"""The API-level table of JAR signature algorithms, where the corpus cannot reach."""

from __future__ import annotations

import base64

import pytest

from handsetguard.apk.jar_levels import manifest_digests, unsupported_levels

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


A, B = base64.b64encode(b"a" * 20).decode(), base64.b64encode(b"b" * 32).decode()


@pytest.mark.parametrize(
    ("attributes", "min_sdk", "expected"),
    [
        ({"sha-256-digest": B}, 17, []),  # before 4.3: SHA-1 unless Digest-Algorithms says
        ({"sha-256-digest": B}, 18, [("sha256", b"b" * 32)]),
        ({"digest-algorithms": "SHA-256", "sha-256-digest": B}, 17, [("sha256", b"b" * 32)]),
        ({"sha1-digest": A, "sha-256-digest": B}, 17, [("sha1", b"a" * 20), ("sha256", b"b" * 32)]),
        ({"sha1-digest": A, "sha-256-digest": B}, 18, [("sha256", b"b" * 32)]),  # the strongest
        ({"sha-digest": A}, 1, [("sha1", b"a" * 20)]),  # "SHA" is SHA-1 to old platforms only
        ({"sha-digest": A}, 18, []),
        ({"md5-digest": A}, 18, []),  # never read from 4.3 on
        ({"digest-algorithms": "MD5", "md5-digest": A}, 17, [("md5", b"a" * 20)]),
        ({"digest-algorithms": "SHA-384", "sha-384-digest": B}, 8, []),  # SHA-384 from API 9
        ({"sha1-digest": "not base64!"}, 18, [("sha1", b"")]),  # present: matches nothing
    ],
)
def test_manifest_digests_per_level(
    attributes: dict[str, str], min_sdk: int, expected: list[tuple[str, bytes]]
) -> None:
    assert manifest_digests(attributes, "-Digest", min_sdk) == expected
