"""``possible_clone`` alerts (issue 14, item 5) on SQLite and PostgreSQL, with real key
attestation chains from the corpus (android/keyattestation testdata: a Pixel 8a on Android 14
with ID attestation of its two IMEIs, a Pixel 3 on Android 9 with its one, each also without
IDs; all answer the challenge "challenge", verified under Google's roots at the Pixel 8a
chain's creation time) and the bundled example's real JSON report:

- a check-in for unit B whose chain attests unit A's IMEIs raises it on both units, queued for
  the partners' webhooks and shown on the support card and the dashboard;
- another product attested (Pixel 3 answering for a Pixel 8a unit) or reported (another
  fingerprint's brand/product/device) raises it on the unit; an OS update does not;
- check-ins going back to an earlier verified-boot key (K1, K2, K1) raise it; one re-flash
  (K1, K1, K2, K2) is only the regression it always was."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

attest = pytest.importorskip("handsetguard.attest")

from sqlalchemy import select  # noqa: E402

from handsetguard.server.models import Alert, CheckInChallenge, WebhookDelivery  # noqa: E402
from handsetguard.server.services.attestation import AttestChainCheck  # noqa: E402
from handsetguard.server.services.clones import product_of_fingerprint  # noqa: E402
from tests.attest.helpers import chain_path, created_at, snapshot  # noqa: E402
from tests.server.conftest import Env, make_env  # noqa: E402
from tests.server.fleet.helpers import (  # noqa: E402
    Tenant,
    activate,
    example_report,
    stored_webhook,
    tenant,
)
from tests.server.fleet.test_ui import _sign_in  # noqa: E402

PIXEL_8A = "akita/sdk34/TEE_RSA_BASE+IMEI"  # attests google/akita/akita, two IMEIs
PIXEL_8A_NO_IDS = "akita/sdk34/TEE_EC_NONE"  # the same phone, boot key 32 zero bytes
PIXEL_3 = "blueline/sdk28/TEE_RSA_BASE+IMEI"  # attests google/blueline/blueline, one IMEI
PIXEL_3_NO_IDS = "blueline/sdk28/TEE_EC_NONE"  # an empty boot key
AKITA_IMEIS = {"imei1": "351163520096208", "imei2": "351163520096216"}
CHALLENGE = "challenge"
CLONE = "possible_clone"


@pytest.fixture
def real(db_url: str) -> Iterator[tuple[Env, Tenant]]:
    for name in (PIXEL_8A, PIXEL_3):
        if not chain_path(name).exists():
            pytest.skip(f"corpus chain {name} is absent")
    verifier = attest.Verifier(status_list=snapshot())
    env, client = make_env(db_url, attestation=AttestChainCheck(verifier=verifier))
    with client:
        env.clock.set(created_at(PIXEL_8A) + timedelta(minutes=5))
        terms = {"device_models": [{"model_code": "Z60"}], "term_start": "2018-01-01"}
        yield env, tenant(env, **terms)


def _check_in(env: Env, who: Tenant, device_id: str, chain: str) -> dict[str, Any]:
    """A check-in answering the chain's own challenge, stored as if issued to this unit."""
    credential_id = who.support["Authorization"].split("_")[1]
    with env.db.write() as s:
        s.execute(CheckInChallenge.__table__.delete())
        now = env.clock.now()
        s.add(
            CheckInChallenge(
                value=CHALLENGE,
                device_id=device_id,
                credential_id=credential_id,
                issued_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
    ders = attest.read_chain(chain_path(chain)).certificates
    body = {
        "device_id": device_id,
        "challenge": CHALLENGE,
        "attestation_chain": [base64.b64encode(der).decode() for der in ders],
        "os_reported": {},
    }
    response = env.client.post("/v1/checkins", json=body, headers=who.support)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    assert result["verified"] is True, result
    env.clock.advance(timedelta(minutes=1))
    return result


def _alerts(env: Env, who: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = env.ok("GET", "/v1/alerts", who, params=params)["items"]
    return items


def _reasons(env: Env, who: Tenant, device_id: str) -> set[tuple[str, str]]:
    return {(a["kind"], a["reason"]) for a in _alerts(env, who.support, device_id=device_id)}


def test_a_chain_attesting_another_units_imei_raises_on_both(real: tuple[Env, Tenant]) -> None:
    env, lava = real
    stored_webhook(env, lava)
    pixel = activate(env, lava, serial="PIXEL8A0001", **AKITA_IMEIS)
    other = activate(env, lava, serial="ZSIXTY0002")
    assert _check_in(env, lava, pixel["device_id"], PIXEL_8A)["alerts"] == []

    raised = _check_in(env, lava, other["device_id"], PIXEL_8A)["alerts"]
    clones = _alerts(env, lava.support, kind=CLONE)
    assert {a["device_id"] for a in clones} == {pixel["device_id"], other["device_id"]}
    assert {a["id"] for a in clones} <= set(raised)
    by_unit = {a["device_id"]: a for a in clones}
    assert by_unit[other["device_id"]]["reason"] == "imei_of_another_unit"
    assert by_unit[other["device_id"]]["detail"]["imei"] == AKITA_IMEIS["imei1"]
    assert by_unit[other["device_id"]]["detail"]["imei_holder"] == pixel["device_id"]
    assert by_unit[pixel["device_id"]]["detail"]["seen_on"] == other["device_id"]
    assert _reasons(env, lava, other["device_id"]) == {
        (CLONE, "imei_of_another_unit"),
        ("identity_mismatch", "attested_imei"),
        ("identity_mismatch", "attested_second_imei"),
    }
    with env.db.read() as s:
        queued = set(s.execute(select(WebhookDelivery.alert_id)).scalars())
    assert {a["id"] for a in clones} <= queued

    card = env.ok("GET", "/v1/support/lookup", lava.support, params={"q": AKITA_IMEIS["imei2"]})
    assert (CLONE, "imei_of_another_unit") in {
        (a["kind"], a["reason"]) for a in card["units"][0]["open_alerts"]
    }
    _sign_in(env, lava.support)
    page = env.client.get("/ui/alerts", params={"kind": CLONE})
    assert page.status_code == 200 and page.text.count("imei_of_another_unit") >= 2
    # Another partner sees none of it.
    theirs = tenant(env, "Other OEM Pvt Ltd")
    assert _alerts(env, theirs.support, kind=CLONE) == []


def test_another_partners_unit_is_not_named(real: tuple[Env, Tenant]) -> None:
    env, lava = real
    theirs = tenant(
        env, "Other OEM Pvt Ltd", device_models=[{"model_code": "Z60"}], term_start="2018-01-01"
    )
    pixel = activate(env, lava, serial="PIXEL8A0001", **AKITA_IMEIS)
    foreign = activate(env, theirs, serial="OTHER00001")
    _check_in(env, theirs, foreign["device_id"], PIXEL_8A)
    mine = _alerts(env, lava.support, kind=CLONE)
    assert [a["device_id"] for a in mine] == [pixel["device_id"]]
    assert mine[0]["detail"] == {
        "imei": AKITA_IMEIS["imei1"],
        "seen_on": "a unit of another partner",
        "source": "checkin",
    }
    seen = _alerts(env, theirs.support, kind=CLONE)
    assert seen[0]["detail"]["imei_holder"] == "a unit of another partner"


def test_another_product_then_an_earlier_boot_key_again(real: tuple[Env, Tenant]) -> None:
    env, lava = real
    pixel = activate(env, lava, serial="PIXEL8A0001", **AKITA_IMEIS)
    unit = pixel["device_id"]
    assert _check_in(env, lava, unit, PIXEL_8A)["alerts"] == []
    # A Pixel 3 answers for the Pixel 8a unit: another product, another boot key.
    _check_in(env, lava, unit, PIXEL_3)
    assert _reasons(env, lava, unit) == {
        (CLONE, "other_product"),
        ("identity_mismatch", "attested_imei"),
        ("regression", "attestation_boot_key_changed"),
        # The Pixel 3's 2019 patch levels against the Pixel 8a's 2024 ones.
        ("regression", "attested_patch_backwards:os_patch"),
        ("regression", "attested_patch_backwards:vendor_patch"),
        ("regression", "attested_patch_backwards:boot_patch"),
    }
    product = _alerts(env, lava.support, kind=CLONE)[0]["detail"]
    assert (product["first"], product["now"]) == ("google/akita/akita", "google/blueline/blueline")
    # The Pixel 8a's key again after the Pixel 3's: two keys in use for one unit.
    _check_in(env, lava, unit, PIXEL_8A_NO_IDS)
    alternating = [
        a for a in _alerts(env, lava.support, kind=CLONE) if a["reason"] == "boot_key_alternating"
    ]
    assert len(alternating) == 1
    assert (alternating[0]["detail"]["previous"], alternating[0]["detail"]["now"]) == (
        "",
        "00" * 32,
    )


def test_one_re_flash_is_not_a_clone(real: tuple[Env, Tenant]) -> None:
    env, lava = real
    unit = activate(env, lava, serial="PIXEL8A0001")["device_id"]
    for chain in (PIXEL_8A_NO_IDS, PIXEL_8A_NO_IDS, PIXEL_3_NO_IDS, PIXEL_3_NO_IDS):
        _check_in(env, lava, unit, chain)
    found = _reasons(env, lava, unit)
    assert ("regression", "attestation_boot_key_changed") in found
    assert not [reason for kind, reason in found if kind == CLONE]


def _post(env: Env, who: dict[str, str], report: dict[str, Any]) -> dict[str, Any]:
    headers = {**who, "Content-Type": "application/json"}
    response = env.client.post("/v1/reports", content=json.dumps(report).encode(), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


UPDATED = "kestrel/ks60_in/kestrel60:15/AP3A.241005.015/KS60.251101:user/release-keys"
OTHER = "samsung/a52qnsxx/a52q:14/UP1A.231005.007/A525FXXS6EXA1:user/release-keys"


def test_a_report_of_another_product_raises_an_os_update_does_not(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    baseline = example_report("factory", serial=unit["serial"])
    assert baseline["device"]["build_fingerprint"].startswith("kestrel/ks60_in/kestrel60:14/")
    _post(env, lava.factory, baseline)
    update = example_report(
        serial=unit["serial"], build_fingerprint=UPDATED, security_patch="2026-11-05"
    )
    assert _post(env, lava.support, update)["alerts"] == []
    clone = _post(env, lava.support, example_report(serial=unit["serial"], build_fingerprint=OTHER))
    with env.db.read() as s:
        found = s.execute(select(Alert).where(Alert.kind == CLONE)).scalars().all()
    assert [(a.reason, a.device_id) for a in found] == [("other_product", unit["device_id"])]
    assert found[0].id in clone["alerts"]
    assert (found[0].detail["first"], found[0].detail["now"]) == (
        baseline["device"]["build_fingerprint"],
        OTHER,
    )


@pytest.mark.parametrize(
    ("fingerprint", "product"),
    [
        (UPDATED, ("kestrel", "ks60_in", "kestrel60")),
        ("Google/Akita/akita:14/AP2A/1:user/release-keys", ("google", "akita", "akita")),
        ("google/akita:14/AP2A/1:user/release-keys", None),
        ("//akita:14", None),
        ("", None),
        (None, None),
    ],
)
def test_product_of_a_fingerprint(fingerprint: str | None, product: Any) -> None:
    assert product_of_fingerprint(fingerprint) == product
