"""The verifier: one call from a certificate chain to a typed :class:`Verdict`.

Modelled on sigstore-python's ``verify/verifier.py``: the trust anchors, status list and
revocation rules are fixed when the :class:`Verifier` is built; each ``verify`` call takes the
chain, a policy and an explicit verification time, and runs numbered steps. Unusable input (a
file that holds no certificate, a certificate that is not DER) raises
:class:`~handsetguard.attest.errors.ChainInputError`; everything else — untrusted, revoked,
malformed extension, policy not met — is a verdict with its reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handsetguard.attest.chain import (
    LinkCache,
    ParsedCertificate,
    Provisioning,
    parse_certificates,
    validate_chain,
)
from handsetguard.attest.errors import ChainInputError, KeyDescriptionError
from handsetguard.attest.inputs import MAX_CERTIFICATES, ChainInput
from handsetguard.attest.keydescription import KeyDescription, parse_key_description
from handsetguard.attest.policy import Attestation, Policy, UnsafeNoOp
from handsetguard.attest.provisioning import ProvisioningInfo, parse_provisioning_info
from handsetguard.attest.reasons import Failure, FailureCode, Notice, NoticeCode
from handsetguard.attest.revocation import (
    RevocationPolicy,
    RevocationResult,
    StatusList,
    check_revocation,
)
from handsetguard.attest.roots import TrustedRoot, TrustStore
from handsetguard.attest.webauthn import check_statement
from handsetguard.errors import UsageError
from handsetguard.records import record

__all__ = ["ChainInfo", "Verdict", "Verifier"]


@record
class ChainInfo:
    """The chain as given (leaf first), the anchor it ended at and how it was provisioned."""

    certificates: tuple[ParsedCertificate, ...]
    root: TrustedRoot | None
    root_presented: bool
    provisioning: Provisioning
    trusted: bool
    """Path validation passed (revocation and policy are separate)."""


@record
class Verdict:
    """The outcome: ``ok`` exactly when there is no failure. ``key_description`` is the leaf's
    decoded extension when it could be decoded — also for an invalid chain, for display: only
    an ``ok`` verdict makes its content trustworthy."""

    failures: tuple[Failure, ...]
    notices: tuple[Notice, ...]
    key_description: KeyDescription | None
    provisioning_info: ProvisioningInfo | None
    chain: ChainInfo
    revocation: RevocationResult
    at: datetime
    policy: str
    source: str

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(failure.code.value for failure in self.failures)


def _root_first(certs: Sequence[ParsedCertificate]) -> bool:
    return (
        len(certs) > 1
        and certs[0].self_issued
        and certs[0].key_description is None
        and certs[-1].key_description is not None
        and not certs[-1].self_issued
    )


def _extension_notices(kd: KeyDescription) -> list[Notice]:
    notices = []
    lists = (("softwareEnforced", kd.software_enforced), ("hardwareEnforced", kd.hardware_enforced))
    for name, auths in lists:
        if not auths.tags_in_order:
            notices.append(
                Notice(NoticeCode.TAGS_OUT_OF_ORDER, f"{name}: tags are not in ascending order", 0)
            )
        if auths.duplicate_tags:
            notices.append(
                Notice(
                    NoticeCode.DUPLICATE_TAGS,
                    f"{name}: tag(s) {list(auths.duplicate_tags)} repeated; first value used",
                    0,
                )
            )
        if auths.unknown:
            notices.append(
                Notice(
                    NoticeCode.UNKNOWN_TAGS,
                    f"{name}: unknown tag(s) {[u.tag for u in auths.unknown]} kept as raw DER",
                    0,
                )
            )
    return notices


class Verifier:
    """Verifies Android Key Attestation chains against fixed trust anchors and a status list.

    ``status_list=None`` with the default :class:`RevocationPolicy` fails every chain with
    ``revocation.unavailable`` (fail-closed). ``strict=True`` enforces the validity of every
    certificate but the leaf and the anchor, factory chains included. Safe to share between
    threads.
    """

    def __init__(
        self,
        *,
        trust: TrustStore | None = None,
        status_list: StatusList | None = None,
        revocation: RevocationPolicy | None = None,
        link_cache: LinkCache | None = None,
        strict: bool = False,
    ) -> None:
        self.trust = trust if trust is not None else TrustStore.bundled()
        self.status_list = status_list
        self.revocation = revocation if revocation is not None else RevocationPolicy()
        self.links = link_cache if link_cache is not None else LinkCache()
        self.strict = strict
        """Refuse expired intermediates of factory chains too (RFC 5280 validity)."""

    def verify(
        self, chain: ChainInput | Sequence[bytes], policy: Policy, *, at: datetime
    ) -> Verdict:
        """Verify ``chain`` (leaf first; DER certificates) at time ``at`` under ``policy``."""
        if at.tzinfo is None:
            raise UsageError("the verification time must be timezone-aware (e.g. UTC)")
        source = chain.source if isinstance(chain, ChainInput) else "<chain>"
        ders = chain.certificates if isinstance(chain, ChainInput) else tuple(chain)
        if not 1 <= len(ders) <= MAX_CERTIFICATES:
            raise ChainInputError(
                f"{source}: {len(ders)} certificates; a chain has 1 to {MAX_CERTIFICATES}"
            )
        failures: list[Failure] = []
        notices = [
            Notice(NoticeCode.TRAILING_DATA, note)
            for note in (chain.notes if isinstance(chain, ChainInput) else ())
        ]
        # 1. Parse every certificate; unusable input raises ChainInputError. A chain given
        #    root first (self-issued first, the KeyDescription last) is put leaf first.
        certs = parse_certificates(ders, source)
        if _root_first(certs):
            certs = parse_certificates(ders[::-1], source)
            notices.append(
                Notice(
                    NoticeCode.REVERSED_ORDER,
                    "the chain was given root first; read leaf first (indexes are leaf first)",
                )
            )
        # 2. Path validation at `at`: anchor by SPKI, extension placement, names, signatures,
        #    CA constraints, path shape, validity (with the factory-provisioning exception).
        path = validate_chain(certs, self.trust, at, self.links, strict=self.strict)
        failures += path.failures
        notices += path.notices
        # 3. Revocation: every certificate but the anchor, by serial, in Google's status list.
        serials = [c.serial for c in (certs[:-1] if certs[-1].self_issued else certs)]
        revocation, revoked, listed = check_revocation(
            serials, self.status_list, self.revocation, at
        )
        failures += revoked
        notices += listed
        # 4. Decode the leaf's KeyDescription, and the RKP ProvisioningInfo when present.
        key_description = None
        if certs[0].key_description is not None:
            try:
                key_description = parse_key_description(certs[0].key_description)
            except KeyDescriptionError as exc:
                failures.append(Failure(FailureCode.EXTENSION_MALFORMED, exc.message, 0))
            else:
                notices += _extension_notices(key_description)
        provisioning_info = self._provisioning_info(certs, notices)
        # 4b. A WebAuthn statement: its signature by the leaf key over authData and the client
        #     data hash, and the client data bound to the attested challenge.
        client_challenge = None
        statement = chain.webauthn if isinstance(chain, ChainInput) else None
        if statement is not None:
            found, noted, client_challenge = check_statement(statement, certs[0], key_description)
            failures += found
            notices += noted
        # 5. Policy, only on a validated chain with a decoded extension.
        if path.trusted and key_description is not None and path.root is not None:
            attestation = Attestation(
                key_description, path.provisioning, path.root, at, client_challenge
            )
            failures += policy.check(attestation)
            if isinstance(policy, UnsafeNoOp):
                notices.append(Notice(NoticeCode.UNSAFE_NO_POLICY, "unsafe: no policy applied"))
        else:
            notices.append(
                Notice(NoticeCode.POLICY_NOT_EVALUATED, "policy not evaluated: invalid chain")
            )
        info = ChainInfo(certs, path.root, path.root_presented, path.provisioning, path.trusted)
        return Verdict(
            failures=tuple(failures),
            notices=tuple(notices),
            key_description=key_description,
            provisioning_info=provisioning_info,
            chain=info,
            revocation=revocation,
            at=at,
            policy=policy.describe(),
            source=source,
        )

    @staticmethod
    def _provisioning_info(
        certs: Sequence[ParsedCertificate], notices: list[Notice]
    ) -> ProvisioningInfo | None:
        raw = certs[1].provisioning_info if len(certs) > 1 else None
        if raw is None:
            return None
        try:
            return parse_provisioning_info(raw)
        except KeyDescriptionError as exc:
            notices.append(Notice(NoticeCode.PROVISIONING_INFO_MALFORMED, exc.message, 1))
            return None
