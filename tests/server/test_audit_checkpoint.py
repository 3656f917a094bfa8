"""The audit log anchored outside the database (issue 12): signed checkpoints (tree size,
head hash, time) with the dedicated audit key, at GET /v1/audit/checkpoint and exported by
``server audit checkpoint``; ``server audit verify --checkpoint FILE`` finds entries
deleted, truncated or rewritten before it even when every hash and the head were
recomputed; on PostgreSQL ``server migrate --app-role`` leaves the API's role unable to
UPDATE, DELETE or TRUNCATE the log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from handsetguard.server.core.envelope import open_envelope
from handsetguard.server.models import AuditEntry
from handsetguard.server.services import audit
from handsetguard.server.services.checkpoints import CHECKPOINT_TYPE
from tests.cli_runner import run
from tests.server.conftest import Env, make_env

APP_ROLE = os.environ.get("HANDSETGUARD_TEST_PG_APP_ROLE", "hg_app")
OWNER_ONLY_TRIGGERS = (
    "audit_log_no_update",
    "audit_log_no_delete",
    "audit_head_forward",
    "audit_head_no_delete",
)


def _activity(env: Env, units: int = 3) -> None:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    for _ in range(units):
        env.ok("POST", "/v1/activations", factory, json=env.unit())


def _owner_sql(env: Env, *statements: str) -> None:
    """As the database owner, with the append-only and forward-only triggers out of the way
    (what someone with the database's files or owner password can do)."""
    sqlite = env.db.sqlite
    with env.db.write() as s:
        if sqlite:
            for trigger in OWNER_ONLY_TRIGGERS:
                s.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        else:
            s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            s.execute(text("ALTER TABLE audit_head DISABLE TRIGGER USER"))
        for statement in statements:
            s.execute(text(statement))


def _rehash(env: Env) -> None:
    """Recompute every hash and the head, as a careful forger would."""
    with env.db.write() as s:
        prev = audit.GENESIS
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        for seq, entry in enumerate(rows, start=1):
            entry.seq = seq
            entry.prev_hash = prev
            entry.hash = audit.entry_hash(prev, audit._fields(entry))
            prev = entry.hash
        s.flush()
        s.execute(
            text("UPDATE audit_head SET seq = :n, hash = :h WHERE id = 1"),
            {"n": len(rows), "h": prev},
        )


def _verify(env: Env, *extra: str) -> Any:
    return run("server", "audit", "verify", "--database-url", env.settings.database_url, *extra)


def test_checkpoint_is_signed_by_the_audit_key_and_exported(env: Env, tmp_path: Path) -> None:
    _activity(env)
    published = env.ok("GET", "/v1/audit/checkpoint", env.admin)["checkpoint"]
    opened = open_envelope(published)
    assert opened.typ == CHECKPOINT_TYPE
    head = env.ok("GET", "/v1/audit/verify", env.admin)
    assert opened.payload["tree_size"] == head["entries"]
    assert opened.payload["head_hash"] == head["head_hash"]
    assert opened.payload["issued_at"] == env.clock.now().isoformat()
    signing_kids = {k["kid"] for k in env.ok("GET", "/v1/keys", {})["keys"]}
    assert opened.kid not in signing_kids  # a dedicated key, never an activation key
    auditor = env.credential("auditor")
    assert env.client.get("/v1/audit/checkpoint", headers=auditor).status_code == 200
    partner = env.partner("Other Ltd")
    factory = env.credential("factory", partner_id=partner)
    assert env.client.get("/v1/audit/checkpoint", headers=factory).status_code == 403
    exported = tmp_path / "checkpoint.txt"
    made = run(
        "server",
        "audit",
        "checkpoint",
        "--database-url",
        env.settings.database_url,
        "-o",
        str(exported),
    )
    assert made.exit_code == 0, made.output
    ok = _verify(env, "--checkpoint", str(exported))
    assert ok.exit_code == 0, ok.output
    size = open_envelope(exported.read_text()).payload["tree_size"]
    assert size > head["entries"] and f"holds the {size} entries of the checkpoint" in ok.output


def test_deleting_the_tail_before_a_checkpoint_is_found(env: Env, tmp_path: Path) -> None:
    """Found: dropping the trigger and deleting rows (head recomputed) still gave 'audit
    log OK'; on PostgreSQL the app's own role could TRUNCATE and reset the head."""
    _activity(env)
    (tmp_path / "cp").write_text(env.ok("GET", "/v1/audit/checkpoint", env.admin)["checkpoint"])
    last = env.ok("GET", "/v1/audit/verify", env.admin)["entries"]
    _owner_sql(env, f"DELETE FROM audit_log WHERE seq > {last - 2}")
    _rehash(env)
    assert _verify(env).exit_code == 0  # the chain alone cannot tell
    broken = _verify(env, "--checkpoint", str(tmp_path / "cp"))
    assert broken.exit_code == 1
    assert f"the log has {last - 2} entries but the checkpoint saw {last}" in broken.output


def test_truncating_the_whole_log_is_found(env: Env, tmp_path: Path) -> None:
    _activity(env, 1)
    (tmp_path / "cp").write_text(env.ok("GET", "/v1/audit/checkpoint", env.admin)["checkpoint"])
    _owner_sql(
        env,
        "DELETE FROM audit_log",
        f"UPDATE audit_head SET seq = 0, hash = '{audit.GENESIS}' WHERE id = 1",
    )
    assert "OK: 0 entries" in _verify(env).output
    broken = _verify(env, "--checkpoint", str(tmp_path / "cp"))
    assert broken.exit_code == 1 and "deleted or the log truncated" in broken.output


def test_rewriting_an_entry_before_a_checkpoint_is_found(env: Env, tmp_path: Path) -> None:
    _activity(env)
    (tmp_path / "cp").write_text(env.ok("GET", "/v1/audit/checkpoint", env.admin)["checkpoint"])
    _owner_sql(env, "UPDATE audit_log SET actor_role = 'auditor' WHERE seq = 2")
    _rehash(env)
    assert _verify(env).exit_code == 0
    broken = _verify(env, "--checkpoint", str(tmp_path / "cp"))
    assert broken.exit_code == 1 and "was rewritten" in broken.output
    # Entries after the checkpoint are allowed; a forged or foreign checkpoint is not.
    (tmp_path / "bad").write_text((tmp_path / "cp").read_text()[:-6] + "AAAAAA")
    forged = _verify(env, "--checkpoint", str(tmp_path / "bad"))
    assert forged.exit_code == 2 and "signature does not verify" in forged.output
    missing = _verify(env, "--checkpoint", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and f"checkpoint {tmp_path / 'nope'}: cannot read" in (
        missing.output
    )


def _app_role_url(db_url: str) -> str:
    url = make_url(db_url).set(username=APP_ROLE, password=APP_ROLE)
    return url.render_as_string(hide_password=False)


def test_migrate_leaves_the_app_role_only_insert_on_the_log(db_url: str) -> None:
    if make_url(db_url).get_backend_name() != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    env, client = make_env(db_url)
    client.close()
    owner = create_engine(make_url(db_url).set(database="postgres"))
    with owner.connect() as conn:
        found = conn.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_ROLE}
        ).first()
    owner.dispose()
    if found is None:
        pytest.skip(f"no PostgreSQL role {APP_ROLE} (.ci/run creates it)")
    migrated = run("server", "migrate", "--database-url", db_url, "--app-role", APP_ROLE)
    assert migrated.exit_code == 0, migrated.output
    app_url = _app_role_url(db_url)
    # The service runs as the app role: activations, credentials, audit all still work.
    from fastapi.testclient import TestClient

    from handsetguard.server.app import create_app
    from handsetguard.server.config import Settings

    with TestClient(create_app(Settings(database_url=app_url), clock=env.clock)) as c:
        env.client = c
        _activity(env, 2)
        assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True
    engine = create_engine(app_url)
    try:
        for statement in (
            "TRUNCATE audit_log",
            "DELETE FROM audit_log",
            "UPDATE audit_log SET actor_role = 'x'",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            "DROP TABLE audit_log",
            "TRUNCATE audit_head",
            "DELETE FROM audit_head",
            "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, 'x')",
            "ALTER TABLE audit_head DISABLE TRIGGER USER",
        ):
            with engine.begin() as conn, pytest.raises(ProgrammingError, match="permission|owner"):
                conn.execute(text(statement))
        # UPDATE is granted (appends advance the head), but only forward by one entry.
        reset = f"UPDATE audit_head SET seq = 0, hash = '{audit.GENESIS}'"
        with engine.begin() as conn, pytest.raises(DBAPIError, match="only advance"):
            conn.execute(text(reset))
    finally:
        engine.dispose()


def _head(env: Env) -> tuple[int, str, str | None]:
    with env.db.write() as s:
        row = s.execute(text("SELECT seq, hash, prev_hash FROM audit_head WHERE id = 1")).one()
    return int(row[0]), str(row[1]), row[2]


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE audit_head SET seq = 0, hash = '{audit.GENESIS}', prev_hash = NULL",
        "UPDATE audit_head SET seq = seq + 2, prev_hash = hash",
        "UPDATE audit_head SET seq = seq + 1, prev_hash = 'f00d', hash = 'beef'",
        "UPDATE audit_head SET id = 2",
        "DELETE FROM audit_head",
    ],
)
def test_the_head_only_moves_forward_in_the_database(env: Env, statement: str) -> None:
    """Found: the service's own role could reset the chain's head ("OK: 0 entries"). The
    database now refuses any change of the head but the one-entry advance an append makes."""
    _activity(env, 2)
    before = _head(env)
    with pytest.raises(DBAPIError, match="audit_head"), env.db.write() as s:
        s.execute(text(statement))
    assert _head(env) == before
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True


def test_a_head_naming_no_entry_is_refused_at_commit(env: Env) -> None:
    """PostgreSQL checks at commit that the head names an entry of the log (seq and both
    hashes): advancing it by one with a made-up hash is refused, and appends still work."""
    if env.db.sqlite:
        pytest.skip("the deferred anchor check is PostgreSQL's (SQLite has one writer)")
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    env.ok("POST", "/v1/activations", factory, json=env.unit())
    before = _head(env)
    forged = f"UPDATE audit_head SET seq = seq + 1, prev_hash = hash, hash = '{'e' * 64}'"
    with pytest.raises(DBAPIError, match="names no audit_log entry"), env.db.write() as s:
        s.execute(text(forged))
    assert _head(env) == before
    env.ok("POST", "/v1/activations", factory, json=env.unit())
    assert _head(env)[0] == before[0] + 1  # the activation's audit entry
    assert env.ok("GET", "/v1/audit/verify", env.admin)["ok"] is True
