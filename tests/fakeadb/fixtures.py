"""The ``fake_adb`` pytest fixture: a started, empty ``FakeAdbServer`` per test, stopped after it.

Bind it in a test module with ``from tests.fakeadb import fixtures`` and
``fake_adb = fixtures.fake_adb`` (importing the name itself makes ruff report F401 and F811),
then ``fake_adb.add(FakeDevice(...))`` and ``fake_adb.client()``. It also

- points ``ANDROID_ADB_SERVER_HOST``/``_PORT`` at the fake, for code that builds its own client;
- sets ``ADBUTILS_ADB_PATH`` to a program that does nothing, because adbutils runs
  ``<adb> start-server`` whenever it cannot connect (``AdbConnection._safe_connect``): a test
  must never start a real adb server;
- fails the test if the server recorded an internal error or leaves a thread running.
"""

from __future__ import annotations

import gc
import shutil
import threading
from collections.abc import Iterator

import pytest

from tests.fakeadb.server import FakeAdbServer

__all__ = ["NO_ADB", "fake_adb", "fakeadb_threads"]

# A program that ignores its arguments and exits: what adbutils' auto-start runs in tests.
# Without `false` (Windows) a path that does not exist: subprocess.run then raises OSError.
NO_ADB = shutil.which("false") or "/nonexistent/handsetguard-tests-no-adb"


def fakeadb_threads() -> list[threading.Thread]:
    """The fake servers' threads still alive (any server)."""
    return [t for t in threading.enumerate() if t.name.startswith("fakeadb-")]


@pytest.fixture
def fake_adb(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAdbServer]:
    monkeypatch.setenv("ADBUTILS_ADB_PATH", NO_ADB)
    with FakeAdbServer() as server:
        monkeypatch.setenv("ANDROID_ADB_SERVER_HOST", server.host)
        monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(server.port))
        yield server
    # Sockets adbutils leaked in this test are finalised now, under this test's warning filters.
    gc.collect()
    assert not server.errors, f"fake adb server errors: {server.errors!r}"
    assert not fakeadb_threads(), f"fake adb threads left running: {fakeadb_threads()}"
