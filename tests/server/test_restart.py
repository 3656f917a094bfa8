"""Kill the server process (SIGKILL) in the middle of a load of activations, restart it and
retry every unit: nothing acknowledged is lost, nothing is counted twice."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from handsetguard.server.config import Settings
from handsetguard.server.db import Database
from handsetguard.server.models import Activation, Agreement, Device
from tests.server.conftest import make_env

CLIENTS = 16
UNITS = 240
QUOTA = 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    def __init__(self, db_url: str, port: int) -> None:
        env = {**os.environ, "HANDSETGUARD_DATABASE_URL": db_url}
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "handsetguard.server.app:create_app_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        raise AssertionError("server did not start")

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def prepared(db_url: str) -> Iterator[tuple[str, dict[str, str], str, list[dict[str, Any]]]]:
    env, client = make_env(db_url)
    with client:
        partner = env.partner()
        agreement = env.agreement(
            partner, quota=QUOTA, term_start="2000-01-01", term_end="2099-12-31"
        )
        factory = env.credential("factory", partner_id=partner)
        units = [env.unit() for _ in range(UNITS)]
    yield db_url, factory, agreement, units


def test_kill_mid_load_and_restart_loses_and_doubles_nothing(
    prepared: tuple[str, dict[str, str], str, list[dict[str, Any]]],
) -> None:
    db_url, factory, agreement, units = prepared
    port = _free_port()
    server = Process(db_url, port)
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    killed = threading.Event()

    def send(chunk: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=server.url, headers=factory, timeout=10) as http:
            for unit in chunk:
                try:
                    response = http.post("/v1/activations", json=unit)
                except httpx.TransportError:
                    continue  # in flight when the process died: outcome unknown
                if response.status_code == 201:
                    with lock:
                        acknowledged[unit["serial"]] = response.json()["activation"]
                        if len(acknowledged) >= 60 and not killed.is_set():
                            killed.set()
                            server.kill()

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, [units[i::CLIENTS] for i in range(CLIENTS)]))
    assert killed.is_set()

    server = Process(db_url, port)
    try:
        final: dict[str, tuple[int, str]] = {}
        with httpx.Client(base_url=server.url, headers=factory, timeout=30) as http:
            for unit in units:  # every unit retried, acknowledged or not
                response = http.post("/v1/activations", json=unit)
                body = response.json()
                final[unit["serial"]] = (
                    response.status_code,
                    body.get("activation") or body["error"]["code"],
                )
    finally:
        server.kill()

    for serial, token in acknowledged.items():
        assert final[serial] == (200, token), serial  # kept, and the same proof
    activated = {s for s, (status, _) in final.items() if status in (200, 201)}
    refused = {s: v for s, v in final.items() if s not in activated}
    assert len(activated) == QUOTA
    assert set(refused.values()) == {(403, "quota_exhausted")}
    db = Database(Settings(database_url=db_url))
    with db.read() as s:
        used = s.execute(select(Agreement.used).where(Agreement.id == agreement)).scalar_one()
        devices = s.execute(select(func.count()).select_from(Device)).scalar_one()
        activations = s.execute(select(func.count(func.distinct(Activation.seq)))).scalar_one()
    db.dispose()
    assert (used, devices, activations) == (QUOTA, QUOTA, QUOTA)
