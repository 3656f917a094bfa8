"""API credentials: issue (the token is returned once), authenticate, revoke, list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from handsetguard.server.core.tokens import (
    IssuedToken,
    hash_secret,
    issue_token,
    parse_token,
    secret_matches,
)
from handsetguard.server.errors import AuthError, ForbiddenError, InvalidInputError, NotFoundError
from handsetguard.server.models import Agreement, Credential, Partner
from handsetguard.server.services import audit
from handsetguard.server.services.actors import GLOBAL_ROLES, Actor, Role, require
from handsetguard.server.services.common import page, scoped, visible

__all__ = [
    "LOOKUP_COLUMNS",
    "LOOKUP_SQL",
    "CredentialSpec",
    "actor_from_row",
    "authenticate",
    "describe",
    "issue",
    "list_credentials",
    "revoke",
]

PARTNER_ISSUABLE = frozenset({Role.FACTORY, Role.SUPPORT})
LOOKUP_COLUMNS = (
    Credential.id,
    Credential.role,
    Credential.partner_id,
    Credential.agreement_id,
    Credential.model_code,
    Credential.factory_line,
    Credential.secret_hash,
    Credential.expires_at,
    Credential.revoked_at,
)
"""What :func:`actor_from_row` needs of a credential."""
LOOKUP_SQL = (
    "SELECT "
    + ", ".join(f"credentials.{c.key}" for c in LOOKUP_COLUMNS)
    + " FROM credentials WHERE credentials.id = :credential_id"
)
"""The same read as text, for the hot paths' bare driver connections (``:name`` style)."""
_LOOKUP = select(*LOOKUP_COLUMNS).where(Credential.id == bindparam("credential_id"))


@dataclass(frozen=True, slots=True)
class CredentialSpec:
    name: str
    role: Role
    partner_id: str | None = None
    agreement_id: str | None = None
    model_code: str | None = None
    factory_line: str | None = None
    expires_at: datetime | None = None


def describe(c: Credential) -> dict[str, Any]:
    """The audit/API view of a credential — never the secret or its hash."""
    return {
        "id": c.id,
        "name": c.name,
        "role": c.role,
        "partner_id": c.partner_id,
        "agreement_id": c.agreement_id,
        "model_code": c.model_code,
        "factory_line": c.factory_line,
        "expires_at": c.expires_at.isoformat() if c.expires_at else None,
        "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
    }


def _check_spec(session: Session, actor: Actor, spec: CredentialSpec, now: datetime) -> None:
    if actor.role is Role.PARTNER_ADMIN:
        if spec.role not in PARTNER_ISSUABLE:
            raise ForbiddenError("role_not_allowed", "partner admins issue factory/support only")
        if spec.partner_id != actor.partner_id:
            raise NotFoundError("partner_not_found", f"no partner {spec.partner_id}")
    if spec.role in GLOBAL_ROLES:
        if spec.partner_id is not None:
            raise InvalidInputError("invalid_scope", f"a {spec.role} credential has no partner")
    elif spec.partner_id is None or session.get(Partner, spec.partner_id) is None:
        raise InvalidInputError("invalid_scope", f"a {spec.role} credential needs a partner")
    scoped_fields = (spec.agreement_id, spec.model_code, spec.factory_line)
    if spec.role is not Role.FACTORY and any(v is not None for v in scoped_fields):
        raise InvalidInputError("invalid_scope", "only factory credentials take a scope")
    if spec.agreement_id is not None:
        agreement = session.get(Agreement, spec.agreement_id)
        if agreement is None or agreement.partner_id != spec.partner_id:
            raise InvalidInputError("invalid_scope", "agreement is not the partner's")
    if spec.expires_at is not None and spec.expires_at <= now:
        raise InvalidInputError("invalid_expiry", "expires_at is in the past")


def _issuer_expiry(session: Session, actor: Actor) -> datetime | None:
    """When the issuing credential expires (None: never, or the local operator)."""
    row = session.get(Credential, actor.credential_id)
    return None if row is None else row.expires_at


def issue(
    session: Session, actor: Actor, spec: CredentialSpec, now: datetime
) -> tuple[Credential, IssuedToken]:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    _check_spec(session, actor, spec, now)
    # A credential never outlives the one that issued it (and is revoked with it: revoke).
    expires_at = spec.expires_at
    ceiling = _issuer_expiry(session, actor)
    if ceiling is not None and (expires_at is None or expires_at > ceiling):
        expires_at = ceiling
    token = issue_token()
    row = Credential(
        id=token.credential_id,
        name=spec.name,
        role=spec.role.value,
        partner_id=spec.partner_id,
        agreement_id=spec.agreement_id,
        model_code=spec.model_code,
        factory_line=spec.factory_line,
        secret_hash=hash_secret(token.secret),
        created_at=now,
        created_by=actor.credential_id,
        expires_at=expires_at,
    )
    session.add(row)
    audit.append(
        session,
        actor,
        at=now,
        action="credential.issue",
        target=("credential", row.id),
        partner_id=row.partner_id,
        after=describe(row),
    )
    return row, token


def authenticate(conn: Connection | Session, token: str | None, now: datetime) -> Actor:
    if not token:
        raise AuthError("missing_credential", "send Authorization: Bearer <token>")
    parsed = parse_token(token)
    row = None
    if parsed is not None:
        row = conn.execute(_LOOKUP, {"credential_id": parsed[0]}).mappings().first()
    return actor_from_row(row, token, now)


def actor_from_row(row: Mapping[Any, Any] | None, token: str, now: datetime) -> Actor:
    """The actor of ``token`` given its credential's row (the ``_LOOKUP`` columns), looked
    up by whoever holds the connection; every refusal is a 401 with its reason."""
    parsed = parse_token(token)
    if parsed is None or row is None or not secret_matches(parsed[1], row["secret_hash"]):
        raise AuthError("invalid_credential", "unknown credential")
    if row["revoked_at"] is not None:
        raise AuthError("credential_revoked", f"credential {row['id']} was revoked")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise AuthError("credential_expired", f"credential {row['id']} has expired")
    return Actor(
        credential_id=row["id"],
        role=Role(row["role"]),
        partner_id=row["partner_id"],
        agreement_id=row["agreement_id"],
        model_code=row["model_code"],
        factory_line=row["factory_line"],
    )


def revoke(session: Session, actor: Actor, credential_id: str, now: datetime) -> Credential:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    row = session.get(Credential, credential_id, with_for_update=True)
    if row is None:
        raise NotFoundError("credential_not_found", f"no credential {credential_id}")
    visible(actor, row.partner_id, "credential", credential_id)
    if row.revoked_at is None:
        before = describe(row)
        row.revoked_at = now
        cascaded = _revoke_issued_by(session, row.id, now)
        after = describe(row)
        if cascaded:
            after["cascade"] = cascaded
        audit.append(
            session,
            actor,
            at=now,
            action="credential.revoke",
            target=("credential", row.id),
            partner_id=row.partner_id,
            before=before,
            after=after,
        )
    return row


def _revoke_issued_by(session: Session, issuer: str, now: datetime) -> list[str]:
    """Revoke, with their issuer, every live credential it issued, and theirs in turn;
    returns their ids."""
    revoked: list[str] = []
    pending = [issuer]
    while pending:
        children = (
            session.execute(
                select(Credential)
                .where(Credential.created_by.in_(pending), Credential.revoked_at.is_(None))
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for child in children:
            child.revoked_at = now
        pending = [c.id for c in children]
        revoked.extend(sorted(pending))
    return revoked


def list_credentials(
    session: Session, actor: Actor, cursor: str | None, limit: int
) -> list[Credential]:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN, Role.AUDITOR)
    query = scoped(select(Credential), actor, Credential.partner_id)
    return list(session.execute(page(query, Credential.id, cursor, limit)).scalars())
