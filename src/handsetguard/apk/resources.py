"""resources.arsc, read only as far as the manifest needs: a resource id (``@0x7f030000``) in
an attribute resolved to the boolean, integer or string of its default-configuration entry
(``android:debuggable="@bool/debug"``, a label). Chunks walked by their declared sizes, every
offset checked, references followed at most :data:`MAX_HOPS` times; what cannot be resolved
stays a reference. Format: AOSP frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h
"""

from __future__ import annotations

import struct

from handsetguard.apk.axml import (
    TYPE_BOOLEAN,
    TYPE_REFERENCE,
    TYPE_STRING,
    Element,
    Reference,
    StringPool,
    Value,
)

__all__ = ["MAX_HOPS", "ResourceTable", "resolve_references"]

MAX_HOPS = 8
TABLE, POOL, PACKAGE, TYPE = 0x0002, 0x0001, 0x0200, 0x0201
FLAG_COMPLEX, FLAG_COMPACT = 0x0001, 0x0008
SPARSE, OFFSET16 = 0x01, 0x02
NO_ENTRY = 0xFFFFFFFF


class ResourceTable:
    """The default-configuration entries of each (package, type), found on first use."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.strings: StringPool | None = None
        self.types: dict[tuple[int, int], list[int]] = {}  # (package, type) -> chunk offsets
        try:
            self._index()
        except (struct.error, IndexError):
            self.types = {}

    def _chunks(self, at: int, end: int) -> list[tuple[int, int, int, int]]:
        found = []
        while at + 8 <= end:
            kind, header, size = struct.unpack_from("<HHI", self.data, at)
            if size < 8 or header > size or at + size > end:
                break
            found.append((kind, at, header, size))
            at += size
        return found

    def _index(self) -> None:
        if len(self.data) < 12 or struct.unpack_from("<H", self.data)[0] != TABLE:
            return
        (header,) = struct.unpack_from("<H", self.data, 2)
        for kind, at, package_header, size in self._chunks(header, len(self.data)):
            if kind == POOL and self.strings is None:
                self.strings = StringPool(self.data, at, [])
            elif kind == PACKAGE and package_header >= 0x11C:
                (package_id,) = struct.unpack_from("<I", self.data, at + 8)
                for inner, start, _h, _s in self._chunks(at + package_header, at + size):
                    if inner == TYPE:
                        key = (package_id & 0xFF, self.data[start + 8])
                        self.types.setdefault(key, []).append(start)

    def lookup(self, resource_id: int) -> Value:
        """The value of ``resource_id`` (references followed), or the reference itself."""
        value: Value = Reference(resource_id)
        for _ in range(MAX_HOPS):
            if not isinstance(value, Reference):
                return value
            found = self._entry(value.resource_id)
            if found is None:
                return value
            value = found
        return value

    def _entry(self, resource_id: int) -> Value:
        package, kind, number = resource_id >> 24, (resource_id >> 16) & 0xFF, resource_id & 0xFFFF
        chunks = self.types.get((package, kind), [])
        # The default configuration first (its ResTable_config is all zeros after its size).
        chunks = sorted(chunks, key=lambda at: not self._is_default(at))
        for at in chunks:
            try:
                value = self._value_in(at, number)
            except (struct.error, IndexError):
                continue
            if value is not None:
                return value
        return None

    def _is_default(self, at: int) -> bool:
        if at + 24 > len(self.data):
            return False
        (header,) = struct.unpack_from("<H", self.data, at + 2)
        (config_size,) = struct.unpack_from("<I", self.data, at + 20)
        config = self.data[at + 24 : at + 20 + min(config_size, header - 20)]
        return not any(config)

    def _value_in(self, at: int, number: int) -> Value:
        header, size = struct.unpack_from("<HI", self.data, at + 2)
        flags = self.data[at + 9]
        count, entries_start = struct.unpack_from("<II", self.data, at + 12)
        table = at + header
        offset = self._offset(table, flags, count, number)
        if offset is None:
            return None
        entry = at + entries_start + offset
        if entry + 8 > at + size:
            return None
        entry_size, entry_flags = struct.unpack_from("<HH", self.data, entry)
        if entry_flags & FLAG_COMPACT:
            return self._typed(entry_flags >> 8, struct.unpack_from("<I", self.data, entry + 4)[0])
        if entry_flags & FLAG_COMPLEX:
            return None  # a bag (style, array): not a manifest value
        value_at = entry + entry_size
        _vsize, _res0, vtype, vdata = struct.unpack_from("<HBBI", self.data, value_at)
        return self._typed(vtype, vdata)

    def _offset(self, table: int, flags: int, count: int, number: int) -> int | None:
        if flags & SPARSE:
            for i in range(count):
                index, half = struct.unpack_from("<HH", self.data, table + 4 * i)
                if index == number:
                    return int(half) * 4
            return None
        if number >= count:
            return None
        if flags & OFFSET16:
            (half,) = struct.unpack_from("<H", self.data, table + 2 * number)
            return None if half == 0xFFFF else int(half) * 4
        (offset,) = struct.unpack_from("<I", self.data, table + 4 * number)
        return None if offset == NO_ENTRY else int(offset)

    def _typed(self, vtype: int, vdata: int) -> Value:
        if vtype == TYPE_BOOLEAN:
            return vdata != 0
        if vtype == TYPE_REFERENCE:
            return Reference(vdata)
        if vtype == TYPE_STRING:
            return self.strings.get(vdata) if self.strings is not None else None
        if 0x10 <= vtype <= 0x1F:
            return vdata
        return None


def resolve_references(root: Element, table: ResourceTable) -> int:
    """Replace each attribute that is a resource reference by its value where the table has
    one; the number of attributes resolved."""
    resolved = 0
    for element in root.iter():
        for name, value in element.attributes.items():
            if isinstance(value, Reference):
                found = table.lookup(value.resource_id)
                if not isinstance(found, Reference) and found is not None:
                    element.attributes[name] = found
                    resolved += 1
    return resolved
