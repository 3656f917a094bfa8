"""Partners (OEMs): create, read, rename — tenant-scoped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handsetguard.server.core.identifiers import is_country
from handsetguard.server.errors import InvalidInputError, NotFoundError
from handsetguard.server.models import Partner
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import new_id, page, scoped, visible

__all__ = ["create_partner", "get_partner", "list_partners", "update_partner"]

READERS = (Role.LICENSOR_ADMIN, Role.AUDITOR, Role.PARTNER_ADMIN, Role.SUPPORT)


def _view(p: Partner) -> dict[str, Any]:
    return {"id": p.id, "legal_name": p.legal_name, "country": p.country}


def _country(value: str) -> str:
    if not is_country(value):
        raise InvalidInputError("invalid_country", f"{value!r} is not an ISO 3166-1 alpha-2 code")
    return value


def create_partner(
    session: Session, actor: Actor, legal_name: str, country: str, now: datetime
) -> Partner:
    require(actor, Role.LICENSOR_ADMIN)
    partner = Partner(
        id=new_id(),
        legal_name=legal_name,
        country=_country(country),
        created_at=now,
        updated_at=now,
    )
    session.add(partner)
    audit.append(
        session,
        actor,
        at=now,
        action="partner.create",
        target=("partner", partner.id),
        partner_id=partner.id,
        after=_view(partner),
    )
    return partner


def get_partner(session: Session, actor: Actor, partner_id: str) -> Partner:
    require(actor, *READERS)
    visible(actor, partner_id, "partner", partner_id)
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFoundError("partner_not_found", f"no partner {partner_id}")
    return partner


def list_partners(session: Session, actor: Actor, cursor: str | None, limit: int) -> list[Partner]:
    require(actor, *READERS)
    query = scoped(select(Partner), actor, Partner.id)
    return list(session.execute(page(query, Partner.id, cursor, limit)).scalars())


def update_partner(
    session: Session, actor: Actor, partner_id: str, legal_name: str, country: str, now: datetime
) -> Partner:
    require(actor, Role.LICENSOR_ADMIN)
    partner = session.get(Partner, partner_id, with_for_update=True)
    if partner is None:
        raise NotFoundError("partner_not_found", f"no partner {partner_id}")
    before = _view(partner)
    partner.legal_name, partner.country, partner.updated_at = legal_name, _country(country), now
    audit.append(
        session,
        actor,
        at=now,
        action="partner.update",
        target=("partner", partner.id),
        partner_id=partner.id,
        before=before,
        after=_view(partner),
    )
    return partner
