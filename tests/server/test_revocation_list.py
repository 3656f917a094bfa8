"""The public revocation list (issue 12): it carries per unit the activation id, serial, time
and reason code only (never the tenant's free text, device id or partner), an ``issued_at``
and a sequence that rises with each change; ``activation verify`` refuses a list older
than ``--max-list-age`` (7 days by default) or than the activation, and says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handsetguard.server.core.envelope import open_envelope
from handsetguard.server.core.offline import StaleListError, load_keys, verify_activation
from tests.cli_runner import run
from tests.server.conftest import Env

SECRET = "customer Priya Sharma, 14 MG Road, says it was taken from her car"


def _listed(env: Env) -> tuple[str, dict[str, Any]]:
    text = env.client.get("/v1/revocations").json()["revocations"]
    return text, open_envelope(text).payload


def _activated(env: Env) -> tuple[dict[str, str], dict[str, Any]]:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    body = env.ok("POST", "/v1/activations", factory, json=env.unit())
    return factory, body


def test_the_public_list_carries_no_free_text_and_a_rising_sequence(env: Env) -> None:
    """Found: /v1/revocations (public) listed every tenant's free-text revocation reasons."""
    _, made = _activated(env)
    _, before = _listed(env)
    revoke = {"reason": SECRET, "reason_code": "stolen"}
    env.ok("POST", f"/v1/devices/{made['device_id']}/revoke", env.admin, json=revoke)
    text, after = _listed(env)
    assert SECRET not in json.dumps(after) and made["device_id"] not in json.dumps(after)
    (entry,) = after["activations"]
    assert set(entry) == {"activation_id", "serial", "revoked_at", "reason"}
    assert entry["reason"] == "stolen" and entry["activation_id"] == made["activation_id"]
    assert after["sequence"] == before["sequence"] + 1
    assert after["issued_at"] == env.clock.now().isoformat()
    # The tenant itself still sees its own words.
    device = env.ok("GET", f"/v1/devices/{made['device_id']}", env.admin)
    assert device["revoke_reason"] == SECRET and device["revoke_code"] == "stolen"
    agreement = env.ok("GET", "/v1/agreements", env.admin)["items"][0]["id"]
    status = {"status": "suspended", "reason": "audit"}
    env.ok("POST", f"/v1/agreements/{agreement}/status", env.admin, json=status)
    assert _listed(env)[1]["sequence"] == after["sequence"] + 1
    again = env.client.post(
        f"/v1/devices/{made['device_id']}/revoke", headers=env.admin, json=revoke
    )
    assert again.status_code == 200 and _listed(env)[1]["sequence"] == after["sequence"] + 1


def test_an_unknown_reason_code_is_refused(env: Env) -> None:
    _, made = _activated(env)
    response = env.client.post(
        f"/v1/devices/{made['device_id']}/revoke",
        headers=env.admin,
        json={"reason": "x", "reason_code": "because"},
    )
    assert response.status_code == 422


def test_a_list_older_than_the_allowed_age_or_the_activation_is_refused(env: Env) -> None:
    """Found: verify with a list fetched before the revocation exited 0 for a revoked unit."""
    _, made = _activated(env)
    keys = load_keys(env.client.get("/v1/keys").content)
    old, _ = _listed(env)
    env.ok("POST", f"/v1/devices/{made['device_id']}/revoke", env.admin, json={"reason": "x"})
    now = env.clock.now()
    with pytest.raises(StaleListError, match="older than the 7.0 days allowed"):
        verify_activation(made["activation"], keys, old, now=now + timedelta(days=7, seconds=1))
    verify_activation(made["activation"], keys, old, now=now + timedelta(days=7))
    with pytest.raises(StaleListError, match="older than the 1.0 days"):
        verify_activation(
            made["activation"], keys, old, now=now + timedelta(days=2), max_list_age=timedelta(1)
        )
    env.clock.set(now - timedelta(hours=1))  # a list from before the unit was activated
    earlier, _ = _listed(env)
    with pytest.raises(StaleListError, match="before the activation"):
        verify_activation(made["activation"], keys, earlier, now=now)


def test_activation_verify_refuses_a_stale_list_and_says_so(env: Env, tmp_path: Path) -> None:
    real_now = datetime.now(UTC)
    env.clock.set(real_now - timedelta(days=9))
    _, made = _activated(env)
    (tmp_path / "act.json").write_text(json.dumps(made))
    (tmp_path / "keys.json").write_bytes(env.client.get("/v1/keys").content)
    env.clock.set(real_now - timedelta(days=8))
    env.ok("POST", f"/v1/devices/{made['device_id']}/revoke", env.admin, json={"reason": "x"})
    (tmp_path / "rev.json").write_text(env.client.get("/v1/revocations").text)
    args = [
        "activation",
        "verify",
        str(tmp_path / "act.json"),
        "--public-key",
        str(tmp_path / "keys.json"),
        "--revocations",
        str(tmp_path / "rev.json"),
    ]
    stale = run(*args)
    assert stale.exit_code == 2, stale.output
    (line,) = stale.output.splitlines()
    assert line.startswith(f"error: {tmp_path / 'rev.json'}: the revocation list was issued")
    assert "8.0 days ago" in line and "older than the 7.0 days allowed" in line
    revoked = run(*args, "--max-list-age", "9d")
    assert revoked.exit_code == 1 and "REVOKED: device revoked: unspecified" in revoked.output
    assert run(*args, "--max-list-age", "36h").exit_code == 2
    bad = run(*args, "--max-list-age", "soon")
    assert bad.exit_code == 2 and "not an age" in bad.output


@pytest.mark.parametrize("which", ["activation", "public key", "revocation list"])
def test_activation_verify_names_the_file_it_cannot_read(
    env: Env, tmp_path: Path, which: str
) -> None:
    """Found: activation verify missing.json printed a raw errno."""
    _, made = _activated(env)
    files = {"activation": tmp_path / "act.json", "public key": tmp_path / "keys.json"}
    files["activation"].write_text(json.dumps(made))
    files["public key"].write_bytes(env.client.get("/v1/keys").content)
    files["revocation list"] = tmp_path / "rev.json"
    files["revocation list"].write_text(env.client.get("/v1/revocations").text)
    missing = tmp_path / "missing.json"
    files[which] = missing
    result = run(
        "activation",
        "verify",
        str(files["activation"]),
        "--public-key",
        str(files["public key"]),
        "--revocations",
        str(files["revocation list"]),
        "--max-list-age",
        "99999d",
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"error: {which} {missing}: cannot read (No such file or directory)"
    ]
