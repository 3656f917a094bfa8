"""Which Android API levels accept a JAR signature's (digest algorithm, signature algorithm)
pair: the platform's PKCS#7 verifier changed with Android 2.3 (API 9), 4.3 (18), 5.0 (21) and
7.0 (24), and a signature Android 4.x cannot check is as good as none on those phones.

The ranges are the facts AOSP apksig records for the platform (``OidConstants``'s supported
signature-algorithm table): a generic key OID (rsaEncryption, id-dsa, id-ecPublicKey) takes
its hash from the digest algorithm; a hash-specific OID whose hash is the digest algorithm's
has its own ranges; a mismatched pair worked only on API 21-23 (one or two on 21 alone).

Which digests of MANIFEST.MF and the .SF files a platform reads changed with Android 4.3 (API
18), as apksig ``V1SchemeVerifier.getDigestsToVerify`` records: before it, the first digest
named by the ``Digest-Algorithms`` attribute (default ``SHA SHA1``: SHA-256 digests alone are
not understood); from it, the strongest of SHA-512, SHA-384, SHA-256 and SHA-1."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping

__all__ = ["SDK_JB_MR2", "manifest_digests", "unsupported_levels"]

Range = tuple[int, int | None]  # inclusive; None: no upper end
ALL: tuple[Range, ...] = ((0, None),)

# Generic key OIDs: hash from the digest algorithm.
_GENERIC: dict[str, dict[str, tuple[Range, ...]]] = {
    "RSA": {
        "md5": ALL,
        "sha1": ALL,
        "sha224": ((0, 8), (21, None)),
        "sha256": ((0, 8), (18, None)),
        "sha384": ((18, None),),
        "sha512": ((18, None),),
    },
    "DSA": {"sha1": ALL, "sha224": ((22, None),), "sha256": ((22, None),)},
    "EC": {
        "sha1": ((18, None),),
        "sha224": ((21, None),),
        "sha256": ((18, None),),
        "sha384": ((18, None),),
        "sha512": ((18, None),),
    },
}
# Hash-specific OIDs whose hash equals the digest algorithm.
_MATCHED: dict[str, dict[str, tuple[Range, ...]]] = {
    "RSA": {
        "md5": ((0, 8), (21, None)),
        "sha1": ALL,
        "sha224": ((0, 8), (21, None)),
        "sha256": ((0, 8), (18, None)),
        "sha384": ((21, None),),
        "sha512": ((21, None),),
    },
    "DSA": {"sha1": ((9, None),), "sha224": ((21, None),), "sha256": ((21, None),)},
    "EC": {
        "sha1": ((18, None),),
        "sha224": ((21, None),),
        "sha256": ((21, None),),
        "sha384": ((21, None),),
        "sha512": ((21, None),),
    },
}
# Mismatched pairs that worked on API 21 only (all other mismatched pairs: 21-23), as
# (key, digest algorithm, the signature OID's hash).
_ONLY_21 = {("RSA", "sha224", "sha256"), ("RSA", "sha256", "sha1"), ("RSA", "sha512", "sha384")}
_SIGNATURE_HASHES = {
    "RSA": {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"},
    "DSA": {"sha1", "sha224", "sha256"},
    "EC": {"sha1", "sha224", "sha256", "sha384", "sha512"},
}


def _supported(key: str, digest: str, signature_hash: str | None) -> tuple[Range, ...]:
    if signature_hash is None:
        return _GENERIC.get(key, {}).get(digest, ())
    if signature_hash == digest:
        return _MATCHED.get(key, {}).get(digest, ())
    if signature_hash not in _SIGNATURE_HASHES.get(key, set()):
        return ()
    if (key, digest, signature_hash) in _ONLY_21:
        return ((21, 21),)
    return ((21, 23),)


def unsupported_levels(
    key: str, digest: str, signature_hash: str | None, min_sdk: int, max_sdk: int
) -> list[Range]:
    """The API levels within [min_sdk, max_sdk] on which the pair does not verify, as
    inclusive ranges (empty when every level accepts it)."""
    supported = sorted(_supported(key, digest, signature_hash))
    gaps: list[Range] = []
    level = min_sdk
    for low, high in supported:
        if level > max_sdk:
            break
        if high is not None and high < level:
            continue
        if low > level:
            gaps.append((level, min(low - 1, max_sdk)))
        if high is None:
            return gaps
        level = max(level, high + 1)
    if level <= max_sdk:
        gaps.append((level, max_sdk if max_sdk < 0x7FFFFFFF else None))
    return gaps


SDK_JB_MR2 = 18
"""Android 4.3: the first level that picks the strongest digest of a manifest section."""
# A Digest-Algorithms token as platforms before API 18 map it: (hash, first level it works on).
_OLD_TOKENS = {
    "MD5": ("md5", 0),
    "SHA": ("sha1", 0),
    "SHA1": ("sha1", 0),
    "SHA-1": ("sha1", 0),
    "SHA-256": ("sha256", 0),
    "SHA-384": ("sha384", 9),
    "SHA-512": ("sha512", 9),
}
# From API 18, strongest first, as the attribute names spell them (SHA-1 is "SHA1-").
_NEW_NAMES = (("SHA-512", "sha512"), ("SHA-384", "sha384"), ("SHA-256", "sha256"), ("SHA1", "sha1"))


def _decoded(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""  # matches no digest


@functools.lru_cache(maxsize=64)  # the attribute is the APK's: bounded
def _old_names(tokens: str, suffix: str, min_sdk: int) -> tuple[tuple[str, str], ...]:
    """(attribute name, hash) a platform before API 18 tries, in the order it tries them."""
    found = []
    for token in tokens.split():
        known = _OLD_TOKENS.get(token.upper())
        if known is not None and known[1] <= min_sdk:
            found.append((f"{token}{suffix}".lower(), known[0]))
    return tuple(found)


@functools.cache
def _new_names(suffix: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{name}{suffix}".lower(), algorithm) for name, algorithm in _NEW_NAMES)


def manifest_digests(
    attributes: Mapping[str, str], suffix: str, min_sdk: int
) -> list[tuple[str, bytes]]:
    """The (hash, expected digest) pairs of a manifest or .SF section (attribute names case-
    folded) that every API level from ``min_sdk`` up checks, for attributes ``<ALG><suffix>``;
    empty when some of those levels find none they understand."""
    found: list[tuple[str, bytes]] = []
    if min_sdk < SDK_JB_MR2:
        tokens = attributes.get("digest-algorithms", "SHA SHA1")
        for name, algorithm in _old_names(tokens, suffix, min(min_sdk, 9)):
            value = attributes.get(name)
            if value is not None:
                found.append((algorithm, _decoded(value)))
                break
        if not found:
            return found
    for name, algorithm in _new_names(suffix):
        value = attributes.get(name)
        if value is not None:
            digest = _decoded(value)
            if (algorithm, digest) not in found:
                found.append((algorithm, digest))
            break
    return found
