"""Everything one app instance owns, built by the factory and handed to routes by a
dependency: settings, database, clock, metrics, rate limiter (services/ratelimit.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram

from handsetguard.server.clock import Clock
from handsetguard.server.config import Settings
from handsetguard.server.db import Database
from handsetguard.server.services.activation_async import AsyncPgStore
from handsetguard.server.services.activation_store import Store
from handsetguard.server.services.attestation import ChainCheck
from handsetguard.server.services.checkin_store import CheckinStore
from handsetguard.server.services.dbapi_async import AsyncPg
from handsetguard.server.services.fleet_async import LoopCheckinStore, LoopReportStore
from handsetguard.server.services.keys import KeyVault
from handsetguard.server.services.report_store import ReportStore

__all__ = ["AppContext", "Limiter", "Metrics", "RateLimiter"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "handsetguard_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "handsetguard_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.activations = Counter(
            "handsetguard_activations",
            "Activation outcomes (created, replayed, or the refusal reason code)",
            ["outcome"],
            registry=self.registry,
        )


class Limiter(Protocol):
    def allow(self, key: str) -> bool:
        """Spend one request of ``key``'s allowance; False when it is used up."""
        ...


class RateLimiter:
    """A token bucket per credential in this process only (N processes grant N times the
    rate): kept for callers that build an app without a database-backed limiter; the app
    factory uses services/ratelimit.py's SharedRateLimiter."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    attestation: ChainCheck
    metrics: Metrics = field(default_factory=Metrics)
    limiter: Limiter | None = None
    vault: KeyVault = field(default_factory=KeyVault)
    store: Store = field(init=False)
    """The activation hot path's statements for ``db``."""
    async_pg: AsyncPg | None = field(init=False)
    """PostgreSQL: the hot paths' asyncio connections (opened by the app's lifespan)."""
    async_store: AsyncPgStore | None = field(init=False)
    """The activation statements on ``async_pg``."""
    report_store: ReportStore = field(init=False)
    """The report ingestion hot path's statements for ``db``."""
    checkin_store: CheckinStore = field(init=False)
    """The attested check-in hot path's statements for ``db``."""
    loop_reports: LoopReportStore = field(init=False)
    loop_checkins: LoopCheckinStore = field(init=False)
    """The two fleet hot paths on the event loop (services/fleet_async.py)."""

    def __post_init__(self) -> None:
        self.vault.unsafe_unsealed = self.settings.unsafe_unsealed_keys
        self.store = Store(self.db, self.vault)
        self.report_store = ReportStore(self.db)
        self.checkin_store = CheckinStore(self.db)
        self.async_pg = None if self.db.sqlite else AsyncPg(self.db.url, self.settings.threads)
        self.async_store = (
            None if self.async_pg is None else AsyncPgStore(self.store, self.async_pg)
        )
        self.loop_reports = LoopReportStore(self.report_store, self.async_pg)
        self.loop_checkins = LoopCheckinStore(self.checkin_store, self.async_pg)

    def on_loop(self) -> bool:
        """Whether the fleet's hot paths run here on the event loop: always on SQLite; on
        PostgreSQL when the asyncio connections serve this loop (the app's lifespan opened
        them), else in a worker thread on the threaded stores."""
        return self.async_pg is None or self.async_pg.serves_this_loop()
