"""Path validation of an attestation chain, at an explicit time, with Android's exceptions.

The chain (leaf first) must end at a trusted key (matched by SPKI; the root certificate may be
absent), chain by name and signature, have CA issuers, and be within validity at ``at``. As in
Google's verifier (android/keyattestation ``KeyAttestationCertPathValidator``): the leaf's own
validity is not enforced (the device sets it), the anchor's certificate validity is not either
(the anchor is the key: Google's 2016 RSA root expired on 2026-05-24 while its key still signs),
and in a *factory-provisioned* chain an expired intermediate is accepted (those keys cannot be
rotated) — a *remotely provisioned* (RKP) chain must be fully within validity.

Signature checks of CA certificates (shared by many devices) are cached by the exact DER of
subject and issuer; the leaf's signature is always checked; validity, names, constraints and
revocation are evaluated on every call.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from handsetguard.attest import oids
from handsetguard.attest._cache import BoundedCache
from handsetguard.attest.errors import ChainInputError
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode
from handsetguard.attest.roots import TrustedRoot, TrustStore, spki_of

__all__ = [
    "ChainResult",
    "LinkCache",
    "ParsedCertificate",
    "Provisioning",
    "clear_caches",
    "parse_certificates",
    "validate_chain",
]

_FACTORY_TITLES = frozenset({"TEE", "StrongBox"})


class Provisioning(enum.Enum):
    FACTORY = "factory"
    """The attestation key was provisioned in the factory (intermediate named serialNumber +
    title TEE/StrongBox, as Google's verifier detects it)."""
    REMOTE = "remote"
    """Remote key provisioning: the attestation certificate has the ProvisioningInfo extension."""
    UNKNOWN = "unknown"


# Certificates below the root: factory = leaf, attestation, intermediate; RKP adds the second
# Droid CA. Google's validator enforces the same bounds.
_MAX_PATH = {Provisioning.FACTORY: 3, Provisioning.REMOTE: 4, Provisioning.UNKNOWN: 4}


@dataclass(frozen=True, slots=True)
class ParsedCertificate:
    """The facts path validation needs from one certificate, read once."""

    der: bytes
    cert: x509.Certificate
    subject: bytes
    issuer: bytes
    serial: int
    not_before: datetime
    not_after: datetime
    is_ca: bool
    path_length: int | None
    key_cert_sign: bool | None
    key_description: bytes | None
    provisioning_info: bytes | None
    unknown_critical: tuple[str, ...]
    factory_subject: bool
    spki: bytes | None = field(default=None)
    """Only computed for self-issued certificates (root candidates)."""

    @property
    def self_issued(self) -> bool:
        return self.subject == self.issuer


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

    def clear(self) -> None:
        self._cache.clear()


def clear_caches() -> None:
    _CERT_CACHE.clear()


def _extensions(
    cert: x509.Certificate, where: str
) -> dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]]:
    try:
        return {ext.oid: ext for ext in cert.extensions}
    except (ValueError, TypeError) as exc:
        raise ChainInputError(f"{where}: cannot read its extensions ({exc})") from None


def _raw_value(ext: x509.Extension[x509.ExtensionType] | None) -> bytes | None:
    if ext is None:
        return None
    value = ext.value
    return value.value if isinstance(value, x509.UnrecognizedExtension) else b""


def _factory_subject(cert: x509.Certificate) -> bool:
    titles = {a.value for a in cert.subject.get_attributes_for_oid(NameOID.TITLE)}
    serials = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return bool(serials) and bool(titles & _FACTORY_TITLES)


def _parse_one(der: bytes, where: str) -> ParsedCertificate:
    # pyca/cryptography parses names, extensions and keys lazily: read everything here, once,
    # so that a malformed certificate is unusable input and never a surprise later.
    try:
        return _read(x509.load_der_x509_certificate(der), der, where)
    except (ValueError, TypeError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
        raise ChainInputError(f"{where}: not a DER X.509 certificate ({exc})") from None


def _read(cert: x509.Certificate, der: bytes, where: str) -> ParsedCertificate:
    exts = _extensions(cert, where)
    bc = exts.get(ExtensionOID.BASIC_CONSTRAINTS)
    ku = exts.get(ExtensionOID.KEY_USAGE)
    basic = bc.value if bc is not None and isinstance(bc.value, x509.BasicConstraints) else None
    usage = ku.value if ku is not None and isinstance(ku.value, x509.KeyUsage) else None
    subject = cert.subject.public_bytes()
    issuer = cert.issuer.public_bytes()
    return ParsedCertificate(
        der=der,
        cert=cert,
        subject=subject,
        issuer=issuer,
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=basic is not None and basic.ca,
        path_length=basic.path_length if basic is not None else None,
        key_cert_sign=usage.key_cert_sign if usage is not None else None,
        key_description=_raw_value(exts.get(oids.KEY_DESCRIPTION)),
        provisioning_info=_raw_value(exts.get(oids.PROVISIONING_INFO)),
        unknown_critical=tuple(
            oid.dotted_string
            for oid, ext in exts.items()
            if ext.critical and oid not in oids.KNOWN_CRITICAL_EXTENSIONS
        ),
        factory_subject=_factory_subject(cert),
        spki=spki_of(cert) if subject == issuer else None,
    )


def parse_certificates(ders: Sequence[bytes], source: str) -> tuple[ParsedCertificate, ...]:
    """Parse each certificate; unreadable ones raise :class:`ChainInputError`. Issuing
    certificates (index ≥ 1, shared by many devices) are cached by their exact DER."""
    parsed = []
    for index, der in enumerate(ders):
        cached = _CERT_CACHE.get(der) if index else None
        if cached is None:
            cached = _parse_one(der, f"{source}: certificate {index}")
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


def _verify_with_key(cert: x509.Certificate, key: object) -> None:
    """Check ``cert``'s signature with a bare public key (an anchor known only by its SPKI)."""
    params = cert.signature_algorithm_parameters
    hash_algorithm = cert.signature_hash_algorithm
    if isinstance(key, rsa.RSAPublicKey) and isinstance(params, padding.AsymmetricPadding):
        if hash_algorithm is None:
            raise UnsupportedAlgorithm("RSA signature without a hash")
        key.verify(cert.signature, cert.tbs_certificate_bytes, params, hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(params, ec.ECDSA):
        key.verify(cert.signature, cert.tbs_certificate_bytes, params)
    elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        key.verify(cert.signature, cert.tbs_certificate_bytes)
    else:
        oid = cert.signature_algorithm_oid.dotted_string
        raise UnsupportedAlgorithm(f"signature algorithm {oid} with this key")


def _signature_failure(index: int, exc: Exception) -> Failure:
    if isinstance(exc, InvalidSignature):
        message = f"certificate {index}: signature does not verify"
        return Failure(FailureCode.SIGNATURE, message, index)
    return Failure(
        FailureCode.SIGNATURE, f"certificate {index}: signature cannot be checked ({exc})", index
    )


def _find_anchor(
    chain: Sequence[ParsedCertificate], trust: TrustStore, links: LinkCache, result: ChainResult
) -> None:
    last_index = len(chain) - 1
    last = chain[-1]
    if last.self_issued and last.spki is not None:
        result.root_presented = True
        root = trust.by_spki(last.spki)
        if root is None:
            known = trust.known_untrusted(last.spki)
            if known is not None and known.reason == "software":
                result.failures.append(
                    Failure(
                        FailureCode.SOFTWARE_ROOT,
                        f"chain ends at the AOSP software attestation root ({known.name}): "
                        "a software keystore, not secure hardware",
                        last_index,
                    )
                )
            else:
                result.failures.append(
                    Failure(
                        FailureCode.UNTRUSTED_ROOT,
                        f"chain ends at an untrusted root ({last.cert.subject.rfc4514_string()})",
                        last_index,
                    )
                )
            return
        pair = (last.der, last.der)
        if pair not in links:
            try:
                last.cert.verify_directly_issued_by(last.cert)
            except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
                result.failures.append(_signature_failure(last_index, exc))
                return
            links.add(pair)
        result.root = root
        return
    for root in trust.for_issuer(last.issuer):
        pair = (last.der, root.spki)
        if pair in links:
            result.root = root
            return
        try:
            _verify_with_key(last.cert, trust.public_key(root))
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            continue
        links.add(pair)
        result.root = root
        return
    result.failures.append(
        Failure(
            FailureCode.UNTRUSTED_ROOT,
            f"certificate {last_index} is issued by {last.cert.issuer.rfc4514_string()!r}, "
            "which is not a trusted root (and no root certificate follows it)",
            last_index,
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


def _provisioning(path: Sequence[ParsedCertificate]) -> Provisioning:
    if len(path) >= 2 and path[1].provisioning_info is not None:
        return Provisioning.REMOTE
    if len(path) >= 2 and path[-1].factory_subject:
        return Provisioning.FACTORY
    return Provisioning.UNKNOWN


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
            result.failures.append(
                Failure(
                    FailureCode.NAME_CHAINING,
                    f"certificate {index} names issuer {subject.cert.issuer.rfc4514_string()!r}"
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
            subject.cert.verify_directly_issued_by(issuer.cert)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            result.failures.append(_signature_failure(index, exc))
            return
        if index:
            links.add(pair)


def _check_issuers(path: Sequence[ParsedCertificate], result: ChainResult) -> None:
    for index, cert in enumerate(path):
        if cert.unknown_critical:
            result.failures.append(
                Failure(
                    FailureCode.UNKNOWN_CRITICAL_EXTENSION,
                    f"certificate {index} has unknown critical extension(s) "
                    f"{', '.join(cert.unknown_critical)}",
                    index,
                )
            )
        if index == 0:
            continue
        if not cert.is_ca or cert.key_cert_sign is False:
            result.failures.append(
                Failure(
                    FailureCode.ISSUER_NOT_CA,
                    f"certificate {index} issues certificate {index - 1} but is not a CA "
                    "(basicConstraints cA and keyUsage keyCertSign are required)",
                    index,
                )
            )
        elif cert.path_length is not None and index - 1 > cert.path_length:
            result.failures.append(
                Failure(
                    FailureCode.PATH_LENGTH,
                    f"certificate {index} allows {cert.path_length} intermediate(s) below it, "
                    f"the chain has {index - 1}",
                    index,
                )
            )


def _check_validity(
    chain: Sequence[ParsedCertificate], path_len: int, at: datetime, result: ChainResult
) -> None:
    leaf = chain[0]
    if not leaf.not_before <= at <= leaf.not_after:
        result.notices.append(
            Notice(
                NoticeCode.LEAF_OUTSIDE_VALIDITY,
                f"the leaf is valid {leaf.not_before:%Y-%m-%d}..{leaf.not_after:%Y-%m-%d} "
                "(set by the device; not enforced)",
                0,
            )
        )
    for index in range(1, path_len):
        cert = chain[index]
        if at < cert.not_before:
            result.failures.append(
                Failure(
                    FailureCode.NOT_YET_VALID,
                    f"certificate {index} is not valid before {cert.not_before:%Y-%m-%d %H:%M}",
                    index,
                )
            )
        elif at > cert.not_after:
            if result.provisioning is Provisioning.FACTORY:
                result.notices.append(
                    Notice(
                        NoticeCode.EXPIRED_FACTORY_CERTIFICATE,
                        f"certificate {index} expired {cert.not_after:%Y-%m-%d}; accepted: "
                        "factory-provisioned keys cannot be rotated",
                        index,
                    )
                )
            else:
                result.failures.append(
                    Failure(
                        FailureCode.EXPIRED,
                        f"certificate {index} expired {cert.not_after:%Y-%m-%d %H:%M}",
                        index,
                    )
                )
    if path_len < len(chain):
        root = chain[path_len]
        if not root.not_before <= at <= root.not_after:
            result.notices.append(
                Notice(
                    NoticeCode.ROOT_CERTIFICATE_EXPIRED,
                    f"the root certificate given is valid {root.not_before:%Y-%m-%d}.."
                    f"{root.not_after:%Y-%m-%d}; trust rests on its key, which is still trusted",
                    path_len,
                )
            )


def validate_chain(
    chain: Sequence[ParsedCertificate], trust: TrustStore, at: datetime, links: LinkCache
) -> ChainResult:
    """Validate ``chain`` (leaf first) at time ``at``. Never raises for an invalid chain: the
    result lists failures; validation stops at the first failing structural step."""
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
    path_len = len(chain) - 1 if result.root_presented else len(chain)
    if path_len == 0:
        result.failures.append(Failure(FailureCode.NO_LEAF, "the chain is only a root", 0))
        return result
    path = chain[:path_len]
    # 2. Only the leaf carries the KeyDescription; anything signed by an attested key is an
    #    extension of the chain past its leaf.
    _check_extension_placement(path, result)
    if result.failures:
        return result
    # 3. How the attestation key was provisioned decides the validity rule and path shape.
    result.provisioning = _provisioning(path)
    # 4. Issuer/subject name chaining and signatures, leaf to anchor.
    _check_links(chain, path_len, result.root, links, result)
    if result.failures:
        return result
    # 5. Every issuer is a CA (basicConstraints, keyUsage, pathLen); no unknown critical ext.
    _check_issuers(path, result)
    # 6. Path shape: factory = leaf, attestation, intermediate; RKP adds one more intermediate.
    limit = _MAX_PATH[result.provisioning]
    if path_len > limit:
        result.failures.append(
            Failure(
                FailureCode.PATH_TOO_LONG,
                f"{path_len} certificates below the root; a {result.provisioning.value} chain "
                f"has at most {limit}",
            )
        )
    # 7. Validity at the verification time (leaf: not enforced; factory: expiry accepted).
    _check_validity(chain, path_len, at, result)
    return result
