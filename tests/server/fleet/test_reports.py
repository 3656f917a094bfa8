"""POST /v1/reports: the factory gate's report becomes the baseline, a later report that
regresses raises alerts, and every refusal (unknown or another partner's unit, contradicting
identity, malformed, invalid, oversize, wrong role) stores nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from handsetguard.server.models import Alert, AuditEntry, FleetUnit, PostureReport
from tests.server.conftest import Env
from tests.server.fleet.helpers import Tenant, activate, example_report, set_check, tenant


def _post(env: Env, who: dict[str, str], report: Any, **params: str) -> Any:
    body = report if isinstance(report, bytes) else json.dumps(report).encode()
    headers = {**who, "Content-Type": "application/json"}
    return env.client.post("/v1/reports", content=body, headers=headers, params=params)


def _count(env: Env, model: Any) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def _baseline(env: Env, lava: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    unit = activate(env, lava)
    gate = example_report("factory", serial=unit["serial"])
    response = _post(env, lava.factory, gate)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["baseline"] is True and body["tier"] == "host" and body["alerts"] == []
    assert body["device_id"] == unit["device_id"]
    return unit, body


def test_gate_report_is_the_baseline_and_a_regression_raises_alerts(env: Env) -> None:
    lava = tenant(env)
    unit, first = _baseline(env, lava)
    later = example_report("consumer", serial=unit["serial"], security_patch="2024-01-05")
    set_check(later, "bootloader_locked", "fail")
    response = _post(env, lava.support, later)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["baseline"] is False and len(body["alerts"]) == 2
    with env.db.read() as session:
        reasons = sorted(session.execute(select(Alert.reason)).scalars())
        stored = session.execute(
            select(PostureReport).where(PostureReport.id == body["report_id"])
        ).scalar_one()
        state = session.get(FleetUnit, unit["device_id"])
    assert reasons == ["check_now_fails:bootloader_locked", "patch_backwards:os"]
    assert (stored.sender_role, stored.input_kind, stored.os_patch) == (
        "support",
        "example",
        "2024-01-05",
    )
    assert stored.acquired_at is not None and stored.document is not None
    assert 0 < len(stored.document) < stored.doc_bytes / 3  # gzipped
    assert state is not None and state.baseline_report_id == first["report_id"]
    assert state.last_report_id == body["report_id"]
    # The same regression reported again stays the same two open alerts.
    again = _post(env, lava.support, later)
    assert again.status_code == 201 and again.json()["alerts"] == []
    assert _count(env, Alert) == 2
    # A second factory gate report does not replace the baseline.
    gate_again = _post(env, lava.factory, example_report("factory", serial=unit["serial"]))
    assert gate_again.json()["baseline"] is False


def test_refusals_store_nothing_and_the_ones_that_matter_are_audited(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    unit = activate(env, lava)
    theirs = activate(env, other)
    cases = [
        (lava.factory, example_report(serial="NOSUCH0001"), {}, 404, "device_not_found"),
        (lava.factory, example_report(serial=theirs["serial"]), {}, 404, "device_not_found"),
        (
            lava.factory,
            example_report(serial="SOMEONEELSE1"),
            {"device_id": unit["device_id"]},
            409,
            "report_identity_mismatch",
        ),
        (lava.factory, b"{not json", {}, 400, "malformed_json"),
        # Deeper than the JSON parsers recurse, and more digits than Python converts: both
        # were a RecursionError or ValueError (500) before load_json caught them.
        (lava.factory, b"[" * 50_000 + b"]" * 50_000, {}, 400, "malformed_json"),
        (lava.factory, b'{"score": ' + b"9" * 5000 + b"}", {}, 400, "malformed_json"),
        (lava.factory, b"[1, 2]", {}, 422, "report_invalid"),
        (lava.factory, {"schema": "other/1"}, {}, 422, "report_schema_unsupported"),
        (lava.partner_admin, example_report(serial=unit["serial"]), {}, 403, "role_not_allowed"),
    ]
    for who, report, params, status, code in cases:
        response = _post(env, who, report, **params)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), report
    # The same serial at another partner (serials are unique per partner only).
    twin = activate(env, other, serial=unit["serial"])
    assert twin["device_id"] != unit["device_id"]
    twin_report = _post(env, other.factory, example_report(serial=unit["serial"]))
    assert twin_report.json()["device_id"] == twin["device_id"]
    invalid = example_report(serial=unit["serial"])
    invalid["checks"][2]["status"] = "maybe"
    response = _post(env, lava.factory, invalid)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("report field checks[2].status:")
    assert _count(env, PostureReport) == 1 and _count(env, FleetUnit) == 1  # the twin's
    with env.db.read() as session:
        refused = session.execute(
            select(AuditEntry.after).where(AuditEntry.action == "report.refuse")
        ).scalars()
        assert sorted(e["code"] for e in refused) == [
            "device_not_found",
            "device_not_found",
            "report_identity_mismatch",
        ]


def test_size_bound(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    report = example_report(serial=unit["serial"])
    report["collection_errors"] = ["x" * 1024] * 1100  # over 1 MiB
    response = _post(env, lava.factory, report)
    assert (response.status_code, response.json()["error"]["code"]) == (413, "body_too_large")
    # Other endpoints keep the small limit.
    big = env.client.post("/v1/partners", content=b"{" + b" " * 70_000 + b"}", headers=env.admin)
    assert big.status_code == 413
