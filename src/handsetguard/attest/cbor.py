"""A tiny, bounded CBOR (RFC 8949) reader: just enough to open a WebAuthn attestation object
and the RKP provisioning-info map. Definite lengths only; no tags or floats; depth and item
count are capped so hostile input costs bounded time and memory."""

from __future__ import annotations

from typing import TypeAlias

from handsetguard.attest.errors import ChainInputError

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "CborKey", "CborValue", "decode_cbor", "decode_cbor_prefix"]

MAX_DEPTH = 16
MAX_ITEMS = 10_000

CborKey: TypeAlias = int | bytes | str | bool | None
CborValue: TypeAlias = (
    int | bytes | str | bool | None | list["CborValue"] | dict[CborKey, "CborValue"]
)

_SIMPLE = {20: False, 21: True, 22: None}


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.items = 0
        self.what = what

    def fail(self, why: str) -> ChainInputError:
        return ChainInputError(f"{self.what}: invalid CBOR at byte {self.pos}: {why}")

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if count < 0 or end > len(self.data):
            raise self.fail(f"length {count} runs past the end of the data")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def argument(self, info: int) -> int:
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            return int.from_bytes(self.take(1 << (info - 24)), "big")
        raise self.fail("indefinite or reserved length")

    def item(self, depth: int) -> CborValue:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH}")
        self.items += 1
        if self.items > MAX_ITEMS:
            raise self.fail(f"more than {MAX_ITEMS} items")
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            if info in _SIMPLE:
                return _SIMPLE[info]
            raise self.fail("floats and other simple values are not supported")
        value = self.argument(info)
        if major == 0:
            return value
        if major == 1:
            return -1 - value
        if major == 2:
            return self.take(value)
        if major == 3:
            try:
                return self.take(value).decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("text string is not UTF-8") from None
        if major == 4:
            return self.array(value, depth)
        if major == 5:
            return self.map(value, depth)
        raise self.fail("tags are not supported")

    def array(self, count: int, depth: int) -> list[CborValue]:
        if count > len(self.data) - self.pos:
            raise self.fail(f"array of {count} items cannot fit in the data")
        return [self.item(depth + 1) for _ in range(count)]

    def map(self, count: int, depth: int) -> dict[CborKey, CborValue]:
        if 2 * count > len(self.data) - self.pos:
            raise self.fail(f"map of {count} entries cannot fit in the data")
        result: dict[CborKey, CborValue] = {}
        for _ in range(count):
            key = self.item(depth + 1)
            if isinstance(key, list | dict):
                raise self.fail("map key is an array or map")
            if key in result:
                raise self.fail(f"duplicate map key {key!r}")
            result[key] = self.item(depth + 1)
        return result


def decode_cbor(data: bytes, what: str = "CBOR data") -> CborValue:
    """Decode exactly one CBOR item; ``what`` names the input in error messages."""
    reader = _Reader(data, what)
    value = reader.item(0)
    if reader.pos != len(data):
        raise reader.fail(f"{len(data) - reader.pos} bytes of trailing data")
    return value


def decode_cbor_prefix(data: bytes, what: str = "CBOR data") -> tuple[CborValue, int]:
    """Decode the CBOR item at the start of ``data``: (value, offset after it)."""
    reader = _Reader(data, what)
    value = reader.item(0)
    return value, reader.pos
