"""The commands: init prints the admin token once, audit verify, offline activation verify
with a PEM or the published keys, royalty statement (JSON, CSV, --close)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import text

from handsetguard.server.config import Settings
from handsetguard.server.core.offline import load_keys
from handsetguard.server.db import Database
from handsetguard.server.migrate import head_revision
from tests.cli_runner import run
from tests.server.conftest import Env


def test_init_then_audit_verify_and_second_init_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = run("server", "init", "--database-url", url)
    assert first.exit_code == 0, first.output
    token = first.output.splitlines()[-1]
    assert token.startswith("hgk_")
    again = run("server", "init", "--database-url", url)
    assert again.exit_code == 2 and "already initialised" in again.output
    assert token not in again.output
    migrated = run("server", "migrate", "--database-url", url)
    assert f"revision {head_revision()}" in migrated.output
    ok = run("server", "audit", "verify", "--database-url", url)
    assert ok.exit_code == 0 and "2 entries" in ok.output
    db = Database(Settings(database_url=url))
    with db.write() as s:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("UPDATE audit_log SET actor_role = 'auditor' WHERE seq = 1"))
    db.dispose()
    broken = run("server", "audit", "verify", "--database-url", url)
    assert broken.exit_code == 1 and "BROKEN at entry 1" in broken.output


def test_activation_verify_offline(env: Env, tmp_path: Path) -> None:
    env.clock.set(datetime.now(UTC))  # the revocation list below must be fresh by the real clock
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    response = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    (tmp_path / "act.json").write_text(response.text)
    (tmp_path / "keys.json").write_bytes(env.client.get("/v1/keys").content)
    key = next(iter(load_keys((tmp_path / "keys.json").read_bytes()).values()))
    pem = key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "key.pem").write_bytes(pem)
    for key_file in ("keys.json", "key.pem"):
        result = run(
            "activation",
            "verify",
            str(tmp_path / "act.json"),
            "--public-key",
            str(tmp_path / key_file),
        )
        assert result.exit_code == 0, result.output
        assert "VALID" in result.output and "SN00000001" in result.output
    (tmp_path / "bad.txt").write_text(response.json()["activation"][:-4] + "AAAA")
    bad = run(
        "activation",
        "verify",
        str(tmp_path / "bad.txt"),
        "--public-key",
        str(tmp_path / "key.pem"),
    )
    assert bad.exit_code == 1 and "INVALID" in bad.output
    env.ok(
        "POST",
        f"/v1/devices/{response.json()['device_id']}/revoke",
        env.admin,
        json={"reason": "stolen", "reason_code": "stolen"},
    )
    (tmp_path / "rev.json").write_text(env.client.get("/v1/revocations").text)
    revoked = run(
        "activation",
        "verify",
        str(tmp_path / "act.json"),
        "--public-key",
        str(tmp_path / "keys.json"),
        "--revocations",
        str(tmp_path / "rev.json"),
        "--json",
    )
    assert revoked.exit_code == 1
    assert json.loads(revoked.stdout.splitlines()[0])["revoked"] == "device revoked: stolen"


def test_royalty_statement_command(env: Env) -> None:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    env.ok("POST", "/v1/activations", factory, json=env.unit())
    args = [
        "royalty",
        "statement",
        "--partner",
        partner,
        "--period",
        "2026-10",
        "--database-url",
        env.settings.database_url,
    ]
    out = run(*args)
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["statements"][0]["totals"]["amount"] == "1.50"
    csv_out = run(*args, "--format", "csv")
    assert "units" in csv_out.stdout and "1.50" in csv_out.stdout
    old = [*args[:5], "2020-01", *args[6:]]  # long over by any real clock
    closed = run(*old, "--close")
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["statements"][0]["status"] == "closed"
    bad = run(*args[:5], "2026-13", *args[6:])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["server", "audit", "verify"], "no such table"),
        (["royalty", "statement", "--partner", "p", "--period", "2026-10"], "no such table"),
        (["server", "rotate-key"], "no such table"),
    ],
)
def test_uninitialised_database_is_one_line_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run(*args, "--database-url", url)
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith("error: database: ")
    assert message in result.output and "Traceback" not in result.output
    assert str(tmp_path) not in result.output  # the URL (it may hold a password) is not echoed


def test_unreachable_database_is_one_line_error() -> None:
    url = "sqlite:////nonexistent/folder/hg.db"
    result = run("server", "init", "--database-url", url)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        "error: database file /nonexistent/folder/hg.db: cannot create it "
        "(No such file or directory)"
    )


def test_serve_refuses_an_uninitialised_database(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("server", "serve", "--database-url", url)
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "error: database: not initialised"
