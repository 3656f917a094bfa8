"""The device state's APK facet: the APKs a collection holds (AndroidQF's ``apks/``), each
inspected for its signature and tied to a package the phone lists. The APK code is imported
only when the collection has APKs, so ``check`` of any other input does not load it."""

from __future__ import annotations

from pathlib import PurePosixPath

from handsetguard.device import Located, Unavailable
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Provenance

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from handsetguard.apk.collected import CollectedApk
    from handsetguard.parsers.packages import PackageDump

__all__ = ["apks_facet"]


def apks_facet(
    evidence: Evidence,
    listings: tuple[Located[PackageDump] | Unavailable, ...],
    sdk: int | None,
    coverage: list[CoverageEntry],
) -> Located[tuple[CollectedApk, ...]] | Unavailable:
    """The collection's APKs, verified for API levels from the phone's ``sdk`` up; one
    coverage entry for the folder and one more per APK that could not be inspected."""
    if not evidence.apk_files:
        return Unavailable("the input holds no APK files")
    from handsetguard.apk.collected import inspect_collected
    from handsetguard.sources.androidqf import APKS_SECTION  # the AndroidQF reader: only here

    by_sha256: dict[str, str] = {}
    names: set[str] = set()
    for listing in listings:
        if isinstance(listing, Unavailable):
            continue
        for package in listing.value.packages:
            names.add(package.name)
            for file in package.files:
                if file.sha256:
                    by_sha256.setdefault(file.sha256.lower(), package.name)
    done, unread = inspect_collected(evidence.apk_files, sdk, by_sha256, names)
    folder = str(PurePosixPath(evidence.apk_files[0].display).parent)
    if done:
        verified = sum(apk.verified for apk in done)
        summary = f"{len(done)} APK(s) inspected, {verified} with a signature that verifies"
        coverage.append(
            CoverageEntry(APKS_SECTION, CoverageStatus.PARSED, summary, Provenance(folder))
        )
    coverage += [
        CoverageEntry(APKS_SECTION, CoverageStatus.ERROR, f"{file}: {reason}", Provenance(file))
        for file, reason in unread
    ]
    if not done:
        return Unavailable(f"no APK of {folder} could be inspected")
    return Located(done, Provenance(folder))
