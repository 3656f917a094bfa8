"""The service's commands fail in one line (issue 12): every database-URL problem, a
missing database file (which no command but ``server init`` creates), an unknown partner,
agreement or period; the URL (it may hold a password) is never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import run
from tests.server.conftest import Env

COMMANDS = (
    ["server", "migrate"],
    ["server", "rotate-key"],
    ["server", "seal-keys"],
    ["server", "audit", "verify"],
    ["server", "audit", "checkpoint"],
    ["server", "serve"],
    ["royalty", "statement", "--partner", "p", "--period", "2026-10"],
)


@pytest.mark.parametrize(
    ("url", "first_line"),
    [
        ("garbage", "error: database URL: not a database URL"),
        ("mysql://root:s3cret@db/hg", "error: database URL: unsupported database 'mysql'"),
        ("postgresql+asyncpg://u:s3cret@h/d", "error: database URL: unsupported database"),
        ("sqlite://", "error: database URL: no SQLite file named"),
    ],
)
@pytest.mark.parametrize("command", [["server", "init"], *COMMANDS[:2]])
def test_a_bad_database_url_is_one_line(url: str, first_line: str, command: list[str]) -> None:
    """Found: --database-url garbage or mysql://… printed a 60-line traceback."""
    result = run(*command, "--database-url", url)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith(first_line) and len(lines) <= 2, result.output
    assert "Traceback" not in result.output and "s3cret" not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_no_command_but_init_creates_a_database(tmp_path: Path, command: list[str]) -> None:
    """Found: --database-url sqlite:///typo.db created an empty file before failing."""
    typo = tmp_path / "typo.db"
    result = run(*command, "--database-url", f"sqlite:///{typo}")
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0] == f"error: database file {typo} does not exist"
    assert not typo.exists() and list(tmp_path.iterdir()) == []


def test_an_unreachable_postgresql_is_one_line() -> None:
    result = run("server", "migrate", "--database-url", "postgresql://hg:s3cret@127.0.0.1:1/hg")
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith("error: database: ")
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_unknown_partner_agreement_or_period_is_an_error(env: Env) -> None:
    """Found: royalty statement --partner nope exited 0 with an empty list."""
    partner = env.partner()
    env.agreement(partner)
    base = ["royalty", "statement", "--database-url", env.settings.database_url]
    nope = run(*base, "--partner", "nope", "--period", "2026-10")
    assert nope.exit_code == 2 and nope.output.splitlines() == ["error: no partner nope"]
    agreement = run(*base, "--partner", partner, "--period", "2026-10", "--agreement", "x")
    assert agreement.exit_code == 2
    assert agreement.output.splitlines() == [f"error: partner {partner} has no agreement x"]
    period = run(*base, "--partner", partner, "--period", "2026-13")
    assert period.exit_code == 2 and "is not YYYY-MM" in period.output
    closing = run(*base, "--partner", "nope", "--period", "2020-01", "--close")
    assert closing.exit_code == 2 and closing.output.splitlines() == ["error: no partner nope"]
    listed = env.client.get(
        "/v1/royalties/statements?partner_id=nope&period=2026-10", headers=env.admin
    )
    assert listed.status_code == 404 and listed.json()["error"]["code"] == "partner_not_found"
