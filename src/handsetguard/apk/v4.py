"""APK Signature Scheme v4: the ``FILE.idsig`` beside an APK (incremental installs), verified as
AOSP apksig ``V4SchemeVerifier`` does: the signature over the signing data (the file's size,
the hashing parameters, the Merkle tree root, the APK digest, the certificate and additional
data) under the certificate's key; the root recomputed over the whole APK; the APK digest
equal to a content digest of the APK's v3 or v2 signature.

Layout (little-endian): ``uint32 version (2)``, ``lp hashing_info {uint32 hash algorithm (1 =
SHA-256), uint8 log2 block size (12), lp salt, lp root hash}``, ``lp signing_info {lp apk
digest, lp certificate, lp additional data, lp public key, uint32 signature algorithm, lp
signature}``, then the Merkle tree; ``lp`` is a uint32 length and that many bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

from handsetguard.apk.algorithms import ALGORITHMS, load_public_key, verify_signature
from handsetguard.apk.signing_block import merkle_root
from handsetguard.apk.v2v3 import spki
from handsetguard.apk.zip import Container
from handsetguard.records import record

__all__ = ["MAX_IDSIG", "V4Result", "verify_v4"]

MAX_IDSIG = 64 << 20
"""Only the signature part is read; the tree after it (1/128 of the APK) is not needed."""
_HEAD = 64 << 10


@record
class V4Result:
    verified: bool
    certificate: bytes | None
    apk_digest: bytes
    errors: tuple[str, ...]


class _Short(Exception):
    pass


def _take(data: bytes, at: int) -> tuple[bytes, int]:
    if at + 4 > len(data):
        raise _Short
    (length,) = struct.unpack_from("<I", data, at)
    if at + 4 + length > len(data):
        raise _Short
    return data[at + 4 : at + 4 + length], at + 4 + length


def verify_v4(container: Container, idsig: Path, content_digests: Iterable[bytes]) -> V4Result:
    """Verify ``idsig`` for ``container``; ``content_digests`` are the digests the v2/v3
    verification computed (the v4 APK digest must be one of them)."""
    try:
        with open(idsig, "rb") as stream:
            data = stream.read(_HEAD)
    except OSError as exc:
        return V4Result(False, None, b"", (f"v4: {idsig}: cannot read ({exc.strerror})",))
    try:
        return _verify(container, data, frozenset(content_digests))
    except _Short:
        return V4Result(False, None, b"", (f"v4: {idsig.name}: truncated or malformed",))


def _verify(container: Container, data: bytes, content_digests: frozenset[bytes]) -> V4Result:
    if len(data) < 4:
        raise _Short
    (version,) = struct.unpack_from("<I", data)
    hashing, at = _take(data, 4)
    signing, _ = _take(data, at)
    if len(hashing) < 5:
        raise _Short
    algorithm_id, log2 = struct.unpack_from("<IB", hashing)
    salt, next_at = _take(hashing, 5)
    root, _ = _take(hashing, next_at)
    apk_digest, at = _take(signing, 0)
    certificate, at = _take(signing, at)
    additional, at = _take(signing, at)
    public_key, at = _take(signing, at)
    if at + 4 > len(signing):
        raise _Short
    (signature_id,) = struct.unpack_from("<I", signing, at)
    signature, _ = _take(signing, at + 4)
    errors: list[str] = []
    if version != 2 or algorithm_id != 1 or log2 != 12:
        errors.append(f"v4: unsupported version {version} / hash {algorithm_id} / block 2^{log2}")
    # 1. The signature over the signing data, under the signer's key.
    signed = struct.pack(
        "<IQIB",
        17
        + sum(4 + len(x) for x in (salt, root))
        + sum(4 + len(x) for x in (apk_digest, certificate, additional)),
        container.file_size,
        algorithm_id,
        log2,
    )
    signed += b"".join(
        struct.pack("<I", len(x)) + x for x in (salt, root, apk_digest, certificate, additional)
    )
    algorithm = ALGORITHMS.get(signature_id)
    key = load_public_key(public_key)
    if algorithm is None or key is None:
        errors.append(f"v4: unsupported signature algorithm 0x{signature_id:04x} or key")
    elif not verify_signature(
        key, algorithm.key, algorithm.hash, algorithm.pss_salt, signature, signed
    ):
        errors.append(f"v4: {algorithm.name} signature did not verify")
    if spki(certificate) != public_key:
        errors.append("v4: public key mismatch between certificate and signature record")
    # 2. The APK digest is one the v2/v3 signature vouches for.
    if apk_digest not in content_digests:
        errors.append("v4: APK digest matches no v2/v3 content digest")
    # 3. The Merkle tree root over the whole file.
    if not errors and merkle_root(container.iter_range(0, container.file_size), salt) != root:
        errors.append("v4: Merkle tree root hash does not match the APK")
    return V4Result(not errors, certificate, apk_digest, tuple(errors))
