"""Activation with a key-attestation chain, verified by handsetguard.attest: the synthetic
factory-provisioned chain of tests/attest/assets (a locked, VERIFIED TEE key of a fictional
device, challenge 'hg-challenge', attested serial HG0001 and two IMEIs), trusted through the
attest tests' UNSAFE test root."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

attest = pytest.importorskip("handsetguard.attest")

from handsetguard.server.core.offline import load_keys, verify_activation  # noqa: E402
from handsetguard.server.models import Nonce  # noqa: E402
from handsetguard.server.services.attestation import AttestChainCheck  # noqa: E402
from tests.attest.helpers import ASSETS, unsafe_test_trust  # noqa: E402
from tests.server.conftest import Env, make_env  # noqa: E402

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # tests/attest/assets/cases.json "at"
UNIT = {
    "serial": "HG0001",
    "imei1": "490154203237518",
    "imei2": "490154203237526",
    "model_code": "HGP1",
    "territory": "IN",
}


@pytest.fixture
def attested(db_url: str) -> Iterator[tuple[Env, dict[str, str], list[str]]]:
    verifier = attest.Verifier(
        trust=unsafe_test_trust(), status_list=attest.load_status_list(ASSETS / "status.json")
    )
    env, client = make_env(db_url, attestation=AttestChainCheck(verifier=verifier))
    with client:
        env.clock.set(AT)
        partner = env.partner()
        env.agreement(partner, device_models=[{"model_code": "HGP1"}])
        factory = env.credential("factory", partner_id=partner)
        chain = attest.read_chain(ASSETS / "valid_factory.pem")
        ders = [base64.b64encode(der).decode() for der in chain.certificates]
        yield env, factory, ders


def _issue_fixed_nonce(env: Env, factory: dict[str, str], value: str) -> None:
    """The synthetic chain's challenge is fixed, so its nonce is stored as if issued."""
    credential_id = factory["Authorization"].split("_")[1]
    with env.db.write() as s:
        s.add(
            Nonce(
                value=value,
                credential_id=credential_id,
                issued_at=AT,
                expires_at=AT + timedelta(minutes=5),
            )
        )


def _post(env: Env, factory: dict[str, str], **body: Any) -> Any:
    return env.client.post("/v1/activations", json={**UNIT, **body}, headers=factory)


def test_attested_activation_accepted_only_with_matching_ids_and_nonce(
    attested: tuple[Env, dict[str, str], list[str]],
) -> None:
    env, factory, chain = attested
    fresh = env.ok("POST", "/v1/activations/nonce", factory)["nonce"]
    wrong_nonce = _post(env, factory, attestation_chain=chain, nonce=fresh)
    assert wrong_nonce.json()["error"]["code"] == "attestation_invalid"
    assert (
        "policy.challenge_mismatch" in wrong_nonce.json()["error"]["details"]["attestation_codes"]
    )

    _issue_fixed_nonce(env, factory, "hg-challenge")
    other_ids = _post(env, factory, serial="HG0002", attestation_chain=chain, nonce="hg-challenge")
    assert other_ids.json()["error"]["code"] == "attestation_invalid"

    ok = _post(env, factory, attestation_chain=chain, nonce="hg-challenge")
    assert ok.status_code == 201, ok.text
    payload = verify_activation(
        ok.json()["activation"], load_keys(env.client.get("/v1/keys").content)
    ).payload
    assert payload["attested"] is True and payload["device"]["serial"] == "HG0001"
    replay = _post(
        env,
        factory,
        serial="HG0003",
        imei1="490154203237534",
        imei2=None,
        attestation_chain=chain,
        nonce="hg-challenge",
    )
    assert replay.json()["error"]["code"] == "nonce_replayed"


@pytest.mark.parametrize(
    ("file", "code"),
    [
        # Issue 12: a duplicate extension and an x400Address SAN were answered 500 in plain text.
        ("duplicate_extension.pem", "chain.duplicate_extension"),
        ("x400_address_san.pem", None),
        ("non_strict_der.pem", None),
    ],
)
def test_certificates_cryptography_refuses_are_a_4xx_json_answer(
    attested: tuple[Env, dict[str, str], list[str]], file: str, code: str | None
) -> None:
    env, factory, _ = attested
    chain = attest.read_chain(ASSETS / file)
    ders = [base64.b64encode(der).decode() for der in chain.certificates]
    _issue_fixed_nonce(env, factory, "hg-challenge")
    answer = _post(env, factory, attestation_chain=ders, nonce="hg-challenge")
    assert answer.headers["content-type"].startswith("application/json")
    if code is None:  # read as the platform reads it: the synthetic device activates
        assert answer.status_code == 201, answer.text
    else:
        assert answer.status_code == 403, answer.text
        assert code in answer.json()["error"]["details"]["attestation_codes"]


def test_a_certificate_that_is_not_der_is_a_4xx_json_answer(
    attested: tuple[Env, dict[str, str], list[str]],
) -> None:
    env, factory, chain = attested
    broken = [base64.b64encode(b"\x30\x82\x01\x00" + b"\x02" * 40).decode(), *chain[1:]]
    _issue_fixed_nonce(env, factory, "hg-challenge")
    answer = _post(env, factory, attestation_chain=broken, nonce="hg-challenge")
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "attestation_invalid"
    assert "certificate 0" in answer.json()["error"]["message"]
