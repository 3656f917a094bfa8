"""The APK Signing Block (between the entries and the central directory) and the digests the
v2/v3 schemes compute over the three sections of the file it protects.

Layout (https://source.android.com/docs/security/features/apksigning/v2#apk-signing-block):
``uint64 size, (uint64 length, uint32 id, value)*, uint64 size, "APK Sig Block 42"``; the
protected contents are [0, block start), the central directory, and the EOCD with its CD offset
replaced by the block's start, as if the block were absent.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator

from handsetguard.apk.zip import Container, Tampering, TamperingKind
from handsetguard.records import record

__all__ = [
    "KNOWN_BLOCK_IDS",
    "SigningBlock",
    "chunked_digest",
    "find_signing_block",
    "merkle_root",
    "verity_digest",
]

MAGIC = b"APK Sig Block 42"
FOOTER_SIZE = 24
V2_ID = 0x7109871A
V3_ID = 0xF05368C0
V31_ID = 0x1B93AD61
KNOWN_BLOCK_IDS = {
    V2_ID: "apk_signature_scheme_v2",
    V3_ID: "apk_signature_scheme_v3",
    V31_ID: "apk_signature_scheme_v3.1",
    0x42726577: "verity_padding",
    0x2146444E: "google_play_frosting",
    0x6DFF800D: "source_stamp_v2",
    0x2B09189E: "source_stamp_v1",
    0x504B4453: "dependency_info",
    0x71777777: "walle_channel",
}
"""Block ids worth naming (AOSP apksig ApkSigningBlockUtils, SourceStampConstants; Play)."""
CHUNK = 1 << 20
MAX_PAIRS = 4096


@record
class SigningBlock:
    """The block's offset and size and its id → value pairs (first of each id kept)."""

    offset: int
    size: int
    pairs: dict[int, bytes]
    order: tuple[int, ...]


def find_signing_block(container: Container, found: list[Tampering]) -> SigningBlock | None:
    """The APK Signing Block right before the central directory, or ``None`` when there is
    none; a block whose two size fields disagree or whose pairs overrun is a finding and
    ``None`` (the platform then treats the APK as having no v2/v3 signature)."""
    cd = container.cd_offset
    if cd < FOOTER_SIZE:
        return None
    footer = container.read_at(cd - FOOTER_SIZE, FOOTER_SIZE)
    if footer[8:] != MAGIC:
        return None
    (size,) = struct.unpack_from("<Q", footer)
    start = cd - size - 8
    if size < FOOTER_SIZE or start < 0 or size > cd:
        found.append(_bad(f"APK Signing Block size {size} does not fit before the CD"))
        return None
    body = container.read_at(start, size + 8)
    if struct.unpack_from("<Q", body)[0] != size:
        found.append(_bad("APK Signing Block's leading and trailing sizes differ"))
        return None
    pairs: dict[int, bytes] = {}
    order: list[int] = []
    at, end = 8, len(body) - FOOTER_SIZE
    while at < end:
        if at + 12 > end or len(order) >= MAX_PAIRS:
            found.append(_bad("APK Signing Block pair runs past the block"))
            return None
        (length,) = struct.unpack_from("<Q", body, at)
        if length < 4 or at + 8 + length > end:
            found.append(_bad(f"APK Signing Block pair of {length} bytes runs past the block"))
            return None
        (block_id,) = struct.unpack_from("<I", body, at + 8)
        order.append(block_id)
        pairs.setdefault(block_id, body[at + 12 : at + 8 + length])
        at += 8 + length
    return SigningBlock(start, size + 8, pairs, tuple(order))


def _bad(detail: str) -> Tampering:
    return Tampering(TamperingKind.ENTRY_BOUNDS, detail)


def _sections(container: Container, block_start: int) -> Iterator[Iterator[bytes]]:
    """The three protected sections, each as pieces of at most :data:`CHUNK` bytes."""
    yield container.iter_range(0, block_start, CHUNK)
    yield container.iter_range(container.cd_offset, container.cd_offset + container.cd_size, CHUNK)
    eocd = bytearray(
        container.read_at(container.eocd_offset, container.file_size - container.eocd_offset)
    )
    struct.pack_into("<I", eocd, 16, block_start)
    yield iter([bytes(eocd[i : i + CHUNK]) for i in range(0, len(eocd), CHUNK)])


def chunked_digest(container: Container, block_start: int, algorithm: str) -> bytes:
    """CHUNKED_SHA256 / CHUNKED_SHA512: each 1 MiB chunk of each section hashed as
    ``0xa5 || uint32 length || chunk``, then ``0x5a || uint32 count || chunk digests``."""
    digests = bytearray()
    count = 0
    for section in _sections(container, block_start):
        for piece in section:
            chunk = hashlib.new(algorithm, b"\xa5" + struct.pack("<I", len(piece)))
            chunk.update(piece)
            digests += chunk.digest()
            count += 1
    return hashlib.new(algorithm, b"\x5a" + struct.pack("<I", count) + bytes(digests)).digest()


PAGE = 4096
SALT = bytes(8)  # the platform's verity tree is salted with 8 zero bytes (ApkVerityBuilder)


def merkle_root(pieces: Iterable[bytes], salt: bytes = b"") -> bytes:
    """The fs-verity style SHA-256 Merkle tree root over ``pieces`` (4 KiB pages, the last
    one zero-padded; each level's hashes concatenated and padded to whole pages)."""
    level = bytearray()
    pending = bytearray()
    for piece in pieces:
        pending += piece
        whole = len(pending) - len(pending) % PAGE
        for i in range(0, whole, PAGE):
            level += hashlib.sha256(salt + pending[i : i + PAGE]).digest()
        del pending[:whole]
    if pending:
        level += hashlib.sha256(salt + bytes(pending) + bytes(PAGE - len(pending))).digest()
    while len(level) > PAGE:
        padded = bytes(level) + bytes(-len(level) % PAGE)
        level = bytearray(
            b"".join(
                hashlib.sha256(salt + padded[i : i + PAGE]).digest()
                for i in range(0, len(padded), PAGE)
            )
        )
    return hashlib.sha256(salt + bytes(level) + bytes(PAGE - len(level))).digest()


def verity_digest(container: Container, block_start: int) -> bytes:
    """VERITY_CHUNKED_SHA256: the Merkle tree root over the protected contents (salted with
    8 zero bytes, as the platform's ApkVerityBuilder does), then their length as uint64."""
    total = block_start + container.cd_size + (container.file_size - container.eocd_offset)
    pieces = (piece for section in _sections(container, block_start) for piece in section)
    return merkle_root(pieces, SALT) + struct.pack("<Q", total)
