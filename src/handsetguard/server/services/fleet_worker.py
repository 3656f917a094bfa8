"""The fleet's periodic work, run by every API process (each step is safe with several:
staleness is claimed per unit, deliveries by lease): stale-unit alerts, due webhook
deliveries, the retention policy (report documents after a number of days, report summaries
after a number of whole months — baselines excepted — see report_partitions.py), the
per-model golden baselines (golden.py), and on PostgreSQL the monthly partitions of the
next months."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from anyio import to_thread
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import SQLAlchemyError

from handsetguard.server.db import Database
from handsetguard.server.errors import ServiceError
from handsetguard.server.models import PostureReport, WebhookDelivery
from handsetguard.server.services import fleet_state, golden, report_partitions, webhooks
from handsetguard.server.services.keys import KeyVault

__all__ = [
    "MONTHS_AHEAD",
    "FleetSettings",
    "Tick",
    "drop_old_summaries",
    "prepare_partitions",
    "prune_documents",
    "running",
    "tick",
]

log = logging.getLogger(__name__)


class FleetSettings(BaseSettings):
    """``HANDSETGUARD_FLEET_*`` environment variables, read when an app is built."""

    model_config = SettingsConfigDict(env_prefix="HANDSETGUARD_FLEET_", extra="ignore")

    worker_seconds: float = Field(default=5.0, ge=0)
    """How often each process runs :func:`tick`; 0 turns the worker off (then run
    ``tick`` some other way, or no stale alert and no webhook is ever sent)."""
    document_retention_days: int = Field(default=400, ge=1)
    """Full report documents older than this are dropped (the summary columns stay; a
    baseline's document is kept for as long as the unit)."""
    golden_refresh_seconds: float = Field(default=3600.0, ge=1)
    """How old the per-model golden baselines may get before a tick recomputes them."""
    summary_retention_months: int = Field(default=36, ge=0)
    """Report summaries received more than this many whole months before the current one
    are dropped (a unit's baseline is kept for as long as the unit); 0 keeps them all."""


@dataclass(frozen=True, slots=True)
class Tick:
    stale_alerts: int
    deliveries: int
    pruned: int
    summaries_dropped: int = 0


def prune_documents(db: Database, now: datetime, days: int, *, limit: int = 1000) -> int:
    """Drop the documents of non-baseline reports received more than ``days`` ago."""
    cutoff = now - timedelta(days=days)
    with db.write() as session:
        ids = list(
            session.execute(
                select(PostureReport.id)
                .where(
                    PostureReport.received_at < cutoff,
                    PostureReport.baseline.is_(False),
                    PostureReport.document.is_not(None),
                )
                .limit(limit)
            ).scalars()
        )
        if ids:
            session.execute(
                update(PostureReport)
                .where(PostureReport.id.in_(ids), PostureReport.received_at < cutoff)
                .values(document=None)
                .execution_options(synchronize_session=False)
            )
    return len(ids)


MONTHS_AHEAD = 3
"""Partitions kept ready: this month and the next two (ingestion creates a missing one
itself, so this only keeps that off the request path)."""


def prepare_partitions(db: Database, now: datetime) -> list[str]:
    """PostgreSQL: create this month's and the next months' partitions that are missing."""
    if db.sqlite:
        return []
    with db.dbapi(write=True) as conn:
        return report_partitions.ensure_months(conn, now, MONTHS_AHEAD)


def drop_old_summaries(db: Database, now: datetime, months: int, *, limit: int = 5000) -> int:
    """Drop the report summaries of the months more than ``months`` before ``now``'s,
    baselines excepted: whole partitions on PostgreSQL, ``limit`` rows a call on SQLite."""
    if months <= 0:
        return 0
    if not db.sqlite:
        with db.dbapi(write=True) as conn:
            done = 0
            for year, month in report_partitions.months_past(conn, now, months):
                done += report_partitions.shrink_month(conn, year, month)
            return done
    year, month = report_partitions.month_of(now)
    index = year * 12 + month - 1 - months
    horizon = datetime(index // 12, index % 12 + 1, 1, tzinfo=now.tzinfo)
    with db.write() as session:
        ids = list(
            session.execute(
                select(PostureReport.id)
                .where(PostureReport.received_at < horizon, PostureReport.baseline.is_(False))
                .limit(limit)
            ).scalars()
        )
        if ids:
            session.execute(
                delete(PostureReport)
                .where(PostureReport.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
    return len(ids)


def _anything_due(db: Database, now: datetime) -> bool:
    with db.read() as session:
        due = session.execute(
            select(
                exists().where(
                    WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now
                )
            )
        ).scalar_one()
    return bool(due)


def tick(
    db: Database,
    now: datetime,
    settings: FleetSettings,
    *,
    sender: webhooks.Sender = webhooks.urllib_sender,
    vault: KeyVault | None = None,
) -> Tick:
    """One round of the periodic work; ``vault`` opens the webhook secrets."""
    with db.write() as session:
        stale = len(fleet_state.stale_sweep(session, now))
        stale += len(fleet_state.never_reported_sweep(session, now))
    with db.write() as session:
        golden.refresh_due(session, now, timedelta(seconds=settings.golden_refresh_seconds))
    due = _anything_due(db, now)
    sent = webhooks.deliver_due(db, now, sender=sender, vault=vault) if due else 0
    pruned = prune_documents(db, now, settings.document_retention_days)
    prepare_partitions(db, now)
    dropped = drop_old_summaries(db, now, settings.summary_retention_months)
    return Tick(stale, sent, pruned, dropped)


@asynccontextmanager
async def running(
    db: Database,
    clock: Callable[[], datetime],
    settings: FleetSettings,
    vault: KeyVault | None = None,
) -> AsyncIterator[None]:
    """Run :func:`tick` every ``worker_seconds`` in a worker thread while the block runs."""
    if settings.worker_seconds <= 0:
        yield
        return

    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.worker_seconds)
                return
            try:
                await to_thread.run_sync(partial(tick, db, clock(), settings, vault=vault))
            except (SQLAlchemyError, OSError, ServiceError):  # logged, retried next time
                log.exception("fleet worker tick failed; next in %.0f s", settings.worker_seconds)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        stop.set()  # a tick under way finishes (its transactions end cleanly) before shutdown
        await task
