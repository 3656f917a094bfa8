"""Who is calling: the authenticated credential, its role and its tenant scope."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from handsetguard.server.errors import ForbiddenError

__all__ = ["SYSTEM", "Actor", "Role", "require"]


class Role(enum.StrEnum):
    LICENSOR_ADMIN = "licensor_admin"
    PARTNER_ADMIN = "partner_admin"
    FACTORY = "factory"
    SUPPORT = "support"
    AUDITOR = "auditor"


GLOBAL_ROLES = frozenset({Role.LICENSOR_ADMIN, Role.AUDITOR})


@dataclass(frozen=True, slots=True)
class Actor:
    credential_id: str
    role: Role
    partner_id: str | None = None
    agreement_id: str | None = None
    model_code: str | None = None
    factory_line: str | None = None

    @property
    def is_global(self) -> bool:
        """Sees every tenant (licensor admin, auditor); everyone else sees one partner."""
        return self.role in GLOBAL_ROLES


SYSTEM = Actor(credential_id="system", role=Role.LICENSOR_ADMIN)
"""The local operator running ``handsetguard server …`` commands on the database host."""


def require(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise ForbiddenError(
            "role_not_allowed",
            f"role {actor.role.value} may not do this",
            details={"allowed": sorted(r.value for r in roles)},
        )
