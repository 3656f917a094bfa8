"""A small bounded cache for results that are pure functions of exact input bytes.

Only values that cannot change for the same key are stored (decoded DER, a signature that
verified): a hit is as good as recomputing. Reads take no lock (a dict lookup is atomic in
CPython); writes do, and evict the oldest entry when full.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key not in self._data and len(self._data) >= self.maxsize:
                self._data.pop(next(iter(self._data)))
            self._data[key] = value

    def discard(self, key: K) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
