"""Class names straight from a DEX file's type table (no disassembly): each ``type_ids`` entry
names a string whose text is a type descriptor; ``Lcom/example/Foo;`` is the class
``com.example.Foo``. Every offset is checked against the file; a DEX that does not check out
yields what it has and a note. Format: https://source.android.com/docs/core/runtime/dex-format
"""

from __future__ import annotations

import struct

__all__ = ["MAX_TYPES", "class_names"]

MAX_TYPES = 1 << 20
"""More type ids than this in one DEX is refused (the format caps method refs at 65,536)."""
_HEADER = 0x70


def _uleb128(data: bytes, at: int) -> int:
    """The offset just after the ULEB128 at ``at`` (its value is not needed)."""
    for step in range(5):
        if at + step >= len(data) or not data[at + step] & 0x80:
            return at + step + 1
    return at + 5


def class_names(data: bytes, notes: list[str], where: str) -> list[str]:
    """The classes (and class types referenced) in one DEX file, dotted, in table order."""
    if len(data) < _HEADER or not data.startswith(b"dex\n"):
        notes.append(f"{where}: not a DEX file")
        return []
    string_count, string_off, type_count, type_off = struct.unpack_from("<IIII", data, 0x38)
    if type_count > MAX_TYPES or type_off + 4 * type_count > len(data):
        notes.append(f"{where}: type table outside the file")
        return []
    if string_off + 4 * string_count > len(data):
        notes.append(f"{where}: string table outside the file")
        return []
    names: list[str] = []
    bad = 0
    for (index,) in struct.iter_unpack("<I", data[type_off : type_off + 4 * type_count]):
        if index >= string_count:
            bad += 1
            continue
        (offset,) = struct.unpack_from("<I", data, string_off + 4 * index)
        if offset >= len(data):
            bad += 1
            continue
        start = _uleb128(data, offset)
        end = data.find(b"\x00", start)
        if end < 0:
            bad += 1
            continue
        descriptor = data[start:end]
        if descriptor[:1] == b"L" and descriptor[-1:] == b";":
            # MUTF-8 differs from UTF-8 only for NUL and supplementary characters: "replace".
            names.append(descriptor[1:-1].decode("utf-8", "replace").replace("/", "."))
    if bad:
        notes.append(f"{where}: {bad} type ids point outside the string table")
    return names
