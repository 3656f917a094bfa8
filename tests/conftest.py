"""Shared test fixtures: the path to the shared corpus of real device data (skip when absent),
and a cache and data folder of the test run's own."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The run's own $XDG_CACHE_HOME and $XDG_DATA_HOME (its subprocesses inherit them): the
# pattern cache, the indicator cache and user indicator sets are never the user's real ones,
# so no test reads what an earlier run (or the user) left there, and none writes there.
_OWN_FOLDERS = tempfile.mkdtemp(prefix="handsetguard-tests-")
os.environ["XDG_CACHE_HOME"] = os.path.join(_OWN_FOLDERS, "cache")
os.environ["XDG_DATA_HOME"] = os.path.join(_OWN_FOLDERS, "data")
atexit.register(shutil.rmtree, _OWN_FOLDERS, ignore_errors=True)

CORPUS = Path(
    os.environ.get("HANDSETGUARD_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
FIXTURES = Path(__file__).resolve().parent / "fixtures"

ATV_BUGREPORT = (
    "device/emulator-atv64-android14-bugreport/"
    "bugreport-sdk_google_atv64_arm64-UTT1.240131.001.F1-2025-11-23-10-44-46.zip"
)
PIXEL1_BUGREPORT = (
    "device/google-pixel1-sailfish-aosp10-bugreport/"
    "bugreport-sailfish-QP1A.191005.007.A3-2020-01-08-15-30-07.zip"
)
LEGACY_BUGREPORT = "device/htc-nexusone-miui-android2.3-bugreport-legacy/bugreport_aidldeadlock.txt"


def corpus_path(relative: str) -> Path:
    """Path of a corpus file; skips the calling test with a clear reason when it is absent."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus file not available: {path} (set HANDSETGUARD_CORPUS)")
    return path


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not available at {CORPUS} (set HANDSETGUARD_CORPUS)")
    return CORPUS


@pytest.fixture(autouse=True)
def _dev_null_stays_a_device() -> object:
    """No test may replace a system path: an ``-o`` that follows or replaces what is at its
    target once turned /dev/null into a regular file on the build machine. Fails the test
    that did it, by name."""
    import stat

    before = stat.S_ISCHR(os.stat(os.devnull).st_mode)
    yield
    if before:
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode), f"{os.devnull} is no longer a device"
