"""``handsetguard check --upload URL``: the report reaches a live service (uvicorn on
loopback) with the token from $HANDSETGUARD_TOKEN; the token is never printed; a refusal is
one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handsetguard.cli import main
from tests.server.conftest import Env, LiveServer, make_env
from tests.server.fleet.helpers import activate, tenant

EXAMPLE_SERIAL = "KS60IN0042"  # ro.serialno of the bundled example


@pytest.fixture
def live(db_url: str) -> Iterator[tuple[Env, LiveServer]]:
    environment, client = make_env(db_url)
    with client:
        server = LiveServer(client.app)
        try:
            yield environment, server
        finally:
            server.stop()


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_upload_sends_the_gate_report_as_baseline(
    live: tuple[Env, LiveServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env, server = live
    lava = tenant(env)
    unit = activate(env, lava, serial=EXAMPLE_SERIAL)
    token = _token(lava.factory)
    monkeypatch.setenv("HANDSETGUARD_TOKEN", token)
    out = tmp_path / "gate.json"
    argv = ["check", "--example", "--profile", "factory", "-f", "json", "-o", str(out)]
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--upload", server.url])
    assert exited.value.code == 3  # the example fails the gate; the report is sent all the same
    captured = capsys.readouterr()
    assert f"for unit {unit['device_id']} (the unit's baseline;" in captured.err
    assert token not in captured.err + captured.out
    history = env.ok("GET", f"/v1/units/{unit['device_id']}/history", lava.support)
    assert [e["type"] for e in history] == ["baseline"]
    assert history[0]["provenance"]["input_kind"] == "example"

    # A support credential of another partner: refused, one line, exit 2.
    other = tenant(env, "Other OEM Pvt Ltd")
    monkeypatch.setenv("HANDSETGUARD_TOKEN", _token(other.support))
    with pytest.raises(SystemExit) as exited:
        main(["check", "--example", "-f", "json", "-o", str(out), "--upload", server.url])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "refused the report: device_not_found" in err and "Traceback" not in err


def test_upload_needs_the_token_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("HANDSETGUARD_TOKEN", raising=False)
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as exited:
        main(["check", "--example", "-o", str(out), "--upload", "http://127.0.0.1:9"])
    assert exited.value.code == 2
    assert "$HANDSETGUARD_TOKEN" in capsys.readouterr().err
    assert not out.exists()  # refused before any work
    with pytest.raises(SystemExit):
        main(["check", "--example", "--upload", "ftp://example.org"])
    assert "http:// or https://" in capsys.readouterr().err
