"""Freezing a batch while another batch takes one of its units (on SQLite and PostgreSQL):
the unit's registration row already exists when this batch marks its units ``in_batch``, so
the insert's unique key refuses it — 409 ``conflict``, and nothing of the batch is kept (no
batch, no frozen units, the other batch's row untouched)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from handsetguard.server.models import BatchUnit, Device, Registration, RegistrationBatch
from handsetguard.server.services import registrations
from tests.server.conftest import Env
from tests.server.registers.helpers import activate, batch, licensed_partner, status


def test_a_unit_taken_meanwhile_is_a_conflict(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    who = licensed_partner(env)
    india = activate(env, who, "IN", 3)
    activate(env, who, "BD", 1)
    other = batch(env, who, "BD")
    mark = registrations._mark_in_batch

    def taken_meanwhile(session: Any, made: Any, rebatch: bool, now: Any) -> None:
        # What another freeze committed meanwhile: the unit frozen into its batch, and its row.
        taken = session.execute(select(Device).where(Device.serial == india[1]["serial"]))
        unit = taken.scalar_one()
        session.add(
            BatchUnit(
                batch_id=other["id"],
                position=2,
                device_id=unit.id,
                serial=unit.serial,
                imei1=unit.imei1,
                imei2=unit.imei2,
                model_code=unit.model_code,
                activated_at=unit.activated_at,
            )
        )
        session.flush()
        session.add(
            Registration(
                device_id=unit.id,
                territory="IN",
                state="in_batch",
                batch_id=other["id"],
                updated_at=now,
            )
        )
        session.flush()
        mark(session, made, rebatch, now)

    monkeypatch.setattr(registrations, "_mark_in_batch", taken_meanwhile)
    response = env.client.post(
        "/v1/registrations/batches",
        json={"agreement_id": who.agreement, "territory": "IN"},
        headers=who.admin,
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (409, "conflict")
    assert error["message"] == "units changed state meanwhile; retry"
    with env.db.read() as session:
        assert session.execute(select(func.count()).select_from(RegistrationBatch)).scalar() == 1
        assert session.execute(select(func.count()).select_from(BatchUnit)).scalar() == 1
    assert [status(env, who, u["serial"])["state"] for u in india] == ["unregistered"] * 3
    monkeypatch.setattr(registrations, "_mark_in_batch", mark)
    assert batch(env, who, "IN")["unit_count"] == 3
