"""The per-credential rate limit, shared by every API process: a token bucket per
credential held in the database (``rate_limits``), so that N processes (or hosts) on one
database grant a credential the configured rate in all, not N times it.

To keep the database out of the hot path, a process *borrows* tokens a lease at a
time — ``rate × 50 ms`` of them, at least 1 and at most a quarter of the burst — in one
short transaction, and spends them locally; a lease not spent within a second is dropped
(the limit errs towards refusing). With the default 1,000/s that is one small write per
50 requests per process. Time is the wall clock (every process must agree on it); it is
throttling, not business time, so the injected clock is not used. Not a correctness
mechanism: quotas are enforced in the database by the activation's guarded update.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from handsetguard.server.db import Database
from handsetguard.server.models.access import RateBucket

__all__ = ["LEASE_SECONDS", "SharedRateLimiter"]

LEASE_SECONDS = 0.05
LEASE_LIFETIME = 1.0


class SharedRateLimiter:
    def __init__(self, db: Database, rate: float, burst: int) -> None:
        self.db, self.rate, self.burst = db, rate, float(burst)
        # A quarter of the burst at most, so that one process cannot drain the bucket of
        # the others between two refills.
        self.lease = max(1, min(burst // 4, int(rate * LEASE_SECONDS)))
        self._leases: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        insert = sqlite.insert if db.sqlite else postgresql.insert
        self._create = insert(RateBucket).on_conflict_do_nothing(index_elements=["key"])

    def allow(self, key: str) -> bool:
        """Spend one token of ``key``'s bucket."""
        now = time.monotonic()
        with self._lock:
            left, since = self._leases.get(key, (0, now))
            if left > 0 and now - since < LEASE_LIFETIME:
                self._leases[key] = (left - 1, since)
                return True
        granted = self._borrow(key)
        if granted == 0:
            return False
        with self._lock:
            self._leases[key] = (granted - 1, time.monotonic())
        return True

    def _borrow(self, key: str) -> int:
        """Take up to a lease of tokens from the shared bucket; how many were granted."""
        with self.db.write() as session:
            session.execute(
                self._create, {"key": key, "tokens": self.burst, "updated_at": time.time()}
            )
            tokens, updated = session.execute(
                select(RateBucket.tokens, RateBucket.updated_at)
                .where(RateBucket.key == key)
                .with_for_update()
            ).one()
            # The time once the row is ours: read before the lock, a process that waited on
            # another's borrow would see no time pass since it and be refused wrongly.
            wall = time.time()
            available = min(self.burst, tokens + max(0.0, wall - updated) * self.rate)
            granted = min(self.lease, int(available))
            session.execute(
                update(RateBucket)
                .where(RateBucket.key == key)
                .values(tokens=available - granted, updated_at=max(wall, updated))
            )
        return granted
