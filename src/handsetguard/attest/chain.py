"""Path validation of an attestation chain by Google's structural rules, at an explicit time.

Android's older factory chains do not conform to RFC 5280 (the Sony Xperia 10 III's factory
attestation certificate says ``cA FALSE`` and has no keyCertSign), so — as Google's verifier
(android/keyattestation ``KeyAttestationCertPathValidator``) does — a chain is judged by its
structure: it ends at a trusted key (matched by SPKI; the root certificate may be absent), each
certificate names the next as issuer and is signed by its key, every certificate but the leaf
is within validity, the attestation extension is in the leaf and nowhere else, and nothing
follows the leaf (the path has the shape of its provisioning). CA flags and unknown critical
extensions are reported, not enforced. A duplicated extension fails the chain.

Validity: the leaf's own validity is not enforced (the device sets it), the anchor's
certificate validity is not either (trust rests on the key: Google's 2016 RSA root expired on
2026-05-24 while its key still signs), and in a *factory-provisioned* chain an expired
intermediate is accepted (those keys cannot be rotated) unless ``strict``.

Signature checks of issuing certificates (shared by many devices) are cached by the exact DER of
subject and issuer; the leaf's signature is always checked; validity, names and revocation are
evaluated on every call.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from handsetguard.attest import signatures
from handsetguard.attest._cache import BoundedCache
from handsetguard.attest.certificate import ParsedCertificate, parse_certificate
from handsetguard.attest.names import same_name
from handsetguard.attest.path_checks import issuer_notices, validity
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode
from handsetguard.attest.roots import TrustedRoot, TrustStore
from handsetguard.attest.signatures import SignatureError, public_key, verify_signature

__all__ = [
    "ChainResult",
    "LinkCache",
    "ParsedCertificate",
    "Provisioning",
    "clear_caches",
    "forget_device",
    "parse_certificates",
    "validate_chain",
]

_RKP_INTERMEDIATE = ("Droid CA2", "Google LLC")


class Provisioning(enum.Enum):
    FACTORY = "factory"
    """The attestation key was provisioned in the factory (the intermediate below the root
    names a serialNumber, as Google's verifier detects it)."""
    REMOTE = "remote"
    """Remote key provisioning: the attestation certificate has the ProvisioningInfo extension."""
    UNKNOWN = "unknown"


# Certificates below the root, as Google's verifier steps through them: factory = intermediate,
# attestation, leaf; RKP = two Google intermediates, attestation, leaf.
_MAX_PATH = {Provisioning.FACTORY: 3, Provisioning.REMOTE: 4, Provisioning.UNKNOWN: 3}
_CERT_CACHE: BoundedCache[bytes, ParsedCertificate] = BoundedCache(4096)


class LinkCache:
    """(subject DER, issuer DER or SPKI) pairs whose signature verified: safe to reuse because
    the key is the exact bytes; time-dependent checks are never cached."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._cache: BoundedCache[tuple[bytes, bytes], bool] = BoundedCache(maxsize)

    def __contains__(self, pair: tuple[bytes, bytes]) -> bool:
        return self._cache.get(pair) is not None

    def add(self, pair: tuple[bytes, bytes]) -> None:
        self._cache.put(pair, True)

    def discard(self, pair: tuple[bytes, bytes]) -> None:
        self._cache.discard(pair)

    def clear(self) -> None:
        self._cache.clear()


def clear_caches() -> None:
    _CERT_CACHE.clear()
    signatures.clear_caches()


def forget_device(ders: Sequence[bytes], links: LinkCache) -> None:
    """Forget what was learnt from a chain's per-device certificates (the leaf and the
    attestation certificate: parses, keys, the signatures they are subject of), keeping the
    issuing CAs a factory line or an RKP fleet shares: benchmarks use it to stand for a device
    never seen before."""
    for index in range(min(2, len(ders))):
        cached = _CERT_CACHE.get(ders[index])
        if cached is not None:  # its key was loaded to check the certificate below it
            signatures.forget_key(cached.spki)
        _CERT_CACHE.discard(ders[index])
        if index + 1 < len(ders):
            links.discard((ders[index], ders[index + 1]))


def parse_certificates(ders: Sequence[bytes], source: str) -> tuple[ParsedCertificate, ...]:
    """Parse each certificate; unreadable ones raise ``ChainInputError``. Issuing
    certificates (index ≥ 1, shared by many devices) are cached by their exact DER."""
    parsed = []
    for index, der in enumerate(ders):
        cached = _CERT_CACHE.get(der) if index else None
        if cached is None:
            cached = parse_certificate(der, f"{source}: certificate {index}")
            if index:
                _CERT_CACHE.put(der, cached)
        parsed.append(cached)
    return tuple(parsed)


@dataclass(slots=True)
class ChainResult:
    root: TrustedRoot | None = None
    root_presented: bool = False
    provisioning: Provisioning = Provisioning.UNKNOWN
    failures: list[Failure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def trusted(self) -> bool:
        return self.root is not None and not self.failures


def _signature_failure(index: int, exc: Exception) -> Failure:
    if isinstance(exc, InvalidSignature):
        message = f"certificate {index}: signature does not verify"
        return Failure(FailureCode.SIGNATURE, message, index)
    return Failure(
        FailureCode.SIGNATURE, f"certificate {index}: signature cannot be checked ({exc})", index
    )


def _canonical_spki(cert: ParsedCertificate) -> bytes:
    """The SPKI as cryptography re-encodes it (a leniently encoded key still matches)."""
    try:
        key = public_key(cert.spki)
        return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    except (SignatureError, ValueError, TypeError):
        return cert.spki


def _find_anchor(
    chain: Sequence[ParsedCertificate], trust: TrustStore, links: LinkCache, result: ChainResult
) -> None:
    last_index = len(chain) - 1
    last = chain[-1]
    if last.self_issued:
        result.root_presented = True
        # Trust rests on the key, not on the certificate around it: its self-signature proves
        # nothing more (Google's verifier does not check it either).
        root = trust.by_spki(last.spki) or trust.by_spki(_canonical_spki(last))
        if root is not None:
            result.root = root
            return
        spki = _canonical_spki(last)
        known = trust.known_untrusted(last.spki) or trust.known_untrusted(spki)
        if known is not None and known.reason == "software":
            message = (
                f"chain ends at the AOSP software attestation root ({known.name}): "
                "a software keystore, not secure hardware"
            )
            result.failures.append(Failure(FailureCode.SOFTWARE_ROOT, message, last_index))
        else:
            message = f"chain ends at an untrusted root ({last.subject_text})"
            result.failures.append(Failure(FailureCode.UNTRUSTED_ROOT, message, last_index))
        return
    for root in trust.for_issuer(last.issuer):
        pair = (last.der, root.spki)
        if pair in links:
            result.root = root
            return
        try:
            verify_signature(last, trust.public_key(root))
        except (InvalidSignature, SignatureError):
            continue
        links.add(pair)
        result.root = root
        return
    result.failures.append(
        Failure(
            FailureCode.UNTRUSTED_ROOT,
            f"certificate {last_index} is issued by {last.issuer_text!r}, "
            "which is not a trusted root (and no root certificate follows it)",
            last_index,
        )
    )


def _check_unambiguous(chain: Sequence[ParsedCertificate], result: ChainResult) -> None:
    for index, cert in enumerate(chain):
        if cert.duplicate_extensions:
            result.failures.append(
                Failure(
                    FailureCode.DUPLICATE_EXTENSION,
                    f"certificate {index} has extension(s) {', '.join(cert.duplicate_extensions)}"
                    " more than once (RFC 5280 §4.2: which copy counts is ambiguous)",
                    index,
                )
            )
        if cert.quirks:
            shown = "; ".join(cert.quirks[:3]) + ("; …" if len(cert.quirks) > 3 else "")
            result.notices.append(
                Notice(
                    NoticeCode.NON_STRICT_ENCODING,
                    f"certificate {index} is not strict DER ({shown}); read as Android's "
                    "platform reads it, its signature checked over the exact signed bytes",
                    index,
                )
            )


def _check_extension_placement(path: Sequence[ParsedCertificate], result: ChainResult) -> None:
    others = [i for i, c in enumerate(path) if i and c.key_description is not None]
    if others:
        k = others[0]
        if not path[k].is_ca:
            result.failures.append(
                Failure(
                    FailureCode.CERTIFICATE_AFTER_LEAF,
                    f"certificate {k} is an attested key (it has the KeyDescription); the "
                    f"{k} certificate(s) before it were added after the attested leaf",
                    0,
                )
            )
        else:
            result.failures.append(
                Failure(
                    FailureCode.EXTENSION_OUTSIDE_LEAF,
                    f"certificate {k} is a CA but carries a KeyDescription: only the leaf may",
                    k,
                )
            )
    elif path[0].key_description is None:
        result.failures.append(
            Failure(FailureCode.LEAF_WITHOUT_EXTENSION, "the leaf has no KeyDescription", 0)
        )


def _is_rkp_intermediate(cert: ParsedCertificate) -> bool:
    text = cert.subject_text
    return f"CN={_RKP_INTERMEDIATE[0]}" in text and f"O={_RKP_INTERMEDIATE[1]}" in text


def _provisioning(path: Sequence[ParsedCertificate]) -> Provisioning:
    if len(path) < 2:
        return Provisioning.UNKNOWN
    if path[1].provisioning_info is not None:
        return Provisioning.REMOTE
    if path[-1].serial_number_in_subject:
        return Provisioning.FACTORY
    return Provisioning.REMOTE if _is_rkp_intermediate(path[-1]) else Provisioning.UNKNOWN


def _check_links(
    chain: Sequence[ParsedCertificate],
    path_len: int,
    root: TrustedRoot,
    links: LinkCache,
    result: ChainResult,
) -> None:
    for index in range(path_len):
        subject = chain[index]
        issuer = chain[index + 1] if index + 1 < len(chain) else None
        expected = issuer.subject if issuer is not None else root.subject
        if expected is not None and subject.issuer != expected:
            if same_name(subject.issuer, expected):
                result.notices.append(
                    Notice(
                        NoticeCode.NAME_ENCODING_DIFFERS,
                        f"certificate {index} names its issuer in another encoding of the "
                        "issuer's subject (the same name once canonical, as Java compares them)",
                        index,
                    )
                )
            else:
                result.failures.append(
                    Failure(
                        FailureCode.NAME_CHAINING,
                        f"certificate {index} names issuer {subject.issuer_text!r}"
                        " but the next certificate is not that issuer",
                        index,
                    )
                )
                return
        if issuer is None:
            continue  # issued by a key-only anchor: verified in _find_anchor
        pair = (subject.der, issuer.der)
        if index and pair in links:
            continue
        try:
            verify_signature(subject, public_key(issuer.spki))
        except (InvalidSignature, SignatureError) as exc:
            result.failures.append(_signature_failure(index, exc))
            return
        if index:
            links.add(pair)


def validate_chain(
    chain: Sequence[ParsedCertificate],
    trust: TrustStore,
    at: datetime,
    links: LinkCache,
    *,
    strict: bool = False,
) -> ChainResult:
    """Validate ``chain`` (leaf first) at time ``at``. Never raises for an invalid chain: the
    result lists failures; validation stops at the first failing structural step. ``strict``
    also refuses expired intermediates of factory-provisioned chains."""
    result = ChainResult()
    # 1. The chain must end at a trusted key: a self-issued root certificate whose SPKI is a
    #    trust anchor, or a last certificate signed by an anchor's key.
    _find_anchor(chain, trust, result=result, links=links)
    if result.root is None:
        return result
    if result.root.unsafe:
        result.notices.append(
            Notice(NoticeCode.UNSAFE_ROOT, f"unsafe: trusted via a test root ({result.root.name})")
        )
    # 2. Every certificate reads one way only (no duplicated extension); encoding quirks noted.
    _check_unambiguous(chain, result)
    if result.failures:
        return result
    path_len = len(chain) - 1 if result.root_presented else len(chain)
    if path_len == 0:
        result.failures.append(Failure(FailureCode.NO_LEAF, "the chain is only a root", 0))
        return result
    path = chain[:path_len]
    # 3. Only the leaf carries the KeyDescription; anything signed by an attested key is an
    #    extension of the chain past its leaf.
    _check_extension_placement(path, result)
    if result.failures:
        return result
    # 4. How the attestation key was provisioned decides the validity rule and path shape.
    result.provisioning = _provisioning(path)
    # 5. Issuer/subject name chaining and signatures, leaf to anchor.
    _check_links(chain, path_len, result.root, links, result)
    if result.failures:
        return result
    # 6. CA flags, path lengths and unknown critical extensions: reported only.
    result.notices.extend(issuer_notices(path))
    # 7. Path shape: factory = intermediate, attestation, leaf; RKP adds one more intermediate.
    limit = _MAX_PATH[result.provisioning]
    if path_len > limit:
        result.failures.append(
            Failure(
                FailureCode.PATH_TOO_LONG,
                f"{path_len} certificates below the root; a {result.provisioning.value} chain "
                f"has at most {limit}",
            )
        )
    # 8. Validity at the verification time (leaf: not enforced; factory: expiry accepted).
    factory = result.provisioning is Provisioning.FACTORY
    failures, notices = validity(chain, path_len, at, lenient_factory=factory and not strict)
    result.failures.extend(failures)
    result.notices.extend(notices)
    return result
