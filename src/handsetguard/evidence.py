"""Raw evidence: named sections of text with their provenance, as every source yields them.

A source (bugreport, AndroidQF, snapshot, live phone) only locates bytes; it never interprets
them. Sections decode their own slice on first use. A streamed dumpstate's sections hold only
their own bytes (the rest of the text is never held, see sources/stream.py); other sources'
sections are slices of the file's bytes, held once.
"""

from __future__ import annotations

import enum
from datetime import datetime
from pathlib import Path

from handsetguard.records import field, mutable_record, record
from handsetguard.textcodec import Blob, decode_lines, decode_slice, split_lines

__all__ = [
    "AcquiredAt",
    "ApkFile",
    "CollectionWindow",
    "CoverageEntry",
    "CoverageStatus",
    "Evidence",
    "Provenance",
    "Section",
    "SourceKind",
]


class SourceKind(enum.Enum):
    BUGREPORT_ZIP = "bugreport-zip"
    BUGREPORT_DIR = "bugreport-dir"
    DUMPSTATE_TXT = "dumpstate-txt"
    ANDROIDQF_DIR = "androidqf-dir"
    ANDROIDQF_ZIP = "androidqf-zip"
    SNAPSHOT = "snapshot"
    EXAMPLE = "example"
    LOOSE_FILE = "loose-file"
    """One command's output (getprop, settings list, a dumpsys service, ps, mounts), maybe
    markdown-fenced, recognised by its content."""
    LOOSE_DIR = "loose-dir"
    """A folder of such outputs, each file recognised by its content."""


@record
class Provenance:
    """Where a piece of text came from: a file (or zip member) and a 1-based line, if known."""

    file: str
    line: int | None = None

    def at(self, offset: int) -> Provenance:
        """The provenance ``offset`` lines (0-based) further into the same file."""
        if self.line is None:
            return self
        return Provenance(self.file, self.line + offset)

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class Section:
    """One named slice of a raw file, e.g. ``dumpsys:package`` or ``getprop``.

    ``provenance.line`` is the line of the slice's first text line, so that a parser's
    0-based line offset maps back to the file with :meth:`Provenance.at`.

    The text is decoded on first use and kept. A section that ``owns`` its bytes (a streamed
    dumpstate's copy, not a slice of a file others share) lets them go then: a parser holds
    the text alone, not the text and its bytes (1.6 MB less peak on the Meizu MX6 report).
    Immutable, like the frozen dataclass it was.
    """

    __slots__ = ("_data", "_end", "_owned", "_size", "_start", "_text", "name", "provenance")

    name: str
    provenance: Provenance
    _data: Blob | None
    _start: int
    _end: int
    _size: int
    _text: str | None
    _owned: bool

    def __init__(
        self,
        name: str,
        provenance: Provenance,
        data: Blob,
        start: int = 0,
        end: int | None = None,
        *,
        owned: bool = False,
    ) -> None:
        stop = len(data) if end is None else end
        for slot, value in (
            ("name", name),
            ("provenance", provenance),
            ("_data", data),
            ("_start", start),
            ("_end", stop),
            ("_size", stop - start),
            ("_text", None),
            ("_owned", owned),
        ):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Section is immutable (cannot set {name})")

    def __repr__(self) -> str:
        return f"Section({self.name!r}, {self.provenance!r}, size={self._size})"

    @property
    def size(self) -> int:
        """Length of the slice in bytes (as read, before decoding)."""
        return self._size

    @property
    def text(self) -> str:
        text = self._text
        if text is None:
            text = decode_slice(self.data, self._start, self._end)
            object.__setattr__(self, "_text", text)
            if self._owned:
                object.__setattr__(self, "_data", None)
        return text

    def lines(self) -> list[str]:
        """The text's lines, as ``split_lines(self.text)`` gives them. A text not decoded yet
        is decoded a piece at a time (textcodec.decode_lines) and not kept: a caller that
        reads only lines never holds the whole text, nor one widened by a few wide
        characters."""
        text = self._text
        if text is not None:
            return split_lines(text)
        return decode_lines(self.data, self._start, self._end)

    @property
    def data(self) -> Blob:
        """The bytes the slice is cut from (``data[start:end]``); once an owned section is
        decoded, the UTF-8 of its text (the same bytes for UTF-8 text with ``\\n`` lines)."""
        data = self._data
        return self.text.encode("utf-8") if data is None else data

    @property
    def start(self) -> int:
        return 0 if self._data is None else self._start

    @property
    def end(self) -> int:
        return len(self.text.encode("utf-8")) if self._data is None else self._end


class CoverageStatus(enum.Enum):
    PARSED = "parsed"
    MISSING = "missing"
    ERROR = "error"
    TRUNCATED = "truncated"
    """The input stops before its end (file:line): later sections are absent, the last one cut."""
    SKIPPED = "skipped"
    """A file of the input that was not read (unrecognised, ungradable, a symlink): a note."""


@record
class CoverageEntry:
    """What happened to one section the checks wanted: parsed, missing, or failed (and why)."""

    section: str
    status: CoverageStatus
    detail: str = ""
    provenance: Provenance | None = None


@record
class AcquiredAt:
    """When the input was acquired, and which record of the input says so."""

    when: datetime
    origin: str


@record
class CollectionWindow:
    """When our own live collection ran, on the device's clock (widened by the uncertainty of
    reading that clock), and the app ops its commands may be charged to under
    ``com.android.shell``: what the privacy views may discount as our own doing."""

    start: datetime
    end: datetime
    shell_ops: frozenset[str] = frozenset()


@record
class ApkFile:
    """An APK a collection holds (AndroidQF's ``apks/`` folder): located, never read here.
    ``path`` is where it can be opened (a file of a folder collection); for a member of a zip
    collection, ``archive`` is the zip file and ``member`` its name there."""

    name: str  # within the collection, e.g. "apks/com.example_base.apk"
    display: str  # as provenance names it
    size: int
    path: Path | None = None
    archive: Path | None = None
    member: str | None = None


@mutable_record(weakref_slot=True)  # the CLI lets it go before the indicator index loads
class Evidence:
    """Everything a source found: its sections by name, when it was acquired, what went wrong."""

    kind: SourceKind
    path: str
    sections: dict[str, Section] = field(default_factory=dict)
    acquired_at: AcquiredAt | None = None
    collection_window: CollectionWindow | None = None
    """Set for a snapshot we collected; None for inputs collected by anything else."""
    problems: list[CoverageEntry] = field(default_factory=list)
    collector_key: str | None = None
    """Fingerprint of the adb key of the computer that collected a live snapshot."""
    truncated: Provenance | None = None
    """Where a dumpstate/dumpsys text that was cut short stops (file:line); None when it is
    complete or its layout cannot tell. A ``truncated`` coverage entry says the same."""
    unread: dict[str, Provenance] = field(default_factory=dict)
    """Sections the input has that no check reads (by name, where each first starts): a
    streamed dumpstate indexes and counts them, and drops their bytes."""
    collection_errors: list[str] = field(default_factory=list)
    """Commands of a live collection that were cut short ('command' (error)): the evidence is
    partial through no fault of the device, so a gate says ERROR, never FAIL."""
    apk_files: list[ApkFile] = field(default_factory=list)
    """APKs the collection holds, for their signatures (verified when the state is built)."""

    def get(self, name: str) -> Section | None:
        return self.sections.get(name)

    def add(self, section: Section) -> None:
        """Add a section; when a name repeats (a CRITICAL and a normal dump), keep the larger."""
        old = self.sections.get(section.name)
        if old is None or section.size > old.size:
            self.sections[section.name] = section
