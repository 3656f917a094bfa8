"""``pip install handsetguard`` without extras: ``--help`` and ``check FILE`` work; a command
that needs the adb or server extra says which in one line and exits 2 (no traceback).

Each case runs the real entry point in a fresh interpreter in which importing the extra's
modules fails as it does when they are not installed (a meta-path finder raising
ModuleNotFoundError, the exception a missing package gives)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ADB_MODULES = ("adbutils",)
SERVER_MODULES = (
    "fastapi",
    "starlette",
    "pydantic_settings",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "uvloop",
    "httptools",
    "psycopg",
    "prometheus_client",
)
ADB_LINE = "error: live phones need the adb extra: pip install 'handsetguard[adb]'"
SERVER_LINE = (
    "error: the licensing service needs the server extra: pip install 'handsetguard[server]'"
)

_WITHOUT = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

BLOCKED = frozenset(sys.argv[1].split(","))
sys.meta_path.insert(0, NotInstalled())
sys.argv = ["handsetguard", *sys.argv[2:]]
from handsetguard.cli import main
main()
"""


def run_without(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    blocked = ",".join(ADB_MODULES + SERVER_MODULES)
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, blocked, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "80"},
    )


def test_the_blocker_really_blocks(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _WITHOUT.replace("from handsetguard.cli import main\nmain()", "import adbutils"),
            "adbutils",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "ModuleNotFoundError: No module named 'adbutils'" in done.stderr


def test_help_and_check_work_without_extras(tmp_path: Path) -> None:
    done = run_without("--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "devices" in done.stdout and "server" in done.stdout
    done = run_without("check", "--example", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"KS-60 Secure"' in done.stdout
    done = run_without("apps", "--example", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for command in (("devices",), ("watch",), ("server", "init"), ("royalty", "statement")):
        done = run_without(*command, "--help", cwd=tmp_path)
        assert done.returncode == 0 and "Usage:" in done.stdout, (command, done.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ("devices",),
        ("check", "adb"),
        ("check", "adb:SERIAL1", "--profile", "factory"),
        ("check", "--all", "--profile", "factory"),
        ("collect", "adb", "-o", "snap"),
        ("watch", "adb", "--polls", "1"),
    ],
)
def test_live_commands_without_the_adb_extra(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_without(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [ADB_LINE]
    assert done.stdout == ""
    assert not (tmp_path / "snap").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("server", "init", "--database-url", "sqlite:///x.db"),
        ("server", "serve"),
        ("server", "migrate"),
        ("server", "rotate-key"),
        ("server", "new-key-file", "kek"),
        ("server", "seal-keys"),
        ("server", "audit", "verify"),
        ("activation", "verify", "act.json", "--public-key", "key.pem"),
        ("royalty", "statement", "--partner", "p1", "--period", "2025-01"),
    ],
)
def test_service_commands_without_the_server_extra(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run_without(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [SERVER_LINE]
    assert done.stdout == ""
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "kek").exists()
