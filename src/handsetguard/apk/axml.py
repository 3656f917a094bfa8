"""Android binary XML (AXML, the compiled AndroidManifest.xml) decoded into a small element
tree, as tolerant as the platform's ResXMLParser and no more trusting: chunks are walked by
their declared sizes with every offset checked, unknown chunks are skipped, attributes are
named by their resource id when the resource map gives one (obfuscators blank or rename the
name strings; the platform reads the id), a missing resource map, CDATA nodes and string pools
with odd counts or offsets are tolerated and noted. Bounded: at most :data:`MAX_ELEMENTS`
elements, :data:`MAX_DEPTH` levels, strings read lazily from the pool.
See AOSP frameworks/base/libs/androidfw/ResourceTypes.cpp.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from handsetguard.records import record

__all__ = [
    "ANDROID_ATTRS",
    "TYPE_BOOLEAN",
    "TYPE_REFERENCE",
    "TYPE_STRING",
    "AxmlError",
    "Element",
    "Reference",
    "StringPool",
    "Value",
    "parse_axml",
]

MAX_ELEMENTS = 200_000
MAX_DEPTH = 256
RES_XML = 0x0003
STRING_POOL, RESOURCE_MAP = 0x0001, 0x0180
START_ELEMENT, END_ELEMENT, CDATA = 0x0102, 0x0103, 0x0104
UTF8_FLAG = 0x100
TYPE_NULL, TYPE_REFERENCE, TYPE_STRING, TYPE_BOOLEAN = 0x00, 0x01, 0x03, 0x12
TYPE_INT_DEC, TYPE_INT_HEX = 0x10, 0x11
ANDROID_NS = "http://schemas.android.com/apk/res/android"

ANDROID_ATTRS = {
    0x01010001: "label",
    0x01010003: "name",
    0x01010006: "permission",
    0x01010009: "protectionLevel",
    0x0101000B: "sharedUserId",
    0x0101000E: "enabled",
    0x0101000F: "debuggable",
    0x01010010: "exported",
    0x0101020C: "minSdkVersion",
    0x0101021B: "versionCode",
    0x0101021C: "versionName",
    0x01010270: "targetSdkVersion",
    0x01010271: "maxSdkVersion",
    0x01010272: "testOnly",
    0x01010280: "allowBackup",
    0x010104EC: "usesCleartextTraffic",
    0x01010527: "networkSecurityConfig",
    0x0101054C: "targetSandboxVersion",
    0x01010572: "compileSdkVersion",
    0x01010573: "compileSdkVersionCodename",
}
"""The ``android:`` attributes the manifest reader uses, by resource id (android.R.attr)."""


class AxmlError(Exception):
    """The bytes are not binary XML at all (the message says where it broke)."""


@record
class Reference:
    """An attribute value that points into resources.arsc (``@0x7f030000``)."""

    resource_id: int

    def __str__(self) -> str:
        return f"@0x{self.resource_id:08x}"


Value = str | int | bool | Reference | None


@dataclass
class Element:
    tag: str
    attributes: dict[str, Value] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def iter(self, tag: str | None = None) -> list[Element]:
        """This element and its descendants (depth first), those named ``tag`` if given."""
        found: list[Element] = []
        stack = [self]
        while stack:
            element = stack.pop()
            if tag is None or element.tag == tag:
                found.append(element)
            stack.extend(reversed(element.children))
        return found


class StringPool:
    """A ResStringPool chunk (UTF-8 or UTF-16), its strings decoded on first use."""

    def __init__(self, data: bytes, start: int, notes: list[str]) -> None:
        header_size, size = struct.unpack_from("<HI", data, start + 2)
        count, _styles, flags, strings_start, _styles_start = struct.unpack_from(
            "<IIIII", data, start + 8
        )
        self.data, self.end = data, min(start + size, len(data))
        self.utf8 = bool(flags & UTF8_FLAG)
        offsets_at = start + header_size
        most = max(0, (self.end - offsets_at) // 4)
        if count > most:
            notes.append(f"string pool declares {count} strings, room for {most}")
            count = most
        self.offsets = struct.unpack_from(f"<{count}I", data, offsets_at) if count else ()
        self.base = start + strings_start
        self.cache: dict[int, str] = {}

    def get(self, index: int) -> str:
        if index == 0xFFFFFFFF or index >= len(self.offsets):
            return ""
        if index not in self.cache:
            self.cache[index] = self._read(self.base + self.offsets[index])
        return self.cache[index]

    def _read(self, at: int) -> str:
        data, end = self.data, self.end
        try:
            if self.utf8:
                at += 2 if data[at] & 0x80 else 1  # UTF-16 length, unused
                length = data[at]
                if length & 0x80:
                    length = ((length & 0x7F) << 8) | data[at + 1]
                    at += 1
                at += 1
                return data[at : min(at + length, end)].decode("utf-8", "replace")
            (length,) = struct.unpack_from("<H", data, at)
            at += 2
            if length & 0x8000:
                length = ((length & 0x7FFF) << 16) | struct.unpack_from("<H", data, at)[0]
                at += 2
            return data[at : min(at + 2 * length, end)].decode("utf-16-le", "replace")
        except (IndexError, struct.error):
            return ""


def parse_axml(data: bytes, notes: list[str]) -> Element:
    """The document's root element; oddities that were tolerated are appended to ``notes``."""
    try:
        return _parse(data, notes)
    except (struct.error, IndexError) as exc:
        raise AxmlError(f"truncated structure ({exc})") from None


def _chunks(
    data: bytes, at: int, total: int, notes: list[str]
) -> Iterator[tuple[int, int, int, int]]:
    """(type, offset, header size, size) of each chunk, walked by the declared sizes."""
    while at + 8 <= total:
        kind, header_size, size = struct.unpack_from("<HHI", data, at)
        if size < 8 or header_size > size or at + size > total:
            notes.append(f"chunk at {at} has an impossible size {size}; stopped there")
            return
        yield kind, at, header_size, size
        at += size


class _Tree:
    """The element tree built chunk by chunk."""

    def __init__(self, data: bytes, notes: list[str]) -> None:
        self.data, self.notes = data, notes
        self.pool: StringPool | None = None
        self.resource_ids: tuple[int, ...] = ()
        self.stack = [Element("")]
        self.elements = 0

    def chunk(self, kind: int, at: int, header_size: int, size: int) -> None:
        if kind == STRING_POOL and self.pool is None and size >= 28:
            self.pool = StringPool(self.data, at, self.notes)
        elif kind == RESOURCE_MAP:
            count = (size - header_size) // 4
            self.resource_ids = struct.unpack_from(f"<{count}I", self.data, at + header_size)
        elif kind in (START_ELEMENT, END_ELEMENT, CDATA):
            if self.pool is None:
                raise AxmlError("element before the string pool")
            self.node(kind, at, header_size, size, self.pool)

    def node(self, kind: int, at: int, header_size: int, size: int, pool: StringPool) -> None:
        if kind == START_ELEMENT and size >= 36:
            self.elements += 1
            if self.elements > MAX_ELEMENTS or len(self.stack) > MAX_DEPTH:
                raise AxmlError(f"more than {MAX_ELEMENTS} elements or {MAX_DEPTH} levels")
            element = _element(self.data, at, header_size, size, pool, self.resource_ids)
            self.stack[-1].children.append(element)
            self.stack.append(element)
        elif kind == END_ELEMENT and len(self.stack) > 1:
            self.stack.pop()
        elif kind == CDATA and size >= 28:
            self.stack[-1].text.append(pool.get(struct.unpack_from("<I", self.data, at + 16)[0]))
            self.notes.append("CDATA text node")


def _parse(data: bytes, notes: list[str]) -> Element:
    if len(data) < 8:
        raise AxmlError("shorter than a chunk header")
    kind, first, total = struct.unpack_from("<HHI", data)
    if kind != RES_XML:
        raise AxmlError(f"not binary XML (chunk type 0x{kind:04x})")
    if total > len(data):
        notes.append(f"document declares {total} bytes, has {len(data)}")
        total = len(data)
    tree = _Tree(data, notes)
    for chunk in _chunks(data, max(first, 8), total, notes):
        tree.chunk(*chunk)
    if tree.pool is None:
        raise AxmlError("no string pool")
    if not tree.resource_ids:
        notes.append("no resource map: attributes named by their strings only")
    if not tree.stack[0].children:
        raise AxmlError("no elements")
    return tree.stack[0].children[0]


def _element(
    data: bytes,
    at: int,
    header_size: int,
    size: int,
    pool: StringPool,
    resource_ids: tuple[int, ...],
) -> Element:
    ext = at + header_size
    _ns, name, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, ext)
    element = Element(pool.get(name))
    attr_size = max(attr_size, 20)
    first = ext + attr_start
    attr_count = min(attr_count, max(0, (at + size - first) // attr_size))
    for i in range(attr_count):
        a = first + i * attr_size
        ns, attr_name, raw, _vsize, _res0, vtype, vdata = struct.unpack_from("<IIIHBBI", data, a)
        key = _attribute_name(attr_name, ns, pool, resource_ids)
        element.attributes.setdefault(key, _value(vtype, vdata, raw, pool))
    return element


def _attribute_name(index: int, ns: int, pool: StringPool, resource_ids: tuple[int, ...]) -> str:
    """``android:minSdkVersion`` style: by resource id when there is one (what the platform
    reads), otherwise the name string with its namespace's prefix."""
    if index < len(resource_ids) and resource_ids[index] in ANDROID_ATTRS:
        return "android:" + ANDROID_ATTRS[resource_ids[index]]
    name = pool.get(index)
    if ns != 0xFFFFFFFF and pool.get(ns) == ANDROID_NS:
        return "android:" + name
    return name


def _value(vtype: int, vdata: int, raw: int, pool: StringPool) -> Value:
    if vtype == TYPE_STRING:
        return pool.get(vdata)
    if vtype == TYPE_BOOLEAN:
        return vdata != 0
    if vtype in (TYPE_INT_DEC, TYPE_INT_HEX) or 0x10 <= vtype <= 0x1F:
        return vdata if vdata < 0x80000000 else vdata - 0x100000000
    if vtype == TYPE_REFERENCE:
        return Reference(vdata)
    if raw != 0xFFFFFFFF:
        return pool.get(raw)
    return None
