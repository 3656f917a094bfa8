"""Fixtures for the service tests: a fresh, migrated database per test on SQLite and, when
HANDSETGUARD_TEST_PG_URL is set, on PostgreSQL (a database cloned from a migrated template,
dropped afterwards), an app built by the factory with a settable clock, and helpers."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import ProgrammingError  # noqa: E402

from handsetguard.server.app import create_app  # noqa: E402
from handsetguard.server.clock import SettableClock  # noqa: E402
from handsetguard.server.config import Settings  # noqa: E402
from handsetguard.server.core.identifiers import luhn_check_digit  # noqa: E402
from handsetguard.server.db import Database, normalise_url  # noqa: E402
from handsetguard.server.migrate import upgrade  # noqa: E402
from handsetguard.server.services.keys import KeyVault  # noqa: E402
from handsetguard.server.services.setup import initialise  # noqa: E402

PG_ENV = "HANDSETGUARD_TEST_PG_URL"
PG_SKIP = f"PostgreSQL half skipped: set {PG_ENV}=postgresql+psycopg://user:pass@host/db"
START = datetime(2026, 10, 15, 10, 0, tzinfo=UTC)


def imei(n: int, tac: str = "35123456") -> str:
    body = f"{tac}{n:06d}"
    return body + str(luhn_check_digit(body))


class PgAdmin:
    """Creates and drops throwaway databases on the server named by HANDSETGUARD_TEST_PG_URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=None)
        self.template = f"hg_tpl_{uuid.uuid4().hex[:10]}"
        self._exec(f'CREATE DATABASE "{self.template}"')
        engine = create_engine(self.url.set(database=self.template))
        upgrade(engine)
        engine.dispose()

    def _exec(self, sql: str) -> None:
        with self.engine.connect() as conn:
            conn.execute(text(sql))

    def create(self) -> str:
        name = f"hg_t_{uuid.uuid4().hex[:12]}"
        self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _drop(self, name: str) -> None:
        """WITH (FORCE) ends our sessions, but not an autovacuum worker that happens to be in
        the new database (a superuser's process): that one finishes within moments."""
        for _ in range(50):
            try:
                self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except ProgrammingError as exc:
                if "pg_signal_backend" not in str(exc.orig):
                    raise
                time.sleep(0.1)
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self, url: str) -> None:
        self._drop(str(make_url(url).database))

    def close(self) -> None:
        self._drop(self.template)
        self.engine.dispose()


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[PgAdmin | None]:
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    admin = PgAdmin(url)
    yield admin
    admin.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database(Settings(database_url=f"sqlite:///{path}"), create=True)
    upgrade(db.write_engine)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def config_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("config")


@pytest.fixture(autouse=True)
def _config_home(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default key-encryption key file (core/kek.py) is under a temporary folder, never
    the user's own: set up once, as ``server init`` does, and shared by the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.delenv("HANDSETGUARD_KEY_ENCRYPTION_KEY_FILE", raising=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    pg_admin: PgAdmin | None,
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "hg.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_admin is None:
        pytest.skip(PG_SKIP)
    url = pg_admin.create()
    yield url
    pg_admin.drop(url)


@dataclass
class Env:
    client: TestClient
    clock: SettableClock
    settings: Settings
    admin: dict[str, str]
    kid: str
    counter: list[int] = field(default_factory=lambda: [0])

    @property
    def db(self) -> Database:
        db: Database = self.client.app.state.ctx.db  # type: ignore[attr-defined]
        return db

    @property
    def store(self) -> Any:
        """The app's activation store (services/activation_store.py)."""
        return self.client.app.state.ctx.store  # type: ignore[attr-defined]

    def ok(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
        response = self.client.request(method, url, headers=headers, **kw)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json()

    def partner(self, name: str = "Lava International Ltd", country: str = "IN") -> str:
        body = {"legal_name": name, "country": country}
        return str(self.ok("POST", "/v1/partners", self.admin, json=body)["id"])

    def agreement(self, partner_id: str, **terms: Any) -> str:
        body = agreement_body(partner_id, **terms)
        return str(self.ok("POST", "/v1/agreements", self.admin, json=body)["id"])

    def credential(
        self, role: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> dict[str, str]:
        body = {"name": f"{role} credential", "role": role, **kw}
        token = self.ok("POST", "/v1/credentials", headers or self.admin, json=body)["token"]
        return {"Authorization": f"Bearer {token}"}

    def unit(self, **over: Any) -> dict[str, Any]:
        self.counter[0] += 1
        n = self.counter[0]
        return {
            "serial": f"SN{n:08d}",
            "imei1": imei(2 * n),
            "imei2": imei(2 * n + 1),
            "model_code": "Z60",
            "territory": "IN",
            **over,
        }


def agreement_body(partner_id: str, **terms: Any) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "name": "HandsetGuard suite and brand, South Asia",
        "modules": ["check", "factory_gate", "attest"],
        "brand_assets": ["HandsetGuard wordmark", "shield logo"],
        "territories": ["IN", "LK", "NP", "BD"],
        "device_models": [{"model_code": "Z60", "tac_prefixes": ["351234"]}],
        "quota": 100,
        "overage_policy": "block",
        "term_start": "2026-01-01",
        "term_end": "2027-12-31",
        "currency": "USD",
        "royalty_tiers": [{"from_units": 0, "rate": "1.50"}],
        **terms,
    }


def make_env(db_url: str, attestation: Any = None, **settings: Any) -> tuple[Env, TestClient]:
    config = Settings(database_url=db_url, **settings)
    clock = SettableClock(START)
    db = Database(config, create=True)
    vault = KeyVault.from_file(config.key_encryption_key_file, create=True)
    kid, token = initialise(db, "HandsetGuard Licensing", clock.now(), vault)
    db.dispose()
    client = TestClient(create_app(config, clock=clock, attestation=attestation))
    return Env(client, clock, config, {"Authorization": f"Bearer {token.token}"}, kid), client


@pytest.fixture
def env(db_url: str) -> Iterator[Env]:
    environment, client = make_env(db_url)
    with client:
        yield environment


class LiveServer:
    """The app served by uvicorn on a loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()
