"""The app bench_fleet.py serves for its check-in measurement: the service as built by
``create_app``, except that its attestation verifier trusts the project's synthetic test root
(tests/attest/assets) instead of Google's, so that the benchmark can make one chain per
check-in answering its challenge. UNSAFE: for benchmarks on loopback only.

``uvicorn --factory fleet_app:create_unsafe_test_trust_app`` (benchmarks/ and the repository
root on PYTHONPATH).
"""

from __future__ import annotations

from fastapi import FastAPI

from handsetguard.server.app import create_app
from handsetguard.server.config import Settings
from handsetguard.server.services.attestation import AttestChainCheck


def unsafe_test_trust_check() -> AttestChainCheck:
    from tests.attest.helpers import ASSETS, unsafe_test_trust

    import handsetguard.attest as attest

    verifier = attest.Verifier(
        trust=unsafe_test_trust(), status_list=attest.load_status_list(ASSETS / "status.json")
    )
    return AttestChainCheck(verifier=verifier)


def create_unsafe_test_trust_app() -> FastAPI:
    return create_app(Settings(), attestation=unsafe_test_trust_check())
