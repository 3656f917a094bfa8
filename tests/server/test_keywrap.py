"""Signing keys sealed at rest under a key-encryption key: the format, the key file, the
service signing with a sealed key, refusing to run without (or with the wrong) KEK, and the
commands that create a key file and seal existing keys."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from handsetguard.server.core import keywrap
from handsetguard.server.core.envelope import ACTIVATION_TYPE, open_envelope, verify_envelope
from handsetguard.server.core.offline import load_keys
from handsetguard.server.models import SigningKey
from tests.cli_runner import run
from tests.server.conftest import START, Env, make_env

KEK = bytes(range(32))


def test_seal_opens_only_with_its_kek_and_kid() -> None:
    raw = os.urandom(32)
    sealed = keywrap.seal(KEK, "ed25519:kid1", raw)
    assert keywrap.is_sealed(sealed) and raw.hex() not in sealed
    assert keywrap.unseal(KEK, "ed25519:kid1", sealed) == raw
    assert sealed != keywrap.seal(KEK, "ed25519:kid1", raw)  # a fresh nonce each time
    body = sealed.removeprefix(keywrap.SEALED_PREFIX)
    flipped = keywrap.SEALED_PREFIX + ("A" if body[0] != "A" else "B") + body[1:]
    for kek, kid, stored in (
        (bytes(32), "ed25519:kid1", sealed),  # another KEK
        (KEK, "ed25519:kid2", sealed),  # moved onto another key id
        (KEK, "ed25519:kid1", flipped),  # altered
        (KEK, "ed25519:kid1", keywrap.SEALED_PREFIX + "!!"),  # garbage
    ):
        with pytest.raises(ValueError, match="does not open signing key"):
            keywrap.unseal(kek, kid, stored)
    assert not keywrap.is_sealed(base64.b64encode(raw).decode())


def test_key_file_is_created_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "kek"
    keywrap.new_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kek = keywrap.read_key_file(path)
    assert len(kek) == 32
    with pytest.raises(keywrap.KeyFileError, match="already exists"):
        keywrap.new_key_file(path)
    assert keywrap.read_key_file(path) == kek


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"not base64 at all!\n", "not base64"),
        (base64.b64encode(bytes(16)) + b"\n", "16 bytes of key, expected 32"),
        (b"A" * 5000, "larger than"),
    ],
)
def test_unusable_key_files_are_named_in_one_line(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "kek"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(keywrap.KeyFileError, match=message) as info:
        keywrap.read_key_file(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.fixture
def kek_file(tmp_path: Path) -> Path:
    path = tmp_path / "kek"
    keywrap.new_key_file(path)
    return path


@pytest.fixture
def sealed_env(db_url: str, kek_file: Path) -> Iterator[Env]:
    environment, client = make_env(db_url, key_encryption_key_file=str(kek_file))
    with client:
        yield environment


def _stored_keys(env: Env) -> dict[str, str]:
    with env.db.read() as s:
        rows = s.execute(select(SigningKey.kid, SigningKey.private_key)).all()
        return {str(row[0]): str(row[1]) for row in rows}


def _activate(env: Env) -> tuple[int, dict[str, object]]:
    partner = env.partner()
    env.agreement(partner)
    factory = env.credential("factory", partner_id=partner)
    response = env.client.post("/v1/activations", json=env.unit(), headers=factory)
    return response.status_code, response.json()


def test_service_seals_new_keys_and_signs_with_them(sealed_env: Env) -> None:
    env = sealed_env
    rotated = env.ok("POST", "/v1/keys/rotate", env.admin)["kid"]
    stored = _stored_keys(env)
    assert set(stored) == {env.kid, rotated}
    assert all(keywrap.is_sealed(v) for v in stored.values())
    status, body = _activate(env)
    assert status == 201, body
    published = load_keys(env.client.get("/v1/keys").content)
    opened = verify_envelope(str(body["activation"]), published, ACTIVATION_TYPE)
    assert opened.kid == rotated
    revocations = env.client.get("/v1/revocations").json()["revocations"]
    assert open_envelope(revocations).kid == rotated


@pytest.mark.parametrize("kek", ["none", "other"])
def test_a_sealed_key_without_its_kek_is_a_503_not_a_signature(
    db_url: str, kek_file: Path, tmp_path: Path, kek: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, client = make_env(db_url, key_encryption_key_file=str(kek_file))
    client.close()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))  # no default KEK either
    other = tmp_path / "other-kek"
    keywrap.new_key_file(other)
    settings = {} if kek == "none" else {"key_encryption_key_file": str(other)}
    from fastapi.testclient import TestClient

    from handsetguard.server.app import create_app
    from handsetguard.server.config import Settings

    with TestClient(create_app(Settings(database_url=db_url, **settings), clock=env.clock)) as c:
        env.client = c
        status, body = _activate(env)
    assert status == 503
    code = "signing_key_sealed" if kek == "none" else "signing_key_unreadable"
    assert body["error"]["code"] == code  # type: ignore[index]


def test_commands_create_a_key_file_and_seal_existing_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'hg.db'}"
    unsafe = run("server", "init", "--database-url", url, "--unsafe-unsealed-keys")
    assert unsafe.exit_code == 0 and "UNSEALED" in unsafe.stderr
    assert not (tmp_path / "config").exists()  # no key file made when told not to seal
    refused = run("server", "rotate-key", "--database-url", url)
    assert refused.exit_code == 2 and "--unsafe-unsealed-keys" in refused.output
    assert "Traceback" not in refused.output
    again_unsafe = run("server", "rotate-key", "--database-url", url, "--unsafe-unsealed-keys")
    assert again_unsafe.exit_code == 0 and "UNSEALED" in again_unsafe.stderr
    kek = tmp_path / "kek"
    made = run("server", "new-key-file", str(kek))
    assert made.exit_code == 0 and "HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE" in made.output
    again = run("server", "new-key-file", str(kek))
    assert again.exit_code == 2 and "already exists" in again.output
    no_kek = run("server", "seal-keys", "--database-url", url)
    assert no_kek.exit_code == 2 and "no key-encryption key" in no_kek.output

    monkeypatch.setenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE", str(kek))
    sealed = run("server", "seal-keys", "--database-url", url)
    assert sealed.exit_code == 0 and "sealed 2 signing key(s)" in sealed.output
    assert "sealed 0" in run("server", "seal-keys", "--database-url", url).output
    assert run("server", "audit", "verify", "--database-url", url).exit_code == 0

    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database

    db = Database(Settings(database_url=url))
    with db.read() as s:
        stored = s.execute(select(SigningKey.private_key)).scalars().all()
    db.dispose()
    assert len(stored) == 2 and all(keywrap.is_sealed(v) for v in stored)

    monkeypatch.setenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE", str(tmp_path / "missing"))
    broken = run("server", "rotate-key", "--database-url", url)
    assert broken.exit_code == 2 and "missing" in broken.output and "Traceback" not in broken.output


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_private_database_and_a_key_file_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: the default set-up wrote hg.db 0644 with the signing key unsealed in it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    old = os.umask(0o022)
    try:
        path = tmp_path / "hg.db"
        url = f"sqlite:///{path}"
        result = run("server", "init", "--database-url", url)
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    default = tmp_path / "config" / "handsetguard" / "server.kek"
    assert f"created the key-encryption key {default} (mode 0600)" in result.output
    assert _mode(default) == 0o600 and _mode(default.parent) == 0o700
    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database

    db = Database(Settings(database_url=url))
    with db.read() as s:  # a read leaves the -wal and -shm files in place while open
        stored = s.execute(select(SigningKey.private_key)).scalars().all()
        assert stored and all(keywrap.is_sealed(v) for v in stored)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.writelock")]
        with db.write():
            pass
        for file in files:
            assert file.exists() and _mode(file) == 0o600, file
    db.dispose()
    # The next command finds the key file where init put it, and seals with it.
    assert run("server", "rotate-key", "--database-url", url).exit_code == 0
    second = run("server", "init", "--database-url", f"sqlite:///{tmp_path / 'two.db'}")
    assert f"sealed with the key-encryption key {default}" in second.output


def test_rotate_key_refuses_an_unsealed_key_in_a_sealed_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found: rotate-key without the KEK variable stored the new active key unsealed."""
    kek = tmp_path / "kek"
    keywrap.new_key_file(kek)
    url = f"sqlite:///{tmp_path / 'hg.db'}"
    monkeypatch.setenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE", str(kek))
    assert run("server", "init", "--database-url", url).exit_code == 0
    monkeypatch.delenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    for extra in ((), ("--unsafe-unsealed-keys",)):
        refused = run("server", "rotate-key", "--database-url", url, *extra)
        assert refused.exit_code == 2, refused.output
        assert "stored keys are sealed" in refused.output and "Traceback" not in refused.output


def test_the_service_refuses_an_unsealed_key_in_a_sealed_set(
    db_url: str, kek_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env, client = make_env(db_url, key_encryption_key_file=str(kek_file))
    client.close()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    from fastapi.testclient import TestClient

    from handsetguard.server.app import create_app
    from handsetguard.server.config import Settings

    settings = Settings(database_url=db_url, unsafe_unsealed_keys=True)
    with TestClient(create_app(settings, clock=env.clock)) as c:
        env.client = c  # its database is disposed when the block ends
        response = c.post("/v1/keys/rotate", headers=env.admin)
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "sealed_key_set"
        stored = _stored_keys(env)
    assert len(stored) == 1 and all(keywrap.is_sealed(v) for v in stored.values())


def test_the_service_stores_no_unsealed_key_unless_told(db_url: str) -> None:
    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database
    from handsetguard.server.errors import ServiceError
    from handsetguard.server.services.keys import KeyVault
    from handsetguard.server.services.setup import initialise

    db = Database(Settings(database_url=db_url))
    try:
        with pytest.raises(ServiceError, match="unsealed") as raised:
            initialise(db, "licensor", START, KeyVault(None))
        assert raised.value.code == "no_key_encryption_key"
        kid, _ = initialise(db, "licensor", START, KeyVault(None, unsafe_unsealed=True))
        with db.read() as s:
            assert not keywrap.is_sealed(s.get(SigningKey, kid).private_key)  # type: ignore[union-attr]
    finally:
        db.dispose()


def test_an_existing_world_readable_database_is_tightened(
    tmp_path: Path,
    kek_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database file made before files were created 0600 (or copied with a loose umask)
    holds the same keys and records: opening it sets it to 0600 and says so."""
    from handsetguard.server.config import Settings
    from handsetguard.server.db import Database

    monkeypatch.setenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE", str(kek_file))
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    assert run("server", "init", "--database-url", url).exit_code == 0
    path.chmod(0o644)
    with caplog.at_level("WARNING", logger="handsetguard.server"):
        db = Database(Settings(database_url=url))
    db.dispose()
    assert _mode(path) == 0o600
    assert f"database file {path} was mode 644, readable by other users: now 0600" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="handsetguard.server"):
        Database(Settings(database_url=url)).dispose()
    assert caplog.text == ""  # already tight: nothing to say
