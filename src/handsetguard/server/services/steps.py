"""A hot path's logic written once for the threaded and the event-loop routes: a generator
that yields the store calls it needs — ``(method name, arguments)`` — and is sent what each
returned (report_ingest.py, checkins.py). :func:`drive` makes the calls on a threaded store,
:func:`drive_async` awaits them on its event-loop twin (services/fleet_async.py)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

__all__ = ["Calls", "drive", "drive_async"]

T = TypeVar("T")

Calls = Generator[tuple[str, tuple[Any, ...]], Any, T]


def drive(steps: Calls[T], store: Any) -> T:
    try:
        name, args = next(steps)
        while True:
            name, args = steps.send(getattr(store, name)(*args))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def drive_async(steps: Calls[T], store: Any) -> T:
    try:
        name, args = next(steps)
        while True:
            name, args = steps.send(await getattr(store, name)(*args))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
