"""Partner webhooks: registration, the outbox of deliveries (written in the transaction that
raised the alert), HMAC-SHA256 signatures, and delivery with retries and back-off.

Signature (docs/fleet.md): header ``X-HandsetGuard-Signature: t=<unix seconds>,v1=<hex>``
where hex = HMAC-SHA256(secret, ``<t>.`` + raw body). A receiver recomputes it and refuses a
``t`` far from its clock (replay). Deliveries are claimed with a lease by a conditional
UPDATE, so several API processes never send one delivery at the same time.

A webhook's secret is stored sealed with the service's key-encryption key (core/kek.py), as
the signing keys are (AES-GCM, the webhook id as associated data: a sealed secret copied to
another row does not open); unsealed only with ``--unsafe-unsealed-keys``. A secret stored
before sealing (plain text) is still used as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from handsetguard.server.core import keywrap
from handsetguard.server.db import Database
from handsetguard.server.errors import (
    InvalidInputError,
    NotFoundError,
    ServiceError,
    UnavailableError,
)
from handsetguard.server.models import Alert, Partner, Webhook, WebhookDelivery
from handsetguard.server.services import audit
from handsetguard.server.services.actors import Actor, Role, require
from handsetguard.server.services.common import new_id, scoped, visible
from handsetguard.server.services.keys import KeyVault

__all__ = [
    "MAX_ATTEMPTS",
    "SIGNATURE_HEADER",
    "Attempt",
    "Created",
    "Sender",
    "create_webhook",
    "open_secret",
    "seal_secret",
    "deliver_due",
    "enqueue",
    "enqueue_many",
    "list_deliveries",
    "list_webhooks",
    "next_delay",
    "sign",
    "urllib_sender",
    "verify_signature",
]

SIGNATURE_HEADER = "X-HandsetGuard-Signature"
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (used by the tests' receiver; documented for partners)."""
    parts = dict(p.partition("=")[::2] for p in header.split(","))
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def next_delay(attempts: int) -> timedelta:
    """Back-off after the ``attempts``-th failure: 30 s, 1, 2, 4 … minutes, at most 1 h."""
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 3600))


@dataclass(frozen=True, slots=True)
class Created:
    webhook: Webhook
    secret: str
    """Shown once, at creation."""


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            "webhook_url_invalid", "a webhook URL must be http:// or https:// with a host"
        )


def _kid(hook_id: str) -> str:
    return f"webhook:{hook_id}"


def seal_secret(vault: KeyVault, hook_id: str, secret: str) -> str:
    """The secret as stored: sealed with the KEK, or as it is when the vault may keep keys
    unsealed (``--unsafe-unsealed-keys``); without either, refused as signing keys are."""
    if vault.kek is not None:
        return vault.kek.seal(_kid(hook_id), secret.encode())
    if vault.unsafe_unsealed:
        return secret
    raise ServiceError(
        "no_key_encryption_key",
        "no key-encryption key is configured: the webhook secret would be stored unsealed",
        remediation="set HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE, or run with "
        "--unsafe-unsealed-keys to accept the risk",
    )


def open_secret(vault: KeyVault | None, hook_id: str, stored: str) -> str:
    """The secret to sign with; :class:`UnavailableError` when it is sealed and ``vault``
    cannot open it."""
    if not keywrap.is_sealed(stored):
        return stored
    if vault is None or vault.kek is None:
        raise UnavailableError(
            "webhook_secret_sealed", "the webhook secret is sealed and no KEK is configured"
        )
    try:
        return vault.kek.unseal(_kid(hook_id), stored).decode()
    except ValueError as exc:
        raise UnavailableError("webhook_secret_unreadable", str(exc)) from None


def create_webhook(
    session: Session,
    actor: Actor,
    partner_id: str,
    url: str,
    now: datetime,
    *,
    vault: KeyVault,
) -> Created:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN)
    _check_url(url)
    visible(actor, partner_id, "partner", partner_id)
    if session.get(Partner, partner_id) is None:
        raise InvalidInputError("partner_not_found", f"no partner {partner_id}")
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook_id = new_id()
    hook = Webhook(
        id=hook_id,
        partner_id=partner_id,
        url=url,
        secret=seal_secret(vault, hook_id, secret),
        created_at=now,
        created_by=actor.credential_id,
        active=True,
    )
    session.add(hook)
    audit.append(
        session,
        actor,
        at=now,
        action="webhook.create",
        target=("webhook", hook.id),
        partner_id=partner_id,
        after={"url": url},
    )
    return Created(hook, secret)


def list_webhooks(session: Session, actor: Actor) -> list[Webhook]:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN, Role.AUDITOR)
    query = scoped(select(Webhook), actor, Webhook.partner_id).order_by(Webhook.created_at)
    return list(session.execute(query).scalars())


def list_deliveries(session: Session, actor: Actor, webhook_id: str) -> list[WebhookDelivery]:
    require(actor, Role.LICENSOR_ADMIN, Role.PARTNER_ADMIN, Role.AUDITOR)
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFoundError("webhook_not_found", f"no webhook {webhook_id}")
    visible(actor, hook.partner_id, "webhook", webhook_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(200)
    )
    return list(session.execute(query).scalars())


def enqueue_many(
    session: Session, events: list[tuple[str, str, dict[str, Any]]], *, now: datetime
) -> int:
    """:func:`enqueue` for many alerts — (partner id, alert id, event) each — in one
    statement per 1,000 deliveries; returns how many."""
    partners = sorted({partner for partner, _, _ in events})
    hooks: dict[str, list[str]] = {}
    if partners:
        found = session.execute(
            select(Webhook.partner_id, Webhook.id).where(
                Webhook.partner_id.in_(partners), Webhook.active
            )
        )
        for partner, hook_id in found:
            hooks.setdefault(partner, []).append(hook_id)
    rows = [
        {
            "id": new_id(),
            "webhook_id": hook_id,
            "alert_id": alert_id,
            "event": event,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for partner, alert_id, event in events
        for hook_id in hooks.get(partner, [])
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(WebhookDelivery), rows[start : start + 1000])
    return len(rows)


def enqueue(session: Session, alert: Alert, event: dict[str, Any], *, now: datetime) -> int:
    """One pending delivery per active webhook of the alert's partner; returns how many."""
    hooks = session.execute(
        select(Webhook.id).where(Webhook.partner_id == alert.partner_id, Webhook.active)
    ).scalars()
    count = 0
    for hook_id in hooks:
        session.add(
            WebhookDelivery(
                id=new_id(),
                webhook_id=hook_id,
                alert_id=alert.id,
                event=event,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class Attempt:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Sender = Callable[[str, bytes, dict[str, str]], Attempt]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None  # a redirect is an answer (3xx), not a new destination


_OPENER = urllib.request.build_opener(_NoRedirect)


def urllib_sender(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return Attempt(int(response.status), None)
    except urllib.error.HTTPError as exc:
        return Attempt(exc.code, f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(None, f"{type(exc).__name__}: {reason}"[:500])


def _claim(db: Database, now: datetime, limit: int) -> list[tuple[str, str, str, str, Any]]:
    """Lease up to ``limit`` due deliveries; returns (id, url, webhook id, stored secret,
    event) of each won."""
    won: list[tuple[str, str, str, str, Any]] = []
    free = or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now)
    with db.write() as session:
        due = session.execute(
            select(
                WebhookDelivery.id,
                Webhook.url,
                Webhook.id,
                Webhook.secret,
                WebhookDelivery.event,
            )
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                free,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
        for row in due:
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == row[0], free)
                .values(lease_until=now + LEASE)
            )
            if getattr(result, "rowcount", 0) == 1:
                won.append((row[0], row[1], row[2], row[3], row[4]))
    return won


def _record(db: Database, delivery_id: str, attempt: Attempt, now: datetime) -> None:
    with db.write() as session:
        row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if row is None:
            return
        row.attempts += 1
        row.last_status, row.last_error, row.lease_until = attempt.status, attempt.error, None
        if attempt.ok:
            row.status, row.delivered_at = "delivered", now
        elif row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + next_delay(row.attempts)


def deliver_due(
    db: Database,
    now: datetime,
    *,
    sender: Sender = urllib_sender,
    limit: int = 50,
    vault: KeyVault | None = None,
) -> int:
    """Send every due delivery once (signed at ``now``) and record what came of it; returns
    how many were attempted. Failures are retried later with :func:`next_delay`; so is a
    delivery whose webhook secret ``vault`` cannot open (recorded as its error)."""
    claimed = _claim(db, now, limit)
    for delivery_id, url, hook_id, stored, event in claimed:
        try:
            secret = open_secret(vault, hook_id, stored)
        except UnavailableError as exc:
            _record(db, delivery_id, Attempt(None, exc.message[:500]), now)
            continue
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "HandsetGuard-Webhook/1",
            "X-HandsetGuard-Event": str(event.get("type", "event")),
            "X-HandsetGuard-Delivery": delivery_id,
            SIGNATURE_HEADER: sign(secret, int(now.timestamp()), body),
        }
        _record(db, delivery_id, sender(url, body, headers), now)
    return len(claimed)
