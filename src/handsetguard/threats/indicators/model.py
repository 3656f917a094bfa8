"""The records every indicator format is read into: one indicator (type, value, family), the set
it came from (name, files, licence, counts) and what could not be used, with where."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from handsetguard.errors import HandsetGuardError
from handsetguard.records import field, record

__all__ = [
    "KNOWN_TYPES",
    "MAX_INDICATOR_FILE_BYTES",
    "Indicator",
    "IndicatorError",
    "IndicatorSet",
    "SetProblem",
]

MAX_INDICATOR_FILE_BYTES = 64 * 1024 * 1024
"""The largest indicator file read (STIX2 bundle, YAML, JSON). The Echap stalkerware bundle, the
largest public one, was 3.9 MB in 2023 and grows by about 2 MB a year; a bigger file is refused
before a byte of it is read, with a message naming it."""

KNOWN_TYPES = frozenset(
    {
        "app:id",
        "app:cert.md5",
        "app:cert.sha1",
        "app:cert.sha256",
        "app:cert.der",  # the whole certificate, base64: lets a dumpsys hash code be compared
        "app:cert.organization",  # the subject's O= (Echap certificate_organizations)
        "app:cert.cname-pattern",  # a regex over the subject's CN= (Echap certificate_cname_re)
        "file:hashes.md5",
        "file:hashes.sha1",
        "file:hashes.sha256",
        "file:path",
        "file:name",
        "process:name",
        "domain-name:value",
        "url:value",
        "ipv4-addr:value",
        "email-addr:value",
        "android-property:name",
        "configuration-profile:id",
    }
)
"""Indicator types an index keeps (STIX2 object paths as MVT writes them, hash algorithm names
normalised: ``file:hashes.'SHA-256'`` is ``file:hashes.sha256``). Any other type is counted
per set and reported, never fatal."""


class IndicatorError(HandsetGuardError):
    """An indicator file or set could not be used: names the file (and indicator, if one)."""


@record
class Indicator:
    """One indicator: ``value`` normalised for lookup (hex digests and domains lower case)."""

    id: str
    type: str
    value: str
    family: str | None = None  # the malware family or campaign ("TheTruthSpy", "Predator")
    kind: str | None = None  # "stalkerware", "watchware", "spyware"… when the set says


@record
class SetProblem:
    """Something in a set that was not used: one line naming the file and the indicator."""

    file: str
    message: str
    indicator: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: indicator {self.indicator}" if self.indicator else self.file
        return f"{where}: {self.message}"


def _no_counts() -> Mapping[str, int]:
    return MappingProxyType({})


@record
class IndicatorSet:
    """A named set of indicators read from one or more files."""

    name: str
    files: tuple[str, ...]
    indicators: tuple[Indicator, ...]
    licence: str | None = None
    origin: str = "user"  # "bundled", "user" (the data dir), "option" (--iocs / the environment)
    attribution: str | None = None
    updated: str | None = None  # ISO date the set says it was made, else the newest file's mtime
    unknown_types: Mapping[str, int] = field(default_factory=_no_counts)
    problems: tuple[SetProblem, ...] = ()

    def counts(self) -> dict[str, int]:
        """Indicators per type, sorted by type."""
        found: dict[str, int] = {}
        for indicator in self.indicators:
            found[indicator.type] = found.get(indicator.type, 0) + 1
        return dict(sorted(found.items()))
