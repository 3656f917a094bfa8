"""A read-only view of a folder or a zip archive, so collections are read the same way from both.

Names are POSIX relative paths. Zip names with ``..``, absolute paths or NUL bytes are never
listed: nothing here extracts to disk, but such names are hostile and are ignored.
"""

from __future__ import annotations

import stat
from pathlib import Path, PurePosixPath

from handsetguard.sources.limits import read_file, read_member
from handsetguard.textcodec import Blob

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from handsetguard.sources.limits import Archive

__all__ = ["DirTree", "FileTree", "ZipTree"]


class FileTree:
    """Interface: list relative file names, read one with a size limit."""

    label: str

    def names(self) -> list[str]:
        raise NotImplementedError

    def read(self, name: str, limit: int | None = None) -> Blob:
        raise NotImplementedError

    def display(self, name: str) -> str:
        """How a member is named in provenance and messages."""
        return f"{self.label}/{name}"

    def locate(self, name: str) -> tuple[Path | None, int | None]:
        """Where a member can be opened as a file (``None`` inside a zip) and its size;
        (``None``, ``None``) for a symbolic link or anything but a regular file."""
        raise NotImplementedError


class DirTree(FileTree):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = root.name or str(root)

    def names(self) -> list[str]:
        """Every entry but folders, symlinks and FIFOs included: reading one of those is a
        one-line SourceError (limits.read_file never follows a link or opens a FIFO), so a
        collection file that is one is reported, not silently absent."""
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_symlink() or not p.is_dir()
        )

    def read(self, name: str, limit: int | None = None) -> Blob:
        return read_file(self.root / name, limit)

    def locate(self, name: str) -> tuple[Path | None, int | None]:
        path = self.root / name
        try:
            info = path.lstat()
        except OSError:
            return None, None
        return (path, info.st_size) if stat.S_ISREG(info.st_mode) else (None, None)


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name.replace("\\", "/"))
    return not (pure.is_absolute() or ".." in pure.parts or "\x00" in name)


class ZipTree(FileTree):
    def __init__(self, archive: Archive, label: str, prefix: str = "") -> None:
        self.archive = archive
        self.label = label
        self.prefix = prefix
        self._infos = {
            info.filename[len(prefix) :]: info
            for info in archive.infolist()
            if not info.is_dir()
            and info.filename.startswith(prefix)
            and _safe_member_name(info.filename)
        }

    def names(self) -> list[str]:
        return sorted(self._infos)

    def read(self, name: str, limit: int | None = None) -> Blob:
        return read_member(self.archive, self._infos[name], self.label, limit)

    def display(self, name: str) -> str:
        return f"{self.label}!{self.prefix}{name}"

    def locate(self, name: str) -> tuple[Path | None, int | None]:
        return None, self._infos[name].file_size
