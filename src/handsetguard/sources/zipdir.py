"""A zip archive opened without :mod:`zipfile`, for the plain case only: what ``open_zip`` of a
path returns when the archive is as bugreport zips are written, so that a check of one never
imports zipfile (and the shutil, bz2, lzma, threading and importlib.util it imports: 4.5-6 ms
of every zip input's run, measured on the 2-core build machine).

Plain means: the end-of-central-directory record is the file's last 22 bytes (no archive
comment), no Zip64 locator before it, the central directory ends where that record starts (no
data before the archive), and every entry has a name that decodes as zipfile decodes it, with
no NUL, no Zip64 or malformed extra field and a version zipfile supports. Anything else gives
``None``, and the caller opens the file with zipfile: its errors and its reading are exactly
those of before. On the plain case the members are zipfile's ZipInfos in what sources/ read of
them (name, sizes, method, CRC-32, flags, local header offset), in the same order, and
:meth:`PlainZip.open` hands a member to a zipfile opened on the same file object only when
sources/inflate.py cannot read it itself (an encrypted, patched or unknown-method member).
"""

from __future__ import annotations

import struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    import zipfile
    from pathlib import Path
    from types import TracebackType
    from typing import IO, Self

__all__ = ["PlainMember", "PlainZip", "open_plain"]

_END = struct.Struct("<4s4H2LH")  # zipfile's structEndArchive
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # zipfile's structCentralDir
_END_MAGIC, _ENTRY_MAGIC, _ZIP64_LOCATOR_MAGIC = b"PK\x05\x06", b"PK\x01\x02", b"PK\x06\x07"
_ZIP64_LOCATOR_BYTES = 20
_UTF8_NAME = 0x800
_MAX_EXTRACT_VERSION = 63  # zipfile's MAX_EXTRACT_VERSION
_ZIP64_EXTRA = 0x0001


class PlainMember:
    """One central directory entry: the ZipInfo attributes sources/ read."""

    __slots__ = (
        "CRC",
        "compress_size",
        "compress_type",
        "file_size",
        "filename",
        "flag_bits",
        "header_offset",
        "index",
        "orig_filename",
    )

    def __init__(self, name: str, fields: tuple[int, ...], index: int) -> None:
        self.filename = self.orig_filename = name
        self.flag_bits, self.compress_type = fields[5], fields[6]
        self.CRC, self.compress_size, self.file_size = fields[9], fields[10], fields[11]
        self.header_offset = fields[18]
        self.index = index  # its place in the central directory (and in zipfile's infolist)

    def is_dir(self) -> bool:
        return self.filename[-1] == "/"

    def __repr__(self) -> str:
        return f"<PlainMember {self.filename!r} file_size={self.file_size}>"


class PlainZip:
    """An open plain archive: its members, and the file they are read from."""

    def __init__(self, fp: IO[bytes], filename: str, members: list[PlainMember]) -> None:
        self.fp: IO[bytes] | None = fp
        self.filename = filename
        self._members = members
        self._by_name = {member.filename: member for member in members}  # the last one wins
        self._zipfile: zipfile.ZipFile | None = None

    def infolist(self) -> list[PlainMember]:
        return self._members

    def namelist(self) -> list[str]:
        return [member.filename for member in self._members]

    def getinfo(self, name: str) -> PlainMember:
        """The member named ``name``; KeyError when there is none, as zipfile's."""
        return self._by_name[name]

    def open(self, member: PlainMember) -> IO[bytes]:
        """``member`` read by zipfile (what sources/inflate.py does not read itself), opened on
        this archive's file object: the same bytes, read once more for its directory."""
        if self._zipfile is None:
            import zipfile

            assert self.fp is not None
            self._zipfile = zipfile.ZipFile(self.fp)
        return self._zipfile.open(self._zipfile.infolist()[member.index])

    def close(self) -> None:
        if self._zipfile is not None:
            self._zipfile.close()  # given the file object: it leaves it open
            self._zipfile = None
        if self.fp is not None:
            self.fp.close()
            self.fp = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_plain(path: Path, most: int) -> PlainZip | None:
    """The archive at ``path`` when it is plain (see the module docstring), else ``None`` (and
    nothing left open): the caller opens it with zipfile, which says what is wrong with it.
    Members past the first ``most`` + 1 are not read (the caller refuses such an archive)."""
    try:
        fp = open(path, "rb")  # noqa: SIM115 - the archive keeps it open until closed
    except OSError:
        return None
    try:
        members = _members(fp, most)
    except OSError:
        members = None
    if members is None:
        fp.close()
        return None
    return PlainZip(fp, str(path), members)


def _members(fp: IO[bytes], most: int) -> list[PlainMember] | None:
    size = fp.seek(0, 2)
    if size < _END.size:
        return None
    fp.seek(size - _END.size)
    end = fp.read(_END.size)
    if len(end) != _END.size or end[:4] != _END_MAGIC or end[-2:] != b"\x00\x00":
        return None
    if size >= _END.size + _ZIP64_LOCATOR_BYTES:
        fp.seek(size - _END.size - _ZIP64_LOCATOR_BYTES)
        if fp.read(4) == _ZIP64_LOCATOR_MAGIC:
            return None
    directory_size, directory_offset = _END.unpack(end)[5:7]
    if directory_offset + directory_size != size - _END.size:
        return None  # data before the archive, or a directory that is not where it says
    fp.seek(directory_offset)
    directory = fp.read(directory_size)
    if len(directory) != directory_size:
        return None
    return _entries(directory, most)


def _entries(directory: bytes, most: int) -> list[PlainMember] | None:
    members: list[PlainMember] = []
    position = 0
    while position < len(directory) and len(members) <= most:
        if position + _ENTRY.size > len(directory):
            return None
        fields = _ENTRY.unpack_from(directory, position)
        name_end = position + _ENTRY.size + fields[12]
        extra_end = name_end + fields[13]
        entry_end = extra_end + fields[14]
        if fields[0] != _ENTRY_MAGIC or entry_end > len(directory):
            return None
        if fields[3] > _MAX_EXTRACT_VERSION or not _plain_extra(directory[name_end:extra_end]):
            return None
        raw = directory[position + _ENTRY.size : name_end]
        try:
            name = raw.decode("utf-8") if fields[5] & _UTF8_NAME else raw.decode("cp437")
        except UnicodeDecodeError:
            return None
        if not name or "\x00" in name:
            return None
        members.append(PlainMember(name, fields, len(members)))
        position = entry_end
    return members


def _plain_extra(extra: bytes) -> bool:
    """Whether zipfile would read ``extra`` without a change to the entry or an error: well
    formed, and no Zip64 field (which rewrites the sizes and the offset)."""
    position = 0
    while len(extra) - position >= 4:
        kind, length = struct.unpack_from("<HH", extra, position)
        if kind == _ZIP64_EXTRA or position + 4 + length > len(extra):
            return False
        position += 4 + length
    return True
