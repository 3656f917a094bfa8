"""The rules of a validated path that are about each certificate alone: the issuers' CA
flags, path lengths and unknown critical extensions (reported, never failing, as in Google's
verifier) and validity at the verification time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handsetguard.attest.certificate import ParsedCertificate
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode

__all__ = ["issuer_notices", "validity"]


def issuer_notices(path: Sequence[ParsedCertificate]) -> list[Notice]:
    """RFC 5280 constraints Google's verifier does not enforce: reported, never failing."""
    notices: list[Notice] = []
    for index, cert in enumerate(path):
        if cert.unknown_critical:
            notices.append(
                Notice(
                    NoticeCode.UNKNOWN_CRITICAL_EXTENSION,
                    f"certificate {index} has unknown critical extension(s) "
                    f"{', '.join(cert.unknown_critical)} (not enforced, as in Google's verifier)",
                    index,
                )
            )
        if index == 0:
            continue
        if not cert.is_ca or cert.key_cert_sign is False:
            notices.append(
                Notice(
                    NoticeCode.ISSUER_NOT_CA_ACCEPTED,
                    f"certificate {index} issues certificate {index - 1} without the CA flags "
                    "(basicConstraints cA, keyUsage keyCertSign); accepted by its place in the "
                    "chain, as Google's verifier does for older devices",
                    index,
                )
            )
        elif cert.path_length is not None and index - 1 > cert.path_length:
            notices.append(
                Notice(
                    NoticeCode.ISSUER_NOT_CA_ACCEPTED,
                    f"certificate {index} allows {cert.path_length} intermediate(s) below it, "
                    f"the chain has {index - 1} (not enforced, as in Google's verifier)",
                    index,
                )
            )
    return notices


def validity(
    chain: Sequence[ParsedCertificate], path_len: int, at: datetime, *, lenient_factory: bool
) -> tuple[list[Failure], list[Notice]]:
    """Each certificate's validity at ``at``: the leaf's is noted only (the device sets it),
    the root given is trusted by its key; an expired certificate of a factory-provisioned
    chain is a notice when ``lenient_factory`` (its keys cannot be rotated), else a failure."""
    failures: list[Failure] = []
    notices: list[Notice] = []
    leaf = chain[0]
    if not leaf.not_before <= at <= leaf.not_after:
        notices.append(
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
            failures.append(
                Failure(
                    FailureCode.NOT_YET_VALID,
                    f"certificate {index} is not valid before {cert.not_before:%Y-%m-%d %H:%M}",
                    index,
                )
            )
        elif at > cert.not_after:
            if lenient_factory:
                notices.append(
                    Notice(
                        NoticeCode.EXPIRED_FACTORY_CERTIFICATE,
                        f"certificate {index} expired {cert.not_after:%Y-%m-%d}; accepted: "
                        "factory-provisioned keys cannot be rotated (--strict refuses it)",
                        index,
                    )
                )
            else:
                failures.append(
                    Failure(
                        FailureCode.EXPIRED,
                        f"certificate {index} expired {cert.not_after:%Y-%m-%d %H:%M}",
                        index,
                    )
                )
    if path_len < len(chain):
        root = chain[path_len]
        if not root.not_before <= at <= root.not_after:
            notices.append(
                Notice(
                    NoticeCode.ROOT_CERTIFICATE_EXPIRED,
                    f"the root certificate given is valid {root.not_before:%Y-%m-%d}.."
                    f"{root.not_after:%Y-%m-%d}; trust rests on its key, which is still trusted",
                    path_len,
                )
            )
    return failures, notices
