"""Registration batches on SQLite and PostgreSQL: freezing a territory's activated,
unregistered units (India's ICDR, Bangladesh's NEIR), deterministic CSV/XLSX files in the
register's layout, receipts moving each unit to registered or rejected, the ship gate."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from handsetguard.server.models import (
    Alert,
    BatchUnit,
    Device,
    Registration,
    RegistrationBatch,
)
from tests.server.conftest import Env
from tests.server.registers.helpers import (
    activate,
    batch,
    licensed_partner,
    post_receipt,
    receipt_csv,
    status,
)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_batch_freezes_the_territorys_unregistered_units_in_the_icdr_layout(env: Env) -> None:
    who = licensed_partner(env)
    india = activate(env, who, "IN", 3)
    activate(env, who, "BD", 2)
    made = batch(env, who, "IN")
    assert (made["registry"], made["unit_count"], made["status"]) == ("IN-ICDR", 3, "frozen")
    data = env.client.get(f"/v1/registrations/batches/{made['id']}/file", headers=who.admin)
    assert data.status_code == 200
    rows = _rows(data.content)
    assert rows[0] == [
        "IMEI 1",
        "IMEI 2",
        "Serial Number",
        "Brand Name",
        "Model Name",
        "TAC",
        "Manufacturing Date",
        "Manufacturer Registration No",
    ]
    assert [r[0] for r in rows[1:]] == [u["imei1"] for u in india]
    assert rows[1][2:] == [
        india[0]["serial"],
        "Lava",
        "Z60",
        india[0]["imei1"][:8],
        "15/10/2026",
        "ICDR-MFR-0042",
    ]
    # Frozen: the units are in_batch, and a second batch finds nothing new.
    assert status(env, who, india[0]["serial"])["state"] == "in_batch"
    again = env.client.post(
        "/v1/registrations/batches",
        json={"agreement_id": who.agreement, "territory": "IN"},
        headers=who.admin,
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_to_register")


def test_re_export_gives_the_same_bytes_csv_and_xlsx(env: Env) -> None:
    who = licensed_partner(env)
    activate(env, who, "BD", 4)
    made = batch(env, who, "BD")
    url = f"/v1/registrations/batches/{made['id']}/file"
    for fmt in ("csv", "xlsx"):
        first = env.client.get(url, params={"format": fmt}, headers=who.admin).content
        env.clock.advance(__import__("datetime").timedelta(hours=3))
        second = env.client.get(url, params={"format": fmt}, headers=who.admin).content
        assert first == second, fmt
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(first), read_only=True)
    sheet = book["NEIR"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Vendor Enlistment No", "Brand", "Model", "IMEI 1"]
    assert all(isinstance(v[3], str) and len(v[3]) == 15 for v in values[1:])  # text, not 3.5E+14


def test_receipt_registers_and_rejects_and_the_ship_gate_follows(env: Env) -> None:
    who = licensed_partner(env)
    units = activate(env, who, "IN", 3)
    made = batch(env, who, "IN")
    data = receipt_csv(
        ["IMEI", "Status", "Remarks", "Certificate No"],
        [
            [units[0]["imei1"], "Accepted", "", "ICDR/2026/000101"],
            [units[1]["imei1"], "accepted", "", "ICDR/2026/000102"],
            [units[2]["imei1"], "Rejected", "TAC not allotted to brand", ""],
        ],
    )
    response = post_receipt(env, who, made["id"], data)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["registered"], out["rejected"], out["pending"], out["problems"]) == (2, 1, 0, [])
    first, rejected = status(env, who, units[0]["imei1"]), status(env, who, units[2]["serial"])
    assert (first["state"], first["shippable"], first["reference"]) == (
        "registered",
        True,
        "ICDR/2026/000101",
    )
    assert (rejected["state"], rejected["shippable"]) == ("rejected", False)
    assert "TAC not allotted to brand" in rejected["why"]
    page = env.ok("GET", "/v1/units", who.admin, params={"territory": "IN", "shippable": "true"})
    assert sorted(u["serial"] for u in page["items"]) == sorted(u["serial"] for u in units[:2])
    blocked = env.ok(
        "GET", "/v1/units", who.admin, params={"territory": "IN", "shippable": "false"}
    )
    assert [u["serial"] for u in blocked["items"]] == [units[2]["serial"]]
    assert env.ok("GET", f"/v1/registrations/batches/{made['id']}", who.admin)["status"] == (
        "receipted"
    )
    with env.db.read() as session:
        alerts = session.execute(select(Alert)).scalars().all()
    assert [(a.kind, a.reason, a.detail["reason"]) for a in alerts] == [
        ("registration", "register_rejected", "TAC not allotted to brand")
    ]
    # The same receipt again changes nothing and is not an error.
    again = post_receipt(env, who, made["id"], data).json()
    assert (again["registered"], again["rejected"], again["unchanged"]) == (0, 0, 3)


def test_rejected_units_can_be_batched_again(env: Env) -> None:
    who = licensed_partner(env)
    units = activate(env, who, "BD", 2)
    made = batch(env, who, "BD")
    data = receipt_csv(
        ["IMEI", "Status", "Reason", "NEIR Reference"],
        [[units[0]["imei1"], "rejected", "duplicate IMEI", ""]],
    )
    assert post_receipt(env, who, made["id"], data).status_code == 200
    second = batch(env, who, "BD", include_rejected=True)
    assert second["unit_count"] == 1
    assert status(env, who, units[0]["imei1"])["batch_id"] == second["id"]
    # The old batch's receipt can no longer decide that unit.
    late = receipt_csv(
        ["IMEI", "Status", "Reason", "NEIR Reference"], [[units[0]["imei1"], "accepted", "", "R"]]
    )
    refused = post_receipt(env, who, made["id"], late)
    assert refused.status_code == 422
    assert f"now in batch {second['id']}" in refused.json()["error"]["message"]


def test_territory_without_register_ships_on_activation_and_other_tenants_see_nothing(
    env: Env,
) -> None:
    who = licensed_partner(env)
    other = licensed_partner(env, "Other OEM Pvt Ltd")
    env.ok(
        "POST",
        f"/v1/agreements/{who.agreement}/amendments",
        env.admin,
        json={
            "terms": {
                **{
                    k: v
                    for k, v in __import__("tests.server.conftest", fromlist=["agreement_body"])
                    .agreement_body(who.id, quota=1000)
                    .items()
                    if k != "partner_id"
                },
                "territories": ["IN", "LK", "NP", "BD", "AE"],
            },
            "note": "adds the UAE",
        },
    )
    (unit,) = activate(env, who, "AE", 1)
    seen = status(env, who, unit["serial"])
    assert (seen["state"], seen["shippable"], seen["registry"]) == ("not_required", True, None)
    hidden = env.client.get(f"/v1/registrations/status/{unit['serial']}", headers=other.admin)
    assert hidden.status_code == 404
    with env.db.read() as session:
        assert session.execute(select(func.count()).select_from(Registration)).scalar_one() == 0


def test_a_registration_can_only_name_a_batch_its_unit_is_in(env: Env) -> None:
    """The database holds it (migration 0012): a registration's (device, batch) is a unit of
    that batch, so no code path can point a unit at another batch or at a unit it lacks."""
    who = licensed_partner(env)
    activate(env, who, "IN", 1)
    activate(env, who, "BD", 1)
    first, second = batch(env, who, "IN"), batch(env, who, "BD")
    with env.db.read() as session:
        ids = dict(session.execute(select(Registration.batch_id, Registration.device_id)).all())
    india_unit, bd_unit = ids[first["id"]], ids[second["id"]]
    refused(
        env,
        update(Registration)
        .where(Registration.device_id == india_unit)
        .values(batch_id=second["id"]),
        update(Registration).where(Registration.device_id == bd_unit).values(device_id="nope"),
        insert(Registration).values(
            device_id=india_unit,
            territory="IN",
            state="in_batch",
            batch_id=second["id"],
            updated_at=env.clock.now(),
        ),
    )
    with env.db.read() as session:
        after = dict(session.execute(select(Registration.batch_id, Registration.device_id)).all())
    assert after == ids


def test_frozen_units_stay_frozen_and_name_real_devices_and_batches(env: Env) -> None:
    who = licensed_partner(env)
    (unit,) = activate(env, who, "IN", 1)
    made = batch(env, who, "IN")
    with env.db.read() as session:
        frozen = session.execute(select(BatchUnit)).scalar_one()
        row = {c: getattr(frozen, c) for c in BatchUnit.__table__.columns.keys()}
        device = session.execute(select(Device.id)).scalar_one()
    refused(
        env,
        update(BatchUnit).values(imei1="351234560000000"),
        delete(BatchUnit),
        insert(BatchUnit).values({**row, "position": 2, "device_id": "no-such-device"}),
        insert(BatchUnit).values({**row, "position": 2, "batch_id": "no-such-batch"}),
        delete(Device),
        update(Device).values(id="renamed"),
        delete(RegistrationBatch),
        update(RegistrationBatch).values(id="renamed"),
    )
    with env.db.read() as session:
        assert session.execute(select(BatchUnit.imei1)).scalar_one() == unit["imei1"]
        assert session.execute(select(Device.id)).scalar_one() == device
    assert made["unit_count"] == 1


def refused(env: Env, *statements: Any) -> None:
    """Each statement, in its own transaction, is refused by the database."""
    for statement in statements:
        with pytest.raises(IntegrityError), env.db.write() as session:
            session.execute(statement)
