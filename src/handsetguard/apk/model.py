"""What ``handsetguard apk`` reports about one APK: frozen records, filled by
:mod:`handsetguard.apk.inspect`, read by the renderers. Strings from the APK are untrusted."""

from __future__ import annotations

from handsetguard.apk.algorithms import CertificateInfo
from handsetguard.apk.indicators import IndicatorHit
from handsetguard.apk.manifest import Manifest
from handsetguard.apk.trackers import TrackerHit
from handsetguard.apk.zip import Tampering
from handsetguard.records import record

__all__ = ["ApiRange", "ApkReport", "Signature", "Signer"]


@record
class Signer:
    """One signing certificate and the schemes that verified with it."""

    certificate: CertificateInfo
    schemes: tuple[str, ...]
    min_sdk: int | None = None
    max_sdk: int | None = None


@record
class ApiRange:
    """Which scheme (and signer) a platform version in ``[low, high]`` verifies the APK with."""

    low: int
    high: int | None  # None: every later version
    scheme: str
    signer_sha256: str


@record
class Signature:
    """``verified``: would Android install this APK as signed, on every API level from
    ``min_sdk`` up. ``schemes``: the schemes that verified; ``present``: those found."""

    verified: bool
    schemes: tuple[str, ...]
    present: tuple[str, ...]
    signers: tuple[Signer, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    min_sdk: int
    blocks: tuple[str, ...]  # APK Signing Block entries, by name or hex id
    lineage: tuple[CertificateInfo, ...]
    api_ranges: tuple[ApiRange, ...]


@record
class ApkReport:
    path: str
    size: int
    sha256: str
    entries: int
    manifest: Manifest | None
    manifest_notes: tuple[str, ...]
    manifest_error: str | None
    signature: Signature
    tampering: tuple[Tampering, ...]
    dex_files: tuple[str, ...]
    native_abis: tuple[str, ...]
    classes: int = 0  # class definitions declared by the DEX headers
    trackers: tuple[TrackerHit, ...] | None = None  # None: no tracker list was given
    indicators: tuple[IndicatorHit, ...] | None = None  # None: no indicator index was given
    notes: tuple[str, ...] = ()  # DEX files that did not check out
