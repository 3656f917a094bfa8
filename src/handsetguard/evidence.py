"""Raw evidence: named sections of text with their provenance, as every source yields them.

A source (bugreport, AndroidQF, snapshot, live phone) only locates bytes; it never interprets
them. Sections keep a reference to the file's bytes and decode their own slice on first use, so
a 100 MB dumpstate is held once, as bytes, and only the slices a parser reads become text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from handsetguard.textcodec import Blob, decode_slice

__all__ = [
    "AcquiredAt",
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, eq=False)
class Section:
    """One named slice of a raw file, e.g. ``dumpsys:package`` or ``getprop``.

    ``provenance.line`` is the line of the slice's first text line, so that a parser's
    0-based line offset maps back to the file with :meth:`Provenance.at`.
    """

    name: str
    provenance: Provenance
    data: Blob
    start: int = 0
    end: int | None = None

    @property
    def size(self) -> int:
        end = len(self.data) if self.end is None else self.end
        return end - self.start

    @cached_property
    def text(self) -> str:
        end = len(self.data) if self.end is None else self.end
        return decode_slice(self.data, self.start, end)


class CoverageStatus(enum.Enum):
    PARSED = "parsed"
    MISSING = "missing"
    ERROR = "error"
    TRUNCATED = "truncated"
    """The input stops before its end (file:line): later sections are absent, the last one cut."""
    SKIPPED = "skipped"
    """A file of the input that was not read (unrecognised, ungradable, a symlink): a note."""


@dataclass(frozen=True, slots=True)
class CoverageEntry:
    """What happened to one section the checks wanted: parsed, missing, or failed (and why)."""

    section: str
    status: CoverageStatus
    detail: str = ""
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class AcquiredAt:
    """When the input was acquired, and which record of the input says so."""

    when: datetime
    origin: str


@dataclass(frozen=True, slots=True)
class CollectionWindow:
    """When our own live collection ran, on the device's clock (widened by the uncertainty of
    reading that clock), and the app ops its commands may be charged to under
    ``com.android.shell``: what the privacy views may discount as our own doing."""

    start: datetime
    end: datetime
    shell_ops: frozenset[str] = frozenset()


@dataclass
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
    collection_errors: list[str] = field(default_factory=list)
    """Commands of a live collection that were cut short ('command' (error)): the evidence is
    partial through no fault of the device, so a gate says ERROR, never FAIL."""

    def get(self, name: str) -> Section | None:
        return self.sections.get(name)

    def add(self, section: Section) -> None:
        """Add a section; when a name repeats (a CRITICAL and a normal dump), keep the larger."""
        old = self.sections.get(section.name)
        if old is None or section.size > old.size:
            self.sections[section.name] = section
