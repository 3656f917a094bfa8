"""The fleet tests drive the periodic work themselves (services/fleet_worker.tick), so the
app's own worker is off unless a test turns it on."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_background_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDSETGUARD_FLEET_WORKER_SECONDS", "0")
