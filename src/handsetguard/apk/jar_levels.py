"""Which Android API levels accept a JAR signature's (digest algorithm, signature algorithm)
pair: the platform's PKCS#7 verifier changed with Android 2.3 (API 9), 4.3 (18), 5.0 (21) and
7.0 (24), and a signature Android 4.x cannot check is as good as none on those phones.

The ranges are the facts AOSP apksig records for the platform (``OidConstants``'s supported
signature-algorithm table): a generic key OID (rsaEncryption, id-dsa, id-ecPublicKey) takes
its hash from the digest algorithm; a hash-specific OID whose hash is the digest algorithm's
has its own ranges; a mismatched pair worked only on API 21-23 (one or two on 21 alone)."""

from __future__ import annotations

__all__ = ["unsupported_levels"]

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
