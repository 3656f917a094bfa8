"""First-time set-up: schema (Alembic), licensor, signing key, audit checkpoint key, first
licensor-admin token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from handsetguard.server.core.tokens import IssuedToken
from handsetguard.server.db import Database
from handsetguard.server.errors import ConflictError
from handsetguard.server.migrate import upgrade
from handsetguard.server.models import Licensor
from handsetguard.server.services import checkpoints, credentials, keys
from handsetguard.server.services.actors import SYSTEM, Role

__all__ = ["initialise"]


def initialise(
    db: Database, licensor_name: str, now: datetime, vault: keys.KeyVault | None = None
) -> tuple[str, IssuedToken]:
    """Returns the signing key id and the admin token (the only time it is ever shown). The
    signing key is sealed when ``vault`` has a key-encryption key."""
    upgrade(db.write_engine)
    with db.write() as session:
        if session.execute(select(Licensor.id)).first() is not None:
            raise ConflictError(
                "already_initialised",
                "this database is already initialised",
                remediation="issue more credentials with an admin token, or use a new database",
            )
        session.add(Licensor(id=1, name=licensor_name, created_at=now))
        vault = vault or keys.KeyVault()
        kid = keys.create_key(session, SYSTEM, now, vault)
        checkpoints.create_audit_key(session, vault, now)
        spec = credentials.CredentialSpec(name="first licensor admin", role=Role.LICENSOR_ADMIN)
        _, token = credentials.issue(session, SYSTEM, spec, now)
    return kid, token
