"""MEID at activation (issue 14, item 4), on SQLite and PostgreSQL: the 3GPP2 formats (14 hex
digits, 15 with the base-16 Luhn check digit, the 18-digit decimal form and its 19th Luhn
digit) are stored as one canonical 14-hex-digit value; malformed ones are a 422
``invalid_meid`` naming what is wrong, with nothing stored; a register layout that takes the
MEID exports it (empty for a unit without one), with no code change."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from handsetguard.registers.profiles import PROFILES_ENV
from handsetguard.server.core.identifiers import meid_check_digit, parse_meid
from handsetguard.server.models import Device
from tests.registers.test_profiles import BUNDLED
from tests.server.conftest import Env
from tests.server.registers.helpers import batch, licensed_partner

# The worked example of the MEID display formats (3GPP2 X.S0008; python-stdnum's doctests
# use it too): AF 01 23 45 0A BC DE, hex check digit C, decimal 29360 87365 0070 3710, 0.
HEX, CHECK, DECIMAL, DECIMAL_CHECK = "AF0123450ABCDE", "C", "293608736500703710", "0"


def test_the_formats_of_one_meid_give_one_stored_value() -> None:
    assert meid_check_digit(HEX) == CHECK
    for given in (HEX, HEX.lower(), HEX + CHECK, HEX.lower() + "c", DECIMAL, DECIMAL + "0"):
        assert parse_meid(given) == HEX, given
    # An IMEI's first 14 digits are a MEID in the decimal range (dual-mode phones).
    assert parse_meid("35123456000012") == "35123456000012"


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (HEX + "1", "check digit 1 is wrong (expected C)"),
        (DECIMAL + "1", "decimal check digit (the 19th) is wrong"),
        ("00000000000000", "placeholder"),
        ("FFFFFFFFFFFFFF", "placeholder"),
        ("12AB3456789012", "regional code below A0"),
        ("AF0123450ABCD", "14 hex digits"),
        ("AF0123450ABCDEC0", "14 hex digits"),
        ("AF 01 23 45 0A BC DE", "14 hex digits"),
        ("AF012345OABCDE", "14 hex digits"),
        ("999999999900703710", "out of range"),
        ("293608736516777216", "out of range"),
    ],
)
def test_malformed_meids_are_refused_saying_why(value: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse_meid(value)


def _devices(env: Env) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Device)).scalar_one())


def test_activation_stores_the_canonical_meid_and_refuses_a_malformed_one(env: Env) -> None:
    who = licensed_partner(env)
    unit = env.unit(meid=DECIMAL + DECIMAL_CHECK)
    made = env.ok("POST", "/v1/activations", who.factory, json=unit)
    device = env.ok("GET", f"/v1/devices/{made['device_id']}", env.admin)
    assert device["meid"] == HEX
    support = env.credential("support", partner_id=who.id)
    card = env.ok("GET", "/v1/support/lookup", support, params={"q": unit["imei1"]})
    assert card["units"][0]["meid"] == HEX
    # The same unit sent again in another of its formats is the same unit (idempotent).
    again = env.ok("POST", "/v1/activations", who.factory, json={**unit, "meid": HEX + CHECK})
    assert (again["replayed"], again["device_id"]) == (True, made["device_id"])

    before = _devices(env)
    for value, words in ((HEX + "1", "check digit"), ("00000000000000", "placeholder")):
        response = env.client.post(
            "/v1/activations", json=env.unit(meid=value), headers=who.factory
        )
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (422, "invalid_meid")
        assert value in error["message"] and words in error["message"]
        assert "\n" not in error["message"]
    assert _devices(env) == before


def test_a_layout_that_takes_the_meid_exports_it(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = BUNDLED.read_text(encoding="utf-8").replace(
        '  { header = "IMEI 2", field = "imei2" },\n',
        '  { header = "IMEI 2", field = "imei2" },\n  { header = "MEID", field = "meid" },\n',
        1,
    )
    assert 'field = "meid"' in text
    (tmp_path / "registers.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv(PROFILES_ENV, str(tmp_path / "registers.toml"))
    who = licensed_partner(env)
    with_meid = env.unit(territory="IN", meid=HEX.lower() + "c")
    without = env.unit(territory="IN")
    for unit in (with_meid, without):
        env.ok("POST", "/v1/activations", who.factory, json=unit)
    made = batch(env, who, "IN")
    data = env.client.get(f"/v1/registrations/batches/{made['id']}/file", headers=who.admin)
    lines = data.content.decode().splitlines()
    assert lines[0].startswith("IMEI 1,IMEI 2,MEID,Serial Number,")
    assert lines[1].startswith(f"{with_meid['imei1']},{with_meid['imei2']},{HEX},")
    assert lines[2].startswith(f"{without['imei1']},{without['imei2']},,")


def test_a_meid_belongs_to_one_unit_across_partners_and_formats(env: Env) -> None:
    """Like an IMEI, a MEID is held by one unit everywhere: a second unit (of this partner or
    another, in any of the MEID's formats) is ``duplicate_device``, with nothing stored."""
    who, other = licensed_partner(env), licensed_partner(env, "Other OEM Pvt Ltd")
    env.ok("POST", "/v1/activations", who.factory, json=env.unit(meid=HEX))
    before = _devices(env)
    for partner, given in ((who, DECIMAL), (other, HEX.lower() + "c")):
        response = env.client.post(
            "/v1/activations", json=env.unit(meid=given), headers=partner.factory
        )
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (409, "duplicate_device"), given
        assert "MEID" in error["message"]
    assert _devices(env) == before
    # Units without a MEID do not collide with one another.
    for _ in range(2):
        env.ok("POST", "/v1/activations", who.factory, json=env.unit())
    assert _devices(env) == before + 2


def test_the_database_holds_a_meid_to_one_unit(env: Env) -> None:
    """Two activations racing with one MEID can both read no holder: the unique index
    (migration 0013) refuses the second write, whose re-read then answers
    ``duplicate_device`` as for an IMEI."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    who = licensed_partner(env)
    first = env.ok("POST", "/v1/activations", who.factory, json=env.unit(meid=HEX))
    second = env.ok("POST", "/v1/activations", who.factory, json=env.unit())
    with pytest.raises(IntegrityError), env.db.write() as session:
        session.execute(update(Device).where(Device.id == second["device_id"]).values(meid=HEX))
    with env.db.read() as session:
        held = session.execute(select(Device.id).where(Device.meid == HEX)).scalars().all()
    assert held == [first["device_id"]]


def test_support_finds_a_unit_by_its_meid_in_any_format(env: Env) -> None:
    who = licensed_partner(env)
    unit = env.unit(meid=HEX)
    made = env.ok("POST", "/v1/activations", who.factory, json=unit)
    support = env.credential("support", partner_id=who.id)
    for q in (HEX, HEX.lower(), HEX + CHECK, DECIMAL, DECIMAL + DECIMAL_CHECK):
        found = env.ok("GET", "/v1/support/lookup", support, params={"q": q})
        assert found["matched_by"] == "meid", q
        assert [u["device_id"] for u in found["units"]] == [made["device_id"]], q
    other = licensed_partner(env, "Other OEM Pvt Ltd")
    theirs = env.credential("support", partner_id=other.id)
    hidden = env.ok("GET", "/v1/support/lookup", theirs, params={"q": HEX})
    assert hidden["units"] == []
