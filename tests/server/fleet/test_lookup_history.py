"""Support lookup by IMEI (either slot, Luhn-checked), serial and partial serial, scoped to
the partner; the unit card; history with the diff between consecutive reports; overview."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, example_report, set_check, tenant
from tests.server.fleet.test_reports import _post


def _lookup(env: Env, who: dict[str, str], q: str) -> Any:
    return env.client.get("/v1/support/lookup", params={"q": q}, headers=who)


def test_lookup_by_either_imei_serial_and_partial_serial(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    unit = activate(env, lava)
    theirs = activate(env, other)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    for q, how in ((unit["imei1"], "imei"), (unit["imei2"], "imei"), (unit["serial"], "serial")):
        body = _lookup(env, lava.support, q).json()
        assert body["matched_by"] == how and [u["device_id"] for u in body["units"]] == [
            unit["device_id"]
        ]
    card = _lookup(env, lava.support, unit["imei2"]).json()["units"][0]
    assert card["partner"]["legal_name"] == "Lava International Ltd"
    assert card["activation"]["proof"].startswith("hg1.")
    assert card["posture"]["host"]["tier"] == "host" and card["posture"]["attested"] is None
    assert [e["type"] for e in card["timeline"]] == ["baseline"]

    partial = _lookup(env, lava.support, unit["serial"][:-2]).json()
    assert partial["matched_by"] == "partial_serial"
    assert unit["device_id"] in [u["device_id"] for u in partial["units"]]
    assert theirs["device_id"] not in [u["device_id"] for u in partial["units"]]
    # Another partner's unit: not found, exactly like a missing one.
    assert _lookup(env, lava.support, theirs["imei1"]).json()["units"] == []
    assert _lookup(env, lava.support, theirs["serial"]).json()["units"] == []
    assert len(_lookup(env, env.admin, theirs["imei1"]).json()["units"]) == 1

    bad = _lookup(env, lava.support, unit["imei1"][:-1] + str((int(unit["imei1"][-1]) + 1) % 10))
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_imei")
    short = _lookup(env, lava.support, "SN")
    assert (short.status_code, short.json()["error"]["code"]) == (422, "query_too_short")
    assert _lookup(env, lava.factory, unit["serial"]).status_code == 403


def test_history_diffs_consecutive_reports(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    _post(env, lava.factory, example_report(serial=unit["serial"]))
    env.clock.advance(timedelta(days=1))
    later = example_report("factory", serial=unit["serial"])
    set_check(later, "selinux_enforcing", "fail")
    _post(env, lava.support, later)
    timeline = env.ok("GET", f"/v1/units/{unit['device_id']}/history", lava.support)
    assert [e["type"] for e in timeline] == ["baseline", "report"]
    diff = timeline[1]["diff"]
    assert diff["source"] == "diff" and diff["against"] == timeline[0]["id"]
    changed = {(c["facet"], c["key"], c["old"], c["new"]) for c in diff["changes"]}
    assert ("checks", "selinux_enforcing", "pass", "fail") in changed
    assert timeline[1]["provenance"]["sender_role"] == "support"
    other = tenant(env, "Other OEM Pvt Ltd")
    hidden = env.client.get(f"/v1/units/{unit['device_id']}/history", headers=other.support)
    assert hidden.status_code == 404


def test_overview_counts_follow_each_units_latest_report(env: Env) -> None:
    lava, other = tenant(env), tenant(env, "Other OEM Pvt Ltd")
    first, second = activate(env, lava), activate(env, lava, territory="LK")
    theirs = activate(env, other)
    for who, unit in ((lava, first), (lava, second), (other, theirs)):
        _post(env, who.factory, example_report(serial=unit["serial"]))
    mine = env.ok("GET", "/v1/fleet/overview", lava.support)
    assert mine["units"] == 2 and mine["by_territory"] == {"IN": 1, "LK": 1}
    level = next(iter(mine["by_level"]))
    assert mine["by_level"] == {level: 2}
    patched = example_report("factory", serial=first["serial"], security_patch="2026-09-05")
    patched["rating"]["level"] = "excellent"
    _post(env, lava.support, patched)
    mine = env.ok("GET", "/v1/fleet/overview", lava.support)
    assert mine["units"] == 2 and mine["by_level"] == {level: 1, "excellent": 1}
    bands = {b["band"]: b["units"] for b in mine["patch_age"]}
    assert bands["0-2"] == 1 and sum(bands.values()) == 2  # 2026-09 vs the clock's 2026-10
    assert env.ok("GET", "/v1/fleet/overview", env.admin)["units"] == 3
