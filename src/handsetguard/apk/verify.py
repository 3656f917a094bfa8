"""The signature verdict on an APK for every API level from its minSdk up, composed as AOSP
apksig ``ApkVerifier`` composes the schemes: v3.1 and v3 on Android P and later, v2 where v3
does not cover (or is absent), JAR signing below Android N or when no block-based scheme is
present; the stripping protections of v1 (``X-Android-APK-Signed``) and v2 (attribute
0xbeeff00d); the same signers across schemes; the minimum scheme a target SDK requires.
"""

from __future__ import annotations

from pathlib import Path

from handsetguard.apk.algorithms import ContentDigest, certificate_info
from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.model import ApiRange, Signature, Signer
from handsetguard.apk.signing_block import (
    KNOWN_BLOCK_IDS,
    V2_ID,
    V3_ID,
    V31_ID,
    SigningBlock,
    find_signing_block,
)
from handsetguard.apk.v1 import V1Result, verify_v1
from handsetguard.apk.v2v3 import (
    MAX_SDK,
    SDK_N,
    SDK_P,
    SDK_T,
    SchemeResult,
    SchemeSigner,
    verify_scheme,
)
from handsetguard.apk.zip import Container, Tampering, TamperingKind

__all__ = ["verify_apk"]

SDK_R = 30  # target SDK R and later: v2 or later is required


def verify_apk(
    container: Container,
    min_sdk: int,
    target_sdk: int,
    target_sandbox: int = 1,
    has_manifest: bool = True,
    found: list[Tampering] | None = None,
    idsig: Path | None = None,
) -> Signature:
    """Whether Android would install ``container`` as signed on every API level from
    ``min_sdk`` up, which schemes verified, and with which signers; ``idsig``: a v4
    signature file to verify too."""
    found = found if found is not None else []
    errors: list[str] = []
    warnings: list[str] = []
    # 1. The container itself: what makes the installer refuse the file.
    errors += [
        f"container: {t.detail}" + (f" ({t.entry!r})" if t.entry else "")
        for t in container.tampering
        if t.fatal
    ]
    if not has_manifest:
        errors.append("Missing AndroidManifest.xml")
    block = find_signing_block(container, found)
    results: dict[str, SchemeResult] = {}
    digests: dict[ContentDigest, bytes] = {}
    if block is not None:
        digests = _block_schemes(container, block, min_sdk, results, errors)
    if idsig is not None:
        results["v4"] = _v4(container, idsig, digests)
    v2, v3, v31 = results.get("v2"), results.get("v3"), results.get("v3.1")
    block_schemes = {name for name in results if name != "v4"}
    found_ids = {2 for _ in [v2] if v2} | {3 for _ in [v3] if v3}
    if v2 is not None and "v3" in v2.stripping_claims and v3 is None:
        errors.append(
            "v2 signature says the APK is signed with v3, but no v3 signature was found: stripped?"
        )
    # 2. JAR signing: needed below Android N, or when there is no block-based signature.
    v1: V1Result | None = None
    if min_sdk < SDK_N or not block_schemes:
        try:
            v1 = verify_v1(container, min_sdk)
        except ApkFormatError as exc:  # MANIFEST.MF, a .SF or a signature block is corrupt
            v1 = V1Result(
                True, False, (), (f"JAR signature unreadable: {exc.message}",), frozenset()
            )
        errors += [*v1.errors, *_stripped(v1, found_ids)]
    for name, result in results.items():
        # A v4 signature is read only by incremental installs (as apksigner treats it): a bad
        # one is reported, and the APK's own verdict rests on v1-v3.
        (warnings if name == "v4" else errors).extend(result.errors)
        warnings.extend(result.warnings)
    schemes = {"v1": v1, **results}
    verified_schemes = [
        name for name in ("v1", "v2", "v3", "v3.1", "v4") if (r := schemes.get(name)) and r.verified
    ]
    # 3. Consistency: one identity across the schemes that verified.
    errors += _consistency(v1, v2, v3)
    # 4. What the target SDK and sandbox version demand.
    if target_sdk >= SDK_R and not {"v2", "v3", "v3.1"} & set(verified_schemes) and has_manifest:
        errors.append(f"target SDK {target_sdk} requires signature scheme v2 or later")
    if target_sandbox >= 2 and not {"v2", "v3", "v3.1"} & set(verified_schemes):
        errors.append(
            f"target sandbox version {target_sandbox} requires signature scheme v2 or later"
        )
    present = tuple(
        s
        for s in ("v1", "v2", "v3", "v3.1", "v4")
        if (s == "v1" and _has_v1(container, v1)) or s in results
    )
    if not present:
        errors.append("the APK is not signed")
    return Signature(
        verified=not errors and bool(verified_schemes),
        schemes=tuple(verified_schemes),
        present=present,
        signers=_signers(v1, results),
        errors=tuple(dict.fromkeys(errors)),
        warnings=tuple(warnings),
        min_sdk=min_sdk,
        blocks=tuple(KNOWN_BLOCK_IDS.get(i, f"0x{i:08x}") for i in block.order) if block else (),
        lineage=tuple(
            certificate_info(c) for r in (v31, v3) if r for s in r.signers[:1] for c in s.lineage
        ),
        api_ranges=_ranges(min_sdk, v1, results),
    )


def _consistency(
    v1: V1Result | None, v2: SchemeResult | None, v3: SchemeResult | None
) -> list[str]:
    """The same signers in v1 and v2; v2's signers within v3's (its lineage, when rotated)."""
    v1_certs = {s.certificate for s in v1.signers if s.certificate} if v1 and v1.verified else None
    v2_certs = {s.certificates[0] for s in v2.signers} if v2 and v2.verified else None
    if v1_certs is not None and v2_certs is not None and v1_certs != v2_certs:
        return ["v1 and v2 signers do not match"]
    if v2_certs is not None and v3 is not None and v3.verified:
        allowed = {c for s in v3.signers for c in (s.lineage or s.certificates[:1])}
        if not v2_certs <= allowed:
            return ["v2 and v3 signers do not match"]
    return []


def _stripped(v1: V1Result, found_ids: set[int]) -> list[str]:
    """``X-Android-APK-Signed`` in a .SF names the block schemes the signer also applied."""
    return [
        f"JAR signature says the APK is signed with v{scheme_id}, but no such signature "
        "was found: stripped?"
        for scheme_id in sorted(v1.apk_signed_claims & {2, 3})
        if scheme_id not in found_ids
    ]


def _block_schemes(
    container: Container,
    block: SigningBlock,
    min_sdk: int,
    results: dict[str, SchemeResult],
    errors: list[str],
) -> dict[ContentDigest, bytes]:
    """Verify the block-based schemes into ``results``; the content digests computed."""
    digests: dict[ContentDigest, bytes] = {}
    if any(t.kind is TamperingKind.DATA_BEFORE_EOCD for t in container.tampering):
        errors.append("central directory is not immediately followed by the EOCD")
    if V3_ID in block.pairs:
        results["v3"] = v3 = verify_scheme(container, block, V3_ID, min_sdk, MAX_SDK, digests)
        if V31_ID in block.pairs:
            results["v3.1"] = verify_scheme(
                container,
                block,
                V31_ID,
                max(min_sdk, SDK_T),
                MAX_SDK,
                digests,
                v3.rotation_min_sdk or SDK_T,
            )
            results["v3"] = verify_scheme(
                container, block, V3_ID, min_sdk, MAX_SDK, digests, v3.rotation_min_sdk or SDK_T
            )
        elif v3.rotation_min_sdk is not None:
            errors.append("v3 signer names a v3.1 rotation, but no v3.1 block was found: stripped?")
    elif V31_ID in block.pairs:
        errors.append("v3.1 block without a v3 block")
    # v2 serves the levels below P; from P up the v3 signature is what the platform reads.
    if V2_ID in block.pairs and (min_sdk < SDK_P or "v3" not in results):
        results["v2"] = verify_scheme(
            container, block, V2_ID, max(min_sdk, SDK_N), MAX_SDK, digests
        )
    return digests


def _v4(container: Container, idsig: Path, digests: dict[ContentDigest, bytes]) -> SchemeResult:
    """The .idsig beside the APK, as a scheme result (incremental installs start at R)."""
    from handsetguard.apk.v4 import verify_v4  # only beside an .idsig file

    result = verify_v4(container, idsig, digests.values())
    signers = (
        (SchemeSigner((result.certificate,), SDK_R, MAX_SDK, ()),) if result.certificate else ()
    )
    return SchemeResult("v4", result.verified, signers, result.errors)


def _has_v1(container: Container, v1: V1Result | None) -> bool:
    if v1 is not None:
        return v1.present
    return any(
        e.name.startswith("META-INF/") and e.name.upper().endswith((".RSA", ".DSA", ".EC"))
        for e in container.entries
    )


def _signers(v1: V1Result | None, results: dict[str, SchemeResult]) -> tuple[Signer, ...]:
    by_cert: dict[bytes, list[str]] = {}
    ranges: dict[bytes, tuple[int | None, int | None]] = {}
    for signer in v1.signers if v1 else ():
        if signer.certificate:
            by_cert.setdefault(signer.certificate, []).append("v1")
    for name, result in results.items():
        for s in result.signers:
            if s.certificates:
                by_cert.setdefault(s.certificates[0], []).append(name)
                if name != "v2":
                    ranges[s.certificates[0]] = (
                        s.min_sdk,
                        None if s.max_sdk == MAX_SDK else s.max_sdk,
                    )
    return tuple(
        Signer(
            certificate_info(cert), tuple(dict.fromkeys(schemes)), *ranges.get(cert, (None, None))
        )
        for cert, schemes in by_cert.items()
    )


def _ranges(
    min_sdk: int, v1: V1Result | None, results: dict[str, SchemeResult]
) -> tuple[ApiRange, ...]:
    """Which scheme each platform version uses: the newest scheme that covers it."""
    spans: list[ApiRange] = []

    def first_cert(result: SchemeResult | V1Result | None, low: int) -> str:
        if isinstance(result, V1Result):
            return (
                certificate_info(result.signers[0].certificate).sha256
                if result.signers and result.signers[0].certificate
                else ""
            )
        for s in result.signers if result else ():
            if s.min_sdk <= low <= s.max_sdk and s.certificates:
                return certificate_info(s.certificates[0]).sha256
        return ""

    v2, v3, v31 = results.get("v2"), results.get("v3"), results.get("v3.1")
    v3_low = SDK_P if v3 and v3.verified else None
    v31_low = min((s.min_sdk for s in v31.signers), default=SDK_T) if v31 and v31.verified else None
    v2_low = SDK_N if v2 and v2.verified else None
    bounds = [
        ("v1", min_sdk if v1 and v1.verified else None),
        ("v2", v2_low),
        ("v3", v3_low),
        ("v3.1", v31_low),
    ]
    active = [(name, max(low, min_sdk)) for name, low in bounds if low is not None]
    for i, (name, low) in enumerate(active):
        high = min((nxt for _, nxt in active[i + 1 :] if nxt > low), default=None)
        source = {"v1": v1, "v2": v2, "v3": v3, "v3.1": v31}[name]
        if high is None or high > low:
            spans.append(
                ApiRange(low, None if high is None else high - 1, name, first_cert(source, low))
            )
    return tuple(spans)
