"""Agreements: create, amend (each amendment a new version), change status, read."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.core.identifiers import is_country, is_currency, is_valid_model_code
from handsetguard.server.errors import ConflictError, InvalidInputError, NotFoundError
from handsetguard.server.models import Agreement, AgreementVersion, Partner
from handsetguard.server.schemas.common import INT32_MAX
from handsetguard.server.schemas.licensing import AgreementTerms
from handsetguard.server.services import audit, revocations
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import new_id, page, scoped, visible

__all__ = [
    "MODULES",
    "amend",
    "create_agreement",
    "get_agreement",
    "list_agreements",
    "list_versions",
    "set_status",
    "terms_of",
]

MODULES = frozenset({"check", "privacy", "factory_gate", "watch", "attest", "iocs", "apk"})
READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN)
TRANSITIONS = {
    "active": {"suspended", "terminated"},
    "suspended": {"active", "terminated"},
    "terminated": set[str](),
}


def _invalid(code: str, message: str) -> InvalidInputError:
    return InvalidInputError(code, message)


def validate_terms(terms: AgreementTerms) -> None:
    unknown = sorted(set(terms.modules) - MODULES)
    if unknown:
        raise _invalid("invalid_module", f"unknown module(s) {unknown}; use {sorted(MODULES)}")
    bad = [t for t in terms.territories if not is_country(t)]
    if bad:
        raise _invalid("invalid_territory", f"not ISO 3166-1 alpha-2: {bad}")
    for model in terms.device_models:
        if not is_valid_model_code(model.model_code):
            raise _invalid("invalid_model", f"bad model code {model.model_code!r}")
        if any(not (p.isdigit() and 1 <= len(p) <= 8) for p in model.tac_prefixes):
            raise _invalid("invalid_tac", f"TAC prefixes are 1-8 digits ({model.model_code})")
    if len({m.model_code for m in terms.device_models}) != len(terms.device_models):
        raise _invalid("invalid_model", "a model code is listed twice")
    if terms.term_end < terms.term_start:
        raise _invalid("invalid_term", "term_end is before term_start")
    if not is_currency(terms.currency):
        raise _invalid("invalid_currency", f"{terms.currency!r} is not an ISO 4217 code")
    if unit_limit(terms) > INT32_MAX:
        raise _invalid(
            "invalid_quota", f"quota × overage_factor is over {INT32_MAX} units (the counter)"
        )
    starts = [t.from_units for t in terms.royalty_tiers]
    if starts[0] != 0 or starts != sorted(set(starts)):
        raise _invalid("invalid_tiers", "tiers start at 0 units and increase strictly")


def unit_limit(terms: AgreementTerms) -> int:
    if terms.overage_policy == "block":
        return terms.quota
    return math.floor(terms.quota * terms.overage_factor)


def terms_of(a: Agreement) -> AgreementTerms:
    return AgreementTerms.model_validate(
        {
            "name": a.name,
            "modules": a.modules,
            "brand_assets": a.brand_assets,
            "territories": a.territories,
            "device_models": a.device_models,
            "quota": a.quota,
            "overage_policy": a.overage_policy,
            "overage_factor": a.overage_factor,
            "term_start": a.term_start,
            "term_end": a.term_end,
            "currency": a.currency,
            "royalty_tiers": a.royalty_tiers,
        }
    )


def _apply(a: Agreement, terms: AgreementTerms) -> None:
    dumped = terms.model_dump(mode="json")
    a.name, a.modules, a.brand_assets = terms.name, terms.modules, terms.brand_assets
    a.territories, a.device_models = terms.territories, dumped["device_models"]
    a.quota, a.overage_policy, a.overage_factor = (
        terms.quota,
        terms.overage_policy,
        terms.overage_factor,
    )
    a.unit_limit = unit_limit(terms)
    a.term_start, a.term_end, a.currency = terms.term_start, terms.term_end, terms.currency
    a.royalty_tiers = dumped["royalty_tiers"]


def _state(a: Agreement) -> dict[str, Any]:
    return {
        "version": a.version,
        "status": a.status,
        "terms": terms_of(a).model_dump(mode="json"),
    }


def create_agreement(
    session: Session, actor: Actor, partner_id: str, terms: AgreementTerms, now: datetime
) -> Agreement:
    require(actor, Role.LICENSOR_ADMIN)
    if session.get(Partner, partner_id) is None:
        raise NotFoundError("partner_not_found", f"no partner {partner_id}")
    validate_terms(terms)
    agreement = Agreement(
        id=new_id(),
        partner_id=partner_id,
        version=1,
        status="active",
        used=0,
        created_at=now,
        updated_at=now,
    )
    _apply(agreement, terms)
    session.add(agreement)
    session.add(
        AgreementVersion(
            agreement_id=agreement.id,
            version=1,
            terms=terms.model_dump(mode="json"),
            note="initial",
            created_at=now,
            created_by=actor.credential_id,
        )
    )
    audit.append(
        session,
        actor,
        at=now,
        action="agreement.create",
        target=("agreement", agreement.id),
        partner_id=partner_id,
        after=_state(agreement),
    )
    return agreement


def _locked(session: Session, agreement_id: str) -> Agreement:
    agreement = session.get(Agreement, agreement_id, with_for_update=True)
    if agreement is None:
        raise NotFoundError("agreement_not_found", f"no agreement {agreement_id}")
    return agreement


def amend(
    session: Session,
    actor: Actor,
    agreement_id: str,
    terms: AgreementTerms,
    note: str,
    now: datetime,
) -> Agreement:
    require(actor, Role.LICENSOR_ADMIN)
    validate_terms(terms)
    agreement = _locked(session, agreement_id)
    if agreement.status == "terminated":
        raise ConflictError("agreement_terminated", "a terminated agreement cannot be amended")
    if unit_limit(terms) < agreement.used:
        raise ConflictError(
            "quota_below_used",
            f"{agreement.used} units are already activated; the new limit would be lower",
        )
    before = _state(agreement)
    agreement.version += 1
    agreement.updated_at = now
    _apply(agreement, terms)
    session.add(
        AgreementVersion(
            agreement_id=agreement.id,
            version=agreement.version,
            terms=terms.model_dump(mode="json"),
            note=note,
            created_at=now,
            created_by=actor.credential_id,
        )
    )
    audit.append(
        session,
        actor,
        at=now,
        action="agreement.amend",
        target=("agreement", agreement.id),
        partner_id=agreement.partner_id,
        before=before,
        after={**_state(agreement), "note": note},
    )
    return agreement


def set_status(
    session: Session, actor: Actor, agreement_id: str, status: str, reason: str, now: datetime
) -> Agreement:
    require(actor, Role.LICENSOR_ADMIN)
    agreement = _locked(session, agreement_id)
    if status == agreement.status:
        return agreement
    if status not in TRANSITIONS[agreement.status]:
        raise ConflictError(
            "invalid_transition", f"agreement is {agreement.status}; cannot become {status}"
        )
    before = {"status": agreement.status}
    agreement.status, agreement.updated_at = status, now
    revocations.changed(session)
    audit.append(
        session,
        actor,
        at=now,
        action=f"agreement.{status}",
        target=("agreement", agreement.id),
        partner_id=agreement.partner_id,
        before=before,
        after={"status": status, "reason": reason},
    )
    return agreement


def get_agreement(session: Session, actor: Actor, agreement_id: str) -> Agreement:
    require(actor, *READERS)
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise NotFoundError("agreement_not_found", f"no agreement {agreement_id}")
    visible(actor, agreement.partner_id, "agreement", agreement_id)
    return agreement


def list_agreements(
    session: Session, actor: Actor, cursor: str | None, limit: int, partner_id: str | None = None
) -> list[Agreement]:
    require(actor, *READERS)
    query = scoped(select(Agreement), actor, Agreement.partner_id)
    if partner_id is not None:
        query = query.where(Agreement.partner_id == partner_id)
    return list(session.execute(page(query, Agreement.id, cursor, limit)).scalars())


def list_versions(session: Session, actor: Actor, agreement_id: str) -> list[AgreementVersion]:
    get_agreement(session, actor, agreement_id)
    query = (
        select(AgreementVersion)
        .where(AgreementVersion.agreement_id == agreement_id)
        .order_by(AgreementVersion.version)
    )
    return list(session.execute(query).scalars())
