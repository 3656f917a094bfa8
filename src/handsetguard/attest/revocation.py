"""Google's attestation status list: load it, refresh the cached copy, check a chain against it.

Format (https://developer.android.com/privacy-and-security/security-key-attestation#certificate_status):
``{"entries": {"<serial, lowercase hex>": {"status": "REVOKED"|"SUSPENDED", "reason": …,
"comment": …, "expires": …}}}``. Every certificate of the chain except the trust anchor is looked
up by its serial number in hex, as Google's own verifier does.

Decision: with no list (or one older than ``max_age``) the default is **fail closed** — the
verdict fails with ``revocation.unavailable``/``revocation.stale``. Failing open must be asked for
by name (:attr:`MissingListPolicy.UNSAFE_FAIL_OPEN`) and the verdict then carries a notice.
``SUSPENDED`` entries are reported as a notice by default, or fail with ``SuspendedPolicy.FAIL``.

Statuses are compared case- and whitespace-insensitively (``"revoked"``, ``"REVOKED "``); a
status that is neither REVOKED nor SUSPENDED fails closed. When one serial appears more than
once (two spellings, or a repeated JSON key), the most severe status wins whatever the order.

Age: ``refresh_status_list`` writes ``<list>.meta.json`` beside the list (the fetch time, the
HTTP ``Date`` of the answer and the list's SHA-256); the list's age counts from that ``Date``
(else the fetch time). A list without such a record — a file given by hand — has an *unknown
age*, never the file's modification time: a copy of a 2023 snapshot is not "fetched today".
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handsetguard.attest.errors import StatusListError, StatusListFetchError
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode
from handsetguard.records import record

__all__ = [
    "MAX_STATUS_BYTES",
    "STATUS_URL",
    "MissingListPolicy",
    "RevocationPolicy",
    "RevocationResult",
    "StatusEntry",
    "StatusList",
    "SuspendedPolicy",
    "check_revocation",
    "default_cache_path",
    "load_status_list",
    "meta_path",
    "parse_status_list",
    "refresh_status_list",
]

STATUS_URL = "https://android.googleapis.com/attestation/status"
MAX_STATUS_BYTES = 16 << 20
REVOKED = "REVOKED"
SUSPENDED = "SUSPENDED"
# Most severe first: which entry stands for a serial listed more than once.
_SEVERITY = {REVOKED: 0, SUSPENDED: 2}
_UNKNOWN_SEVERITY = 1  # an unknown status fails closed, below REVOKED
META_SUFFIX = ".meta.json"


class MissingListPolicy(enum.Enum):
    FAIL_CLOSED = "fail-closed"
    UNSAFE_FAIL_OPEN = "unsafe-fail-open"


class SuspendedPolicy(enum.Enum):
    REPORT = "report"
    FAIL = "fail"


@record
class RevocationPolicy:
    when_missing: MissingListPolicy = MissingListPolicy.FAIL_CLOSED
    suspended: SuspendedPolicy = SuspendedPolicy.REPORT
    max_age: timedelta | None = None
    """A list older than this (at the verification time) counts as missing."""


@record
class StatusEntry:
    serial: str
    status: str
    reason: str | None = None
    comment: str | None = None
    expires: str | None = None


@record
class StatusList:
    entries: Mapping[str, StatusEntry]
    source: str
    fetched_at: datetime | None
    """When this copy was obtained (from ``attest-status-refresh``'s record); None: unknown."""

    def lookup(self, serial: int) -> StatusEntry | None:
        return self.entries.get(format(serial, "x"))

    def age(self, at: datetime) -> timedelta | None:
        return None if self.fetched_at is None else at - self.fetched_at


@record
class RevocationResult:
    """What the status list said about the chain. ``hits`` pairs chain indexes with entries."""

    checked: bool
    source: str | None
    fetched_at: datetime | None
    age: timedelta | None
    hits: tuple[tuple[int, StatusEntry], ...] = ()


def _normalise(serial: str) -> str:
    return serial.strip().lower().lstrip("0") or "0"


def _optional_str(entry: Mapping[str, object], key: str) -> str | None:
    value = entry.get(key)
    return value if isinstance(value, str) else None


def _severity(entry: StatusEntry) -> int:
    return _SEVERITY.get(entry.status, _UNKNOWN_SEVERITY)


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose repeated keys are kept as a list of their values (for "entries")."""
    result: dict[str, object] = {}
    repeated: dict[str, list[object]] = {}
    for key, value in pairs:
        if key in result:
            repeated.setdefault(key, [result[key]]).append(value)
        result[key] = value
    for key, values in repeated.items():
        result[key] = _Repeated(values)
    return result


class _Repeated(list[object]):
    """The values of a key that appeared more than once in one JSON object."""


def parse_status_list(data: bytes, source: str, fetched_at: datetime | None) -> StatusList:
    """Parse a status list document; structure errors raise :class:`StatusListError`."""
    if len(data) > MAX_STATUS_BYTES:
        raise StatusListError(f"{source}: status list over {MAX_STATUS_BYTES} bytes")
    try:
        document = json.loads(data, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError):
        raise StatusListError(f"{source}: status list is not valid JSON") from None
    raw_entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(raw_entries, dict) or isinstance(raw_entries, _Repeated):
        raise StatusListError(f"{source}: expected an object with an 'entries' object")
    entries: dict[str, StatusEntry] = {}
    for serial, value in raw_entries.items():
        for entry in value if isinstance(value, _Repeated) else [value]:
            if not isinstance(entry, dict) or not isinstance(entry.get("status"), str):
                raise StatusListError(f"{source}: entry {serial!r} has no 'status' string")
            key = _normalise(serial)
            parsed = StatusEntry(
                serial=key,
                status=entry["status"].strip().upper(),
                reason=_optional_str(entry, "reason"),
                comment=_optional_str(entry, "comment"),
                expires=_optional_str(entry, "expires"),
            )
            known = entries.get(key)
            if known is None or _severity(parsed) < _severity(known):
                entries[key] = parsed
    return StatusList(entries, source, fetched_at)


def meta_path(path: Path) -> Path:
    """Where ``attest-status-refresh`` records when ``path`` was fetched."""
    return path.with_name(path.name + META_SUFFIX)


def _recorded_time(path: Path, data: bytes) -> datetime | None:
    """The age origin ``attest-status-refresh`` recorded for exactly these bytes, if any."""
    try:
        record = json.loads(meta_path(path).read_bytes()[:4096])
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("sha256") != hashlib.sha256(data).hexdigest():
        return None
    for key in ("http_date", "fetched_at"):
        value = record.get(key)
        if isinstance(value, str):
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                continue
            if when.tzinfo is not None:
                return when
    return None


def load_status_list(path: str | Path, fetched_at: datetime | None = None) -> StatusList:
    """Read a status list file. Its age counts from ``fetched_at`` when given, else from what
    ``attest-status-refresh`` recorded beside it; otherwise it is unknown."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_STATUS_BYTES + 1)
    except OSError as exc:
        raise StatusListError(f"{path}: cannot read status list ({exc.strerror or exc})") from None
    if fetched_at is None:
        fetched_at = _recorded_time(path, data)
    return parse_status_list(data, str(path), fetched_at)


def default_cache_path() -> Path:
    """Where ``refresh`` keeps the list: ``$HANDSETGUARD_CACHE_DIR`` or the XDG cache dir."""
    base = os.environ.get("HANDSETGUARD_CACHE_DIR")
    if base:
        return Path(base) / "attestation-status.json"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "handsetguard" / "attestation-status.json"


def refresh_status_list(
    destination: str | Path, *, url: str = STATUS_URL, timeout: float = 15.0
) -> StatusList:
    """Download the status list, validate it, and replace ``destination`` atomically.

    A network or HTTP failure raises :class:`StatusListFetchError` and leaves the old copy.
    """
    import urllib.error  # only the refresh needs the HTTP stack
    import urllib.request

    destination = Path(destination)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(MAX_STATUS_BYTES + 1)
            http_date = response.headers.get("Date")
    except urllib.error.HTTPError as exc:
        raise StatusListFetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise StatusListFetchError(
            f"{url}: cannot download the status list ({reason})",
            remediation="check the network, or pass a saved copy with --status-list FILE",
        ) from None
    fetched_at = datetime.now(UTC)
    served_at = _http_date(http_date)
    status = parse_status_list(data, url, served_at or fetched_at)
    record = {
        "url": url,
        "fetched_at": fetched_at.isoformat(),
        "http_date": served_at.isoformat() if served_at is not None else None,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _write_atomic(destination, data)
    _write_atomic(meta_path(destination), (json.dumps(record, indent=2) + "\n").encode())
    return StatusList(status.entries, str(destination), served_at or fetched_at)


def _http_date(value: str | None) -> datetime | None:
    from email.utils import parsedate_to_datetime

    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else None


def _write_atomic(path: Path, data: bytes) -> None:
    from handsetguard.atomicfile import UnsafeTarget, replace_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data)
    except UnsafeTarget as exc:
        raise StatusListError(f"{path}: {exc.reason}") from None
    except OSError as exc:
        raise StatusListError(f"{path}: cannot write status list ({exc.strerror or exc})") from None


def check_revocation(
    serials: Sequence[int],
    status: StatusList | None,
    policy: RevocationPolicy,
    at: datetime,
) -> tuple[RevocationResult, list[Failure], list[Notice]]:
    """Look every serial (chain order, anchor excluded) up in ``status``."""
    failures: list[Failure] = []
    notices: list[Notice] = []
    age = status.age(at) if status is not None else None
    too_old = policy.max_age is not None and (age is None or age > policy.max_age)
    if status is None or too_old:
        stale = status is not None
        code = FailureCode.STATUS_STALE if stale else FailureCode.STATUS_UNAVAILABLE
        why = (
            f"status list {status.source} is older than {policy.max_age}"
            if status is not None
            else "no attestation status list was given"
        )
        if policy.when_missing is MissingListPolicy.UNSAFE_FAIL_OPEN:
            notices.append(Notice(NoticeCode.UNSAFE_NO_STATUS_LIST, f"unsafe: {why}; not checked"))
        else:
            failures.append(Failure(code, f"{why}: revocation cannot be checked (fail-closed)"))
        result = RevocationResult(False, None, None, None)
        if status is not None:
            result = RevocationResult(False, status.source, status.fetched_at, status.age(at))
        return result, failures, notices
    hits = tuple(
        (index, entry)
        for index, serial in enumerate(serials)
        if (entry := status.lookup(serial)) is not None
    )
    for index, entry in hits:
        detail = f"serial {entry.serial} is {entry.status}" + (
            f" ({entry.reason})" if entry.reason else ""
        )
        if entry.status == REVOKED:
            failures.append(Failure(FailureCode.REVOKED, detail, index))
        elif entry.status != SUSPENDED:
            detail += ": an unknown status, failed closed"
            failures.append(Failure(FailureCode.UNKNOWN_STATUS, detail, index))
        elif policy.suspended is SuspendedPolicy.FAIL:
            failures.append(Failure(FailureCode.SUSPENDED, detail, index))
        else:
            notices.append(Notice(NoticeCode.SUSPENDED, detail, index))
    result = RevocationResult(True, status.source, status.fetched_at, status.age(at), hits)
    return result, failures, notices
