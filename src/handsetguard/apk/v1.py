"""JAR signing (APK signature scheme v1) verified as Android does (rules learnt from AOSP
apksig ``V1SchemeVerifier``): every signature block's PKCS#7 over its .SF file, the .SF's
digest of the whole manifest (or of its main section and each entry's section), every entry's
digest in MANIFEST.MF (the digests each API level reads), every entry covered, and
``X-Android-APK-Signed`` naming schemes that must not have been stripped."""

from __future__ import annotations

import hashlib
import re

from handsetguard.apk.errors import ApkFormatError
from handsetguard.apk.jar_levels import SDK_JB_MR2, manifest_digests, unsupported_levels
from handsetguard.apk.zip import Container, Entry
from handsetguard.records import record

__all__ = ["MAX_SIGNATURE_FILE", "V1Result", "V1Signer", "verify_v1"]

MAX_SDK = 0x7FFFFFFF
MAX_SIGNATURE_FILE = 16 << 20
"""MANIFEST.MF, .SF and signature blocks larger than this are refused (they list digests)."""
_BLOCK_SUFFIXES = (".RSA", ".DSA", ".EC")
# One section: non-empty lines, each ended by CRLF, LF, CR or the end, then one blank line.
_SECTION = re.compile(rb"(?:[^\r\n]+(?:\r\n|\r|\n|\Z))+(?:\r\n|\r|\n)?")


@record
class V1Signer:
    name: str  # the signature file's base name, e.g. CERT
    certificate: bytes | None
    chain: tuple[bytes, ...]
    algorithm: str
    errors: tuple[str, ...]


@record
class V1Result:
    present: bool
    verified: bool
    signers: tuple[V1Signer, ...]
    errors: tuple[str, ...]
    apk_signed_claims: frozenset[int]


@record
class _Section:
    name: str | None
    attributes: dict[str, str]
    raw: bytes


def _sections(data: bytes) -> list[_Section]:
    """A manifest's sections: the main one first, each with its exact bytes (up to and
    including the blank line that ends it), attribute names case-folded, continuations joined."""
    return [_section(m[0].splitlines(), m[0]) for m in _SECTION.finditer(data)]


def _section(lines: list[bytes], raw: bytes) -> _Section:
    joined: list[bytes] = []
    for line in lines:
        if line[:1] == b" " and joined:
            joined[-1] += line[1:]
        elif line:
            joined.append(line)
    attributes: dict[str, str] = {}
    for line in joined:
        key, _, value = line.partition(b":")
        attributes.setdefault(
            key.strip().decode("utf-8", "replace").lower(), value.strip().decode("utf-8", "replace")
        )
    return _Section(attributes.get("name"), attributes, raw)


def _more(items: list[_Section]) -> str:
    return f" and {len(items) - 1} more" if len(items) > 1 else ""


def _none_read(attributes: dict[str, str], suffix: str, min_sdk: int) -> str:
    """Why a section gives no digest to check: none Android knows, or only ones that the
    levels before 18 do not read."""
    if min_sdk < SDK_JB_MR2 and manifest_digests(attributes, suffix, SDK_JB_MR2):
        return (
            f"no digest API levels {min_sdk}-{SDK_JB_MR2 - 1} read (they take SHA-1, or "
            "the one Digest-Algorithms names; SHA-2 digests only from API 18)"
        )
    return "no digest Android knows"


def _needs_digest(name: str) -> bool:
    if name.endswith("/"):
        return False
    if name.startswith("META-INF/") and "/" not in name[9:]:
        lower = name[9:].lower()
        return not (
            lower == "manifest.mf"
            or lower.endswith((".sf", ".rsa", ".dsa", ".ec"))
            or lower.startswith("sig-")
        )
    return True


def verify_v1(container: Container, min_sdk: int) -> V1Result:
    """Verify the JAR signature of ``container`` for API levels from ``min_sdk`` up."""
    manifest_entry = container.by_name.get("META-INF/MANIFEST.MF")
    blocks = [
        e
        for e in container.entries
        if e.name.startswith("META-INF/")
        and "/" not in e.name[9:]
        and e.name.upper().endswith(_BLOCK_SUFFIXES)
    ]
    if manifest_entry is None:
        return V1Result(bool(blocks), False, (), ("Missing META-INF/MANIFEST.MF",), frozenset())
    manifest = container.read_entry(manifest_entry, MAX_SIGNATURE_FILE)
    sections = _sections(manifest)
    main = sections[0] if sections else _Section(None, {}, b"")
    errors: list[str] = []
    signers: list[V1Signer] = []
    claims: set[int] = set()
    by_name = {s.name: s for s in sections[1:] if s.name is not None}
    for block in sorted(blocks, key=lambda e: e.name):
        base = block.name[: block.name.rindex(".")]
        sf_entry = container.by_name.get(base + ".SF")
        if sf_entry is None:
            continue  # a block without its .SF is not a signer
        signer, signer_claims = _signer(
            container, block, sf_entry, manifest, main, by_name, min_sdk
        )
        claims |= signer_claims
        signers.append(signer)
        errors.extend(signer.errors)
    if not signers:
        return V1Result(bool(blocks), False, (), ("No JAR signatures",), frozenset())
    errors.extend(_check_entries(container, by_name, min_sdk))
    return V1Result(True, not errors, tuple(signers), tuple(errors), frozenset(claims))


def _signer(
    container: Container,
    block: Entry,
    sf_entry: Entry,
    manifest: bytes,
    main: _Section,
    by_name: dict[str, _Section],
    min_sdk: int,
) -> tuple[V1Signer, set[int]]:
    # PKCS#7 (pyasn1) is loaded only for an APK that has a JAR signature to check.
    from handsetguard.apk.pkcs7 import Pkcs7Error, parse_signed_data, verify_signer

    base = sf_entry.name[9:-3]
    errors: list[str] = []
    signed_file = container.read_entry(sf_entry, MAX_SIGNATURE_FILE)
    # 1. The signature block: the first SignerInfo that verifies over the .SF file.
    try:
        signed = parse_signed_data(container.read_entry(block, MAX_SIGNATURE_FILE))
    except Pkcs7Error as exc:
        return V1Signer(base, None, (), "", (f"JAR signer {base}: {exc}",)), set()
    verdicts = [
        verify_signer(info, signed.certificates, signed_file) for info in signed.signer_infos
    ]
    good = next((v for v in verdicts if v.verified), None)
    if good is None:
        reason = verdicts[0].error if verdicts else "no signer information"
        errors.append(f"JAR signer {base}: {reason}")
    chosen = good or (verdicts[0] if verdicts else None)
    certificate = chosen.certificate if chosen else None
    algorithm = chosen.algorithm if chosen else ""
    if good is not None:
        gaps = unsupported_levels(good.key_type, good.digest, good.signature_hash, min_sdk, MAX_SDK)
        if gaps:
            levels = ", ".join(f"{lo}-{'' if hi is None else hi}" for lo, hi in gaps)
            errors.append(
                f"JAR signer {base}: {good.algorithm} (digest {good.digest}) is not supported "
                f"on API levels {levels}"
            )
    # 2. The .SF: the whole manifest's digest, else main attributes' and each section's.
    claims = _check_signed_file(base, signed_file, manifest, main, by_name, min_sdk, errors)
    return V1Signer(base, certificate, signed.certificates, algorithm, tuple(errors)), claims


def _check_signed_file(
    base: str,
    signed_file: bytes,
    manifest: bytes,
    main: _Section,
    by_name: dict[str, _Section],
    min_sdk: int,
    errors: list[str],
) -> set[int]:
    """The .SF's digest of the whole manifest, else of its main attributes and each section,
    into ``errors``; the scheme ids its ``X-Android-APK-Signed`` names."""
    sf_sections = _sections(signed_file)
    sf_main = sf_sections[0].attributes if sf_sections else {}
    claims = {int(x) for x in re.findall(r"\d+", sf_main.get("x-android-apk-signed", ""))}
    whole = manifest_digests(sf_main, "-Digest-Manifest", min_sdk)
    if not whole or any(hashlib.new(a, manifest).digest() != v for a, v in whole):
        for a, v in manifest_digests(sf_main, "-Digest-Manifest-Main-Attributes", min_sdk):
            if hashlib.new(a, main.raw).digest() != v:
                errors.append(f"JAR signer {base}: manifest main attributes digest mismatch")
        listed = {s.name for s in sf_sections[1:] if s.name is not None}
        unread: list[_Section] = []
        for section in sf_sections[1:]:
            target = by_name.get(section.name or "")
            if target is None:
                errors.append(
                    f"JAR signer {base}: {section.name!r} is in the .SF but not the manifest"
                )
                continue
            expected = manifest_digests(section.attributes, "-Digest", min_sdk)
            if not expected:
                unread.append(section)
            elif any(hashlib.new(a, target.raw).digest() != v for a, v in expected):
                errors.append(
                    f"JAR signer {base}: manifest section {section.name!r} digest mismatch"
                )
        if unread:
            reason = _none_read(unread[0].attributes, "-Digest", min_sdk)
            first = unread[0].name
            errors.append(f"JAR signer {base}: {first!r}{_more(unread)}: {reason} in the .SF")
        missing = sorted(set(by_name) - listed)
        if missing:
            errors.append(f"JAR signer {base}: entry {missing[0]!r} not signed by this signer")
    return claims


def _check_entries(container: Container, by_name: dict[str, _Section], min_sdk: int) -> list[str]:
    """Every entry that needs one has a manifest digest that matches, and every manifest
    section names an entry that exists."""
    errors: list[str] = []
    unread: list[_Section] = []
    for entry in container.entries:
        if not _needs_digest(entry.name):
            continue
        section = by_name.get(entry.name)
        if section is None:
            errors.append(
                f"{entry.name!r} is not protected by the JAR signature (not in MANIFEST.MF)"
            )
            continue
        expected = manifest_digests(section.attributes, "-Digest", min_sdk)
        if not expected:
            unread.append(section)
            continue
        hashers = [hashlib.new(a) for a, _ in expected]
        try:
            for piece in container.iter_entry(entry):
                for hasher in hashers:
                    hasher.update(piece)
        except ApkFormatError as exc:  # corrupt data: the entry cannot match its digest
            errors.append(f"{entry.name!r}: unreadable ({exc.message.rpartition(': ')[2]})")
            continue
        if any(h.digest() != v for h, (_, v) in zip(hashers, expected, strict=True)):
            errors.append(f"{entry.name!r}: digest does not match MANIFEST.MF")
    if unread:
        reason = _none_read(unread[0].attributes, "-Digest", min_sdk)
        errors.append(f"{unread[0].name!r}{_more(unread)}: {reason} in MANIFEST.MF")
    names = set(container.by_name)
    for name in sorted(set(by_name) - names):
        errors.append(f"MANIFEST.MF lists {name!r}, which is not in the APK")
        break
    return errors
