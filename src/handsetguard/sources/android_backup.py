"""The SMS of an Android backup (``adb backup``; AndroidQF's ``backup.ab``), for link indicators.

Layout: four header lines (``ANDROID BACKUP``, format version, 1 if compressed, the encryption:
``none`` or ``AES-256``), then a tar stream, zlib-compressed when the flag says so. The
telephony provider's ``apps/com.android.providers.telephony/d_f/NNNNNN_sms_backup`` members are
each a zlib-compressed JSON list of messages (``address``, ``body``, ``date``…).

An encrypted backup cannot be read without its password: that is a coverage note, not an error.
Every step is bounded: the inflated tar at :data:`MAX_BACKUP_BYTES`, each SMS member at
:data:`MAX_SMS_BYTES` inflated; nothing is written to disk.
"""

from __future__ import annotations

import io
import json
import re
import zlib

from handsetguard.boundedio import loads_bounded
from handsetguard.errors import SourceError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance, Section

__all__ = ["MAX_BACKUP_BYTES", "MAX_SMS_BYTES", "SMS_SECTION", "add_backup_sms"]

SMS_SECTION = "androidqf:sms"
MAX_BACKUP_BYTES = 256 * 1024 * 1024
MAX_SMS_BYTES = 32 * 1024 * 1024
_MAGIC = b"ANDROID BACKUP\n"
_SMS_MEMBER = re.compile(r"apps/com\.android\.providers\.telephony/d_f/\d+_sms_backup")
_KEPT_FIELDS = ("address", "body", "date")


class _Inflating(io.RawIOBase):
    """A read-only stream of ``data`` inflated (or passed through), refusing past ``limit``."""

    _STEP = 256 * 1024

    def __init__(self, data: bytes, compressed: bool, limit: int, where: str) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._inflater = zlib.decompressobj() if compressed else None
        self._pending = bytearray()
        self._start = 0  # of the unread bytes in _pending
        self._total = 0
        self._limit = limit
        self._where = where

    def readable(self) -> bool:
        return True

    def _more(self) -> bytes:
        tail: bytes | memoryview
        if self._inflater is not None and self._inflater.unconsumed_tail:
            tail = self._inflater.unconsumed_tail
        elif self._pos < len(self._data):
            tail = self._data[self._pos : self._pos + self._STEP]
            self._pos += len(tail)
            if self._inflater is None:
                return bytes(tail)
        else:
            return b""
        assert self._inflater is not None
        try:
            return self._inflater.decompress(tail, self._STEP)
        except zlib.error as exc:
            raise SourceError(f"{self._where}: the backup's data is corrupt ({exc})") from None

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        while len(self._pending) - self._start < want:
            more = self._more()
            if not more and (self._inflater is None or not self._inflater.unconsumed_tail):
                if self._pos >= len(self._data):
                    break
                continue
            self._total += len(more)
            if self._total > self._limit:
                raise SourceError(
                    f"{self._where}: the backup inflates past {self._limit // (1024 * 1024)} "
                    "MiB; not read"
                )
            if self._start:
                del self._pending[: self._start]
                self._start = 0
            self._pending += more
        n = min(want, len(self._pending) - self._start)
        buffer[:n] = self._pending[self._start : self._start + n]
        self._start += n
        return n


def _header(data: bytes, where: str) -> tuple[bool, str, int]:
    """(compressed, encryption, offset of the payload)."""
    if not data.startswith(_MAGIC):
        raise SourceError(f"{where}: not an Android backup (no 'ANDROID BACKUP' header)")
    lines = data[len(_MAGIC) : len(_MAGIC) + 512].split(b"\n", 3)
    if len(lines) < 4:
        raise SourceError(f"{where}: the Android backup header is cut short")
    version, compressed, encryption = (part.decode("ascii", "replace") for part in lines[:3])
    if not version.isdigit() or compressed not in ("0", "1"):
        raise SourceError(f"{where}: the Android backup header is not valid")
    offset = len(_MAGIC) + sum(len(part) + 1 for part in lines[:3])
    return compressed == "1", encryption.strip(), offset


def _messages(raw: bytes, where: str) -> list[str]:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(raw, MAX_SMS_BYTES + 1)
    except zlib.error as exc:
        raise SourceError(f"{where}: not a zlib-compressed SMS backup ({exc})") from None
    if len(text) > MAX_SMS_BYTES or inflater.unconsumed_tail:
        raise SourceError(f"{where}: SMS backup inflates past {MAX_SMS_BYTES // 2**20} MiB")
    messages = loads_bounded(text, where, SourceError)
    if not isinstance(messages, list):
        raise SourceError(f"{where}: the SMS backup is not a JSON list")
    lines = []
    for message in messages:
        if isinstance(message, dict):
            kept = {key: message[key] for key in _KEPT_FIELDS if isinstance(message.get(key), str)}
            lines.append(json.dumps(kept, ensure_ascii=False))
        else:
            lines.append("{}")  # keep one line per message: line n is message n
    return lines


def add_backup_sms(evidence: Evidence, data: bytes, display: str) -> None:
    """Add the SMS of the backup ``data`` (named ``display``) as :data:`SMS_SECTION` sections;
    an encrypted or unreadable backup becomes a coverage entry."""
    import tarfile  # here: it costs its importers (bz2, lzma, shutil) only an AndroidQF run

    try:
        compressed, encryption, offset = _header(data, display)
        if encryption.lower() != "none":
            evidence.problems.append(
                CoverageEntry(
                    SMS_SECTION,
                    CoverageStatus.SKIPPED,
                    f"the backup is encrypted ({encryption[:40]}); its SMS were not read",
                    Provenance(display),
                )
            )
            return
        stream = _Inflating(data[offset:], compressed, MAX_BACKUP_BYTES, display)
        found = 0
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for member in tar:
                if not member.isfile() or not _SMS_MEMBER.fullmatch(member.name):
                    continue
                where = f"{display}!{member.name}"
                if member.size > MAX_SMS_BYTES:
                    raise SourceError(f"{where}: SMS backup member larger than the limit")
                handle = tar.extractfile(member)
                raw = handle.read(MAX_SMS_BYTES + 1) if handle is not None else b""
                lines = _messages(raw, where)
                name = SMS_SECTION if not found else f"{SMS_SECTION}:{found}"
                evidence.add(Section(name, Provenance(where, 1), "\n".join(lines).encode()))
                found += 1
    except (tarfile.TarError, EOFError, OSError) as exc:
        evidence.problems.append(
            CoverageEntry(
                SMS_SECTION,
                CoverageStatus.ERROR,
                f"{display}: the backup's tar stream is corrupt ({exc})",
                Provenance(display),
            )
        )
    except SourceError as exc:
        evidence.problems.append(
            CoverageEntry(SMS_SECTION, CoverageStatus.ERROR, exc.message, Provenance(display))
        )
