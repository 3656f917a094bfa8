"""APK Signature Schemes v2, v3 and v3.1 verified as the platform does (rules learnt from AOSP
apksig ``V2SchemeVerifier``, ``V3SchemeVerifier`` and ``ApkSigningBlockUtils``): per signer,
the strongest supported signature over its signed data, the first certificate's key equal to
the signer's key, digests listed for exactly the algorithms signed, then the content digests
over the file; v3 adds SDK ranges that must match and cover, and a proof-of-rotation lineage.
"""

from __future__ import annotations

import struct

from handsetguard.apk.algorithms import (
    ALGORITHMS,
    CERTIFICATE_ERRORS,
    Algorithm,
    ContentDigest,
    load_public_key,
    verify_signature,
)
from handsetguard.apk.signing_block import (
    V2_ID,
    V3_ID,
    V31_ID,
    SigningBlock,
    chunked_digest,
    verity_digest,
)
from handsetguard.apk.zip import Container
from handsetguard.records import field, record

__all__ = ["MAX_SDK", "SchemeResult", "SchemeSigner", "spki", "verify_scheme"]

MAX_SDK = 0x7FFFFFFF
SDK_N, SDK_P, SDK_T = 24, 28, 33
STRIPPING_PROTECTION_ATTR = 0xBEEFF00D
PROOF_OF_ROTATION_ATTR = 0x3BA06F8C
ROTATION_MIN_SDK_ATTR = 0x559F8B02
ROTATION_ON_DEV_RELEASE_ATTR = 0xC2A6B3BA
SCHEME_NAMES = {V2_ID: "v2", V3_ID: "v3", V31_ID: "v3.1"}
SCHEME_IDS = {2: "v2", 3: "v3"}


class _Malformed(Exception):
    pass


class _Reader:
    """Length-prefixed (uint32) values of a v2/v3 block, every length checked."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def left(self) -> bool:
        return self.at < len(self.data)

    def u32(self) -> int:
        if self.at + 4 > len(self.data):
            raise _Malformed("truncated value")
        (value,) = struct.unpack_from("<I", self.data, self.at)
        self.at += 4
        return int(value)

    def prefixed(self) -> bytes:
        length = self.u32()
        if self.at + length > len(self.data):
            raise _Malformed(f"length {length} runs past its record")
        self.at += length
        return self.data[self.at - length : self.at]

    def sequence(self) -> list[_Reader]:
        items = []
        inner = _Reader(self.prefixed())
        while inner.left():
            items.append(_Reader(inner.prefixed()))
        return items


@record
class SchemeSigner:
    """One verified (or failed) signer: certificates as DER, first is the signer's."""

    certificates: tuple[bytes, ...]
    min_sdk: int
    max_sdk: int
    algorithms: tuple[str, ...]
    lineage: tuple[bytes, ...] = ()
    errors: tuple[str, ...] = ()


@record
class SchemeResult:
    scheme: str
    verified: bool
    signers: tuple[SchemeSigner, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    stripping_claims: frozenset[str] = field(default_factory=frozenset)
    rotation_min_sdk: int | None = None


def verify_scheme(
    container: Container,
    block: SigningBlock,
    block_id: int,
    min_sdk: int,
    max_sdk: int,
    digests: dict[ContentDigest, bytes],
    rotation_min_sdk: int | None = None,
) -> SchemeResult:
    """Verify the block ``block_id`` (which must be present) for API levels [min_sdk, max_sdk];
    ``digests`` caches content digests between schemes; ``rotation_min_sdk`` (from the v3.0
    signer) is where a v3.1 block's range starts."""
    scheme = SCHEME_NAMES[block_id]
    errors: list[str] = []
    warnings: list[str] = []
    signers: list[SchemeSigner] = []
    expected: dict[ContentDigest, bytes] = {}
    claims: set[str] = set()
    rotation: list[int] = []
    try:
        records = _Reader(block.pairs[block_id]).sequence()
    except _Malformed as exc:
        return SchemeResult(scheme, False, (), (f"{scheme}: malformed list of signers ({exc})",))
    if not records:
        return SchemeResult(scheme, False, (), (f"{scheme}: no signers",))
    for number, signer_record in enumerate(records, 1):
        label = f"{scheme} signer #{number}"
        try:
            signer = _signer(
                signer_record,
                block_id,
                label,
                min_sdk,
                max_sdk,
                expected,
                claims,
                rotation,
                warnings,
            )
        except _Malformed as exc:
            errors.append(f"{label}: malformed ({exc})")
            continue
        if signer is not None:
            signers.append(signer)
            errors.extend(signer.errors)
    if block_id != V2_ID and not errors:
        errors.extend(_check_ranges(scheme, signers, block_id, min_sdk, max_sdk, rotation_min_sdk))
    if not errors:
        for kind, value in expected.items():
            if kind not in digests:
                digests[kind] = _content_digest(container, block.offset, kind)
            if digests[kind] != value:
                errors.append(
                    f"{scheme}: APK integrity check failed: {kind.name} digest mismatch "
                    f"(expected {value.hex()}, actual {digests[kind].hex()})"
                )
    return SchemeResult(
        scheme,
        not errors and bool(signers),
        tuple(signers),
        tuple(errors),
        tuple(warnings),
        frozenset(claims),
        rotation[0] if rotation else None,
    )


def _content_digest(container: Container, start: int, kind: ContentDigest) -> bytes:
    if kind is ContentDigest.VERITY_CHUNKED_SHA256:
        return verity_digest(container, start)
    return chunked_digest(container, start, kind.value)


def _best(
    signatures: list[tuple[int, bytes]], min_sdk: int, max_sdk: int
) -> list[tuple[Algorithm, bytes]]:
    """The signatures apksig verifies: known algorithms the range can use, the strongest for
    each first-supporting API level."""
    best: dict[int, tuple[Algorithm, bytes]] = {}
    for algorithm_id, signature in signatures:
        algorithm = ALGORITHMS.get(algorithm_id)
        if algorithm is None or algorithm.min_sdk > max_sdk:
            continue
        level = max(algorithm.min_sdk, min_sdk)
        held = best.get(level)
        if held is None or _strength(algorithm) > _strength(held[0]):
            best[level] = (algorithm, signature)
    return list(best.values())


def _strength(algorithm: Algorithm) -> int:
    return {ContentDigest.CHUNKED_SHA512: 2, ContentDigest.CHUNKED_SHA256: 1}.get(
        algorithm.digest, 0
    )


def _signer(
    record: _Reader,
    block_id: int,
    label: str,
    min_sdk: int,
    max_sdk: int,
    expected: dict[ContentDigest, bytes],
    claims: set[str],
    rotation: list[int],
    warnings: list[str],
) -> SchemeSigner | None:
    # 1. The signer record: signed data, (v3: its SDK range,) signatures, public key.
    signed_data = record.prefixed()
    outer_min, outer_max = (record.u32(), record.u32()) if block_id != V2_ID else (0, MAX_SDK)
    signatures = [(item.u32(), item.prefixed()) for item in record.sequence()]
    public_key_der = record.prefixed()
    if block_id != V2_ID and (outer_max < min_sdk or outer_min > max_sdk):
        return None  # a v3 signer for API levels outside the range is not looked at
    # 2. The strongest supported signature of each kind verifies under the signer's key.
    chosen = _best(signatures, min_sdk, max_sdk)
    errors = _check_signatures(label, signatures, chosen, public_key_der, signed_data)
    # 3. The signed data: digests, certificates, (v3: SDK range,) additional attributes.
    data = _Reader(signed_data)
    listed = [(item.u32(), item.prefixed()) for item in data.sequence()]
    certificates = tuple(item.data for item in data.sequence())
    inner_min, inner_max = (data.u32(), data.u32()) if block_id != V2_ID else (0, MAX_SDK)
    attributes = [(item.u32(), item.data[item.at :]) for item in data.sequence()]
    if not certificates:
        errors.append(f"{label}: no certificates")
    elif spki(certificates[0]) != public_key_der:
        errors.append(f"{label}: public key mismatch between certificate and signature record")
    if [a for a, _ in signatures] != [a for a, _ in listed]:
        errors.append(
            f"{label}: signature algorithms don't match between digests and signatures records"
        )
    if block_id != V2_ID and (inner_min, inner_max) != (outer_min, outer_max):
        errors.append(f"{label}: SDK range differs between signed data and signer record")
    by_id = dict(listed)
    for algorithm, _ in chosen:
        value = by_id.get(algorithm.id)
        if value is not None:
            expected.setdefault(algorithm.digest, value)
    lineage = _attributes(
        attributes, block_id, label, certificates, claims, rotation, warnings, errors
    )
    return SchemeSigner(
        certificates,
        outer_min if block_id != V2_ID else SDK_N,
        outer_max,
        tuple(a.name for a, _ in chosen),
        lineage,
        tuple(errors),
    )


def _check_signatures(
    label: str,
    signatures: list[tuple[int, bytes]],
    chosen: list[tuple[Algorithm, bytes]],
    public_key_der: bytes,
    signed_data: bytes,
) -> list[str]:
    key = load_public_key(public_key_der)
    if not signatures:
        return [f"{label}: no signatures"]
    if not chosen:
        return [f"{label}: no supported signatures"]
    if key is None:
        return [f"{label}: malformed public key"]
    return [
        f"{label}: {algorithm.name} signature over signed-data did not verify"
        for algorithm, signature in chosen
        if not verify_signature(
            key, algorithm.key, algorithm.hash, algorithm.pss_salt, signature, signed_data
        )
    ]


def _attributes(
    attributes: list[tuple[int, bytes]],
    block_id: int,
    label: str,
    certificates: tuple[bytes, ...],
    claims: set[str],
    rotation: list[int],
    warnings: list[str],
    errors: list[str],
) -> tuple[bytes, ...]:
    lineage: tuple[bytes, ...] = ()
    for attr_id, value in attributes:
        if block_id == V2_ID and attr_id == STRIPPING_PROTECTION_ATTR and len(value) >= 4:
            claims.add(SCHEME_IDS.get(struct.unpack_from("<I", value)[0], "unknown"))
        elif block_id != V2_ID and attr_id == PROOF_OF_ROTATION_ATTR:
            try:
                lineage = _lineage(value, label, errors)
            except _Malformed as exc:
                errors.append(f"{label}: malformed proof-of-rotation ({exc})")
            if lineage and certificates and lineage[-1] != certificates[0]:
                errors.append(f"{label}: lineage's last certificate is not the signer's")
        elif block_id == V3_ID and attr_id == ROTATION_MIN_SDK_ATTR and len(value) >= 4:
            rotation.append(struct.unpack_from("<I", value)[0])
        elif attr_id != ROTATION_ON_DEV_RELEASE_ATTR:
            warnings.append(f"{label}: unknown additional attribute 0x{attr_id:08x}")
    return lineage


def _lineage(value: bytes, label: str, errors: list[str]) -> tuple[bytes, ...]:
    """The proof-of-rotation certificates, oldest first. Each node holds signed data (its
    certificate and the algorithm its parent signed it with), flags, the algorithm it signs
    its child with, and its parent's signature; the first node has no parent."""
    rest = _Reader(value)
    rest.u32()  # version
    certs: list[bytes] = []
    parent_key = None
    parent_algorithm = 0
    while rest.left():
        node = _Reader(rest.prefixed())
        signed = node.prefixed()
        inner = _Reader(signed)
        cert = inner.prefixed()
        signed_with = inner.u32()
        node.u32()  # flags (what the older key is still trusted for)
        child_algorithm = node.u32()
        signature = node.prefixed()
        if certs:
            algorithm = ALGORITHMS.get(signed_with)
            if algorithm is None or signed_with != parent_algorithm:
                errors.append(
                    f"{label}: lineage node #{len(certs) + 1}: signing algorithm mismatch"
                )
            elif parent_key is None or not verify_signature(
                parent_key, algorithm.key, algorithm.hash, algorithm.pss_salt, signature, signed
            ):
                errors.append(f"{label}: lineage node #{len(certs) + 1}: signature did not verify")
        parent_key = load_public_key(spki(cert) or b"")
        parent_algorithm = child_algorithm
        certs.append(cert)
    return tuple(certs)


def spki(certificate: bytes) -> bytes | None:
    """The SubjectPublicKeyInfo of a DER certificate, or ``None`` when it is unreadable."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        key = x509.load_der_x509_certificate(certificate).public_key()
    except CERTIFICATE_ERRORS:
        return None
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_ranges(
    scheme: str,
    signers: list[SchemeSigner],
    block_id: int,
    min_sdk: int,
    max_sdk: int,
    rotation_min_sdk: int | None,
) -> list[str]:
    """v3 signers' SDK ranges must not overlap and must cover the levels this block serves:
    v3.1 from the rotation level up; v3.0 from P (or min) up to below it (or to the max)."""
    if block_id == V31_ID:
        low, high = max(min_sdk, rotation_min_sdk or SDK_T), max_sdk
    else:
        low = max(min_sdk, SDK_P)
        high = max_sdk if rotation_min_sdk is None else min(max_sdk, rotation_min_sdk - 1)
    if low > high:
        return []
    ordered = sorted(signers, key=lambda s: s.min_sdk)
    reached = low - 1
    for signer in ordered:
        if signer.min_sdk <= reached and reached >= low:
            return [f"{scheme}: signers' SDK ranges overlap at {signer.min_sdk}"]
        if signer.min_sdk > reached + 1:
            break
        reached = max(reached, signer.max_sdk)
    if reached < high:
        return [f"{scheme}: no signer for API levels {reached + 1}..{high}"]
    return []
