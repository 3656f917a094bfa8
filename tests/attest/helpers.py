"""Shared data for the attestation tests: corpus chains with their golden JSON, the synthetic
cases built by assets/build_testcases.py, and verifier factories."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from handsetguard.attest import (
    MissingListPolicy,
    RevocationPolicy,
    RootKind,
    StatusList,
    TrustStore,
    Verifier,
    load_status_list,
)
from handsetguard.attest.roots import load_roots
from tests.conftest import corpus_path

ASSETS = Path(__file__).resolve().parent / "assets"
TESTDATA = "attestation/android-keyattestation/testdata"
SNAPSHOT = "attestation/revocation/attestation-status-snapshot-2025-01-08.json"
SNAPSHOT_TIME = datetime(2025, 1, 8, tzinfo=UTC)
TODAY = datetime(2026, 11, 25, 12, tzinfo=UTC)
ROOT_0_EXPIRY = datetime(2026, 5, 24, 16, 28, 52, tzinfo=UTC)

# Every real chain with golden values: (path under testdata, device, Android SDK, provisioning).
GOLDEN_CHAINS = [
    ("akita/sdk34/SB_RSA_NONE", "Pixel 8a", 34, "remote"),
    ("akita/sdk34/TEE_EC_NONE", "Pixel 8a", 34, "remote"),
    ("akita/sdk34/TEE_RSA_BASE+IMEI", "Pixel 8a", 34, "remote"),
    ("akita/sdk34/TEE_RSA_NONE", "Pixel 8a", 34, "remote"),
    ("akita/sdk34/TEE_RSA_NONE_USERAUTH", "Pixel 8a", 34, "remote"),
    ("blueline/sdk28/SB_RSA_NONE", "Pixel 3", 28, "factory"),
    ("blueline/sdk28/SB_RSA_NONE_USERAUTH", "Pixel 3", 28, "factory"),
    ("blueline/sdk28/TEE_EC_NONE", "Pixel 3", 28, "factory"),
    ("blueline/sdk28/TEE_RSA_BASE+IMEI", "Pixel 3", 28, "factory"),
    ("blueline/sdk28/TEE_RSA_NONE", "Pixel 3", 28, "factory"),
    ("caiman/sdk36/SB_EC_RKP", "Pixel 9 Pro", 36, "remote"),
    ("caiman/sdk36/TEE_EC_RKP", "Pixel 9 Pro", 36, "remote"),
    ("tokay/sdk37/TEE_MLDSA_FACTORY", "Pixel 9", 37, "factory"),
    ("tokay/sdk37/TEE_MLDSA_RKP", "Pixel 9", 37, "remote"),
]
SOFTWARE_CHAIN = "marlin/sdk29/TEE_EC_NONE"  # Pixel XL, Android 10 userdebug, software keystore


def chain_path(name: str) -> Path:
    return corpus_path(f"{TESTDATA}/{name}.pem")


def golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(corpus_path(f"{TESTDATA}/{name}.json").read_text())
    return data


def created_at(name: str) -> datetime:
    """The key's creation time: the natural verification time of a captured chain."""
    millis = int(golden(name)["softwareEnforced"]["creationDateTime"])
    return datetime.fromtimestamp(millis / 1000, UTC)


def snapshot() -> StatusList:
    return load_status_list(corpus_path(SNAPSHOT), fetched_at=SNAPSHOT_TIME)


def verifier(status: StatusList | None = None, **kwargs: Any) -> Verifier:
    return Verifier(status_list=status, **kwargs)


def unsafe_test_trust() -> TrustStore:
    extra, _ = load_roots(ASSETS / "test-root.pem", RootKind.UNSAFE_EXTRA)
    return TrustStore.bundled().with_unsafe_roots(extra)


FAIL_OPEN = RevocationPolicy(when_missing=MissingListPolicy.UNSAFE_FAIL_OPEN)


@cache
def cases() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((ASSETS / "cases.json").read_text())
    return data


@cache
def generator() -> ModuleType:
    """assets/build_testcases.py as a module (its independent DER encoder)."""
    spec = importlib.util.spec_from_file_location("build_testcases", ASSETS / "build_testcases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
