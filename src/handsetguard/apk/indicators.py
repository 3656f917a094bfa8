"""An APK matched against the threat indicator index (``handsetguard.threats.indicators``):
its package name, its signers' certificate digests and the file's own SHA-256, one hash
probe each, as ``check`` matches the apps of a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handsetguard.records import record

if TYPE_CHECKING:
    from handsetguard.apk.model import ApkReport
    from handsetguard.threats.indicators import IndicatorIndex

__all__ = ["IndicatorHit", "match_indicators"]


@record
class IndicatorHit:
    what: str  # "package", "certificate", "file"
    value: str
    indicator: str  # the indicator's id in its set
    family: str | None
    set_name: str


def match_indicators(report: ApkReport, index: IndicatorIndex) -> tuple[IndicatorHit, ...]:
    probes: list[tuple[str, str, str]] = []
    if report.manifest is not None and report.manifest.package:
        probes.append(("package", "app", report.manifest.package.lower()))
    for signer in report.signature.signers:
        cert = signer.certificate
        probes += [("certificate", "cert", d) for d in (cert.sha256, cert.sha1, cert.md5)]
    probes.append(("file", "hash", report.sha256))
    hits: list[IndicatorHit] = []
    seen: set[int] = set()
    for what, map_name, key in probes:
        for row in index.lookup(map_name, key):
            if row in seen:
                continue
            seen.add(row)
            indicator, summary = index.indicator(row)
            hits.append(IndicatorHit(what, key, indicator.id, indicator.family, summary.name))
    return tuple(hits)
