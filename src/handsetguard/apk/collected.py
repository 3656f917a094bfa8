"""The APKs a device collection holds (AndroidQF's ``apks/``), each inspected as ``handsetguard
apk`` inspects a file: the signer certificates its signature carries, with the verdict on it,
tied to the package it belongs to. ``check`` uses them instead of what the phone's package
dump says about the app's signer. Bounded: a size cap per file and for all of them together,
nothing extracted to disk (:mod:`handsetguard.apk.zip`; an APK inside a zipped collection is
inflated into an anonymous memory file)."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath

from handsetguard.apk.algorithms import CertificateInfo
from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.inspect import inspect_apk, inspect_container
from handsetguard.apk.model import ApkReport
from handsetguard.apk.zip import Container, open_container_fd
from handsetguard.errors import SourceError
from handsetguard.evidence import ApkFile
from handsetguard.records import record

__all__ = [
    "MAX_COLLECTED_APK",
    "MAX_COLLECTED_APKS",
    "MAX_COLLECTED_BYTES",
    "MAX_ZIPPED_APK",
    "CollectedApk",
    "inspect_collected",
]

MAX_COLLECTED_APK = 1 << 30
"""An APK larger than this is not inspected (Play's largest base APKs are a few hundred MiB)."""
MAX_ZIPPED_APK = 256 << 20
"""An APK inside a zip collection is inflated into memory to be read: at most this large."""
MAX_COLLECTED_BYTES = 8 << 30
"""All APKs of one collection together: past this, the rest are not inspected."""
MAX_COLLECTED_APKS = 2000
"""More APKs than this in one collection are not inspected (a phone has a few hundred)."""


@record
class CollectedApk:
    """One APK file of a collection: the package it is tied to and how (``manifest``, its
    ``sha256`` in packages.json, or the ``file name``), the certificates of its signers, and
    whether that signature verifies (``problem``: why not)."""

    file: str  # as provenance names it
    package: str | None
    tied_by: str | None
    sha256: str
    verified: bool
    certificates: tuple[CertificateInfo, ...]
    problem: str | None


def _by_file_name(name: str, packages: Collection[str]) -> str | None:
    """androidqf names a copy ``<package>[_<apk name>][_<n>].apk``: the longest listed
    package the file name starts with, followed by ``_`` or the extension."""
    stem = PurePosixPath(name).name[:-4]
    found = [p for p in packages if stem == p or stem.startswith(p + "_")]
    return max(found, key=len) if found else None


def _zipped(apk: ApkFile) -> Container:
    """An APK of a zip collection inflated into an anonymous memory file (never the disk),
    bounded by :data:`MAX_ZIPPED_APK`, as a container."""
    from handsetguard.sources.limits import iter_member, open_zip

    memfd = getattr(os, "memfd_create", None)
    if memfd is None or apk.archive is None or apk.member is None:
        raise ApkFormatError(
            f"{apk.display}: inside a zip collection, and this system has no in-memory file "
            "to read it into: unzip the collection to have its signature verified"
        )
    if apk.size > MAX_ZIPPED_APK:
        raise ApkFormatError(
            f"{apk.display}: not inspected: {apk.size} bytes, over {MAX_ZIPPED_APK} for an APK "
            "read from a zip into memory; unzip the collection"
        )
    with open_zip(apk.archive, str(apk.archive)) as archive:
        try:
            info = archive.getinfo(apk.member)
        except KeyError:
            raise ApkFormatError(f"{apk.display}: no longer in the zip") from None
        fd = memfd("handsetguard-apk", os.MFD_CLOEXEC)
        try:
            for piece in iter_member(archive, info, apk.archive.name, MAX_ZIPPED_APK, 1 << 20):
                view = memoryview(piece)
                while view:
                    view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            raise
    return open_container_fd(fd, Path(apk.display))


def _report(apk: ApkFile, sdk: int | None) -> ApkReport:
    if apk.path is not None:
        return inspect_apk(apk.path, sdk)
    with _zipped(apk) as container:
        return inspect_container(container, sdk)


def _one(
    apk: ApkFile,
    sdk: int | None,
    by_sha256: Mapping[str, str],
    packages: Collection[str],
) -> CollectedApk:
    report = _report(apk, sdk)
    signature = report.signature
    package, tied_by = (report.manifest.package, "manifest") if report.manifest else (None, None)
    if not package and report.sha256 in by_sha256:
        package, tied_by = by_sha256[report.sha256], "sha256"
    if not package:
        package = _by_file_name(apk.name, packages)
        tied_by = "file name" if package else None
    problem = None
    if not signature.verified:
        problem = signature.errors[0] if signature.errors else "the signature does not verify"
    return CollectedApk(
        file=apk.display,
        package=package or None,
        tied_by=tied_by,
        sha256=report.sha256,
        verified=signature.verified,
        certificates=tuple(s.certificate for s in signature.signers),
        problem=problem,
    )


def inspect_collected(
    files: Sequence[ApkFile],
    sdk: int | None,
    by_sha256: Mapping[str, str],
    packages: Collection[str],
) -> tuple[tuple[CollectedApk, ...], tuple[tuple[str, str], ...]]:
    """Inspect every APK of ``files`` (verified for API levels from ``sdk``, the phone's, up;
    from each APK's minSdk when unknown). ``by_sha256`` maps APK file digests to packages
    (packages.json), ``packages`` are the names the phone lists. Returns the APKs read and,
    per APK that could not be, (file, one-line reason)."""
    done: list[CollectedApk] = []
    unread: list[tuple[str, str]] = []
    budget = MAX_COLLECTED_BYTES
    for count, apk in enumerate(files):
        if count == MAX_COLLECTED_APKS:
            unread += [
                (f.display, f"not inspected: more than {MAX_COLLECTED_APKS} APKs")
                for f in files[count:]
            ]
            break
        if apk.size > MAX_COLLECTED_APK:
            unread.append(
                (apk.display, f"not inspected: {apk.size} bytes, over {MAX_COLLECTED_APK}")
            )
        elif apk.size > budget:
            unread.append(
                (apk.display, f"not inspected: the APKs exceed {MAX_COLLECTED_BYTES} bytes")
            )
        else:
            budget -= apk.size
            try:
                done.append(_one(apk, sdk, by_sha256, packages))
            except SourceError as exc:  # not an APK at all, or its zip member is unreadable
                reason = (
                    exc.message.replace(str(apk.path), apk.display) if apk.path else exc.message
                )
                unread.append((apk.display, reason.removeprefix(f"{apk.display}: ")))
            except OSError as exc:  # no memory file to be had
                unread.append((apk.display, f"cannot be read into memory ({exc.strerror or exc})"))
    return tuple(done), tuple(unread)
