"""Helpers shared by the services: ids, tenant scoping, keyset pagination, and the INSERT
that can say ON CONFLICT on either database."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from handsetguard.server.errors import NotFoundError
from handsetguard.server.services.actors import Actor

__all__ = ["MAX_PAGE", "new_id", "page", "scoped", "upsert_insert", "visible"]

MAX_PAGE = 200
S = TypeVar("S", bound="Select[Any]")


def upsert_insert(session: Session, table: Table) -> Any:
    """INSERT into ``table`` in the session's dialect, so that ``on_conflict_do_nothing`` /
    ``on_conflict_do_update`` can follow (the service runs on PostgreSQL and SQLite only)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def new_id() -> str:
    return str(uuid.uuid4())


def scoped(query: S, actor: Actor, column: InstrumentedAttribute[Any]) -> S:
    """Restrict a query to the actor's partner unless the actor sees every tenant."""
    if actor.is_global:
        return query
    return query.where(column == actor.partner_id)


def visible(actor: Actor, partner_id: str | None, what: str, ident: str) -> None:
    """Another tenant's object answers exactly like a missing one (no existence oracle)."""
    if not actor.is_global and (partner_id is None or partner_id != actor.partner_id):
        raise NotFoundError(f"{what}_not_found", f"no {what} {ident}")


def page(query: S, key: InstrumentedAttribute[Any], cursor: str | None, limit: int) -> S:
    if cursor:
        query = query.where(key > cursor)
    return query.order_by(key).limit(max(1, min(limit, MAX_PAGE)) + 1)
