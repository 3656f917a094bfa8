"""The command line is one package, ``handsetguard.cli``: one module per command group, no
import cycles, and the library never imports it (the CLI imports the library, never the
reverse). Checked on the source, so a new module is covered without being listed."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import handsetguard

SRC = Path(handsetguard.__file__).resolve().parent
CLI = SRC / "cli"
GROUPS = [
    "activation",  # activation verify/issue, split out of server
    "apk",
    "apps",  # apps, split out of check
    "attest",
    "check",
    "common",
    "diff",
    "iocs",
    "live",
    "registry",
    "root",
    "server",
    "server_audit",  # server audit verify/checkpoint, split out of server
    "server_env",  # the settings, vault and database the service's commands share
    "watch",  # watch, split out of live
]


def _imports(path: Path) -> set[str]:
    """Every ``handsetguard.…`` module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "handsetguard"}


def test_the_package_and_its_public_names() -> None:
    import handsetguard.cli as cli

    assert sorted(cli.__all__) == ["build_parser", "main"]
    assert sorted(p.stem for p in CLI.glob("*.py") if p.stem != "__init__") == GROUPS
    assert not (SRC / "cli.py").exists() and not (SRC / "cli_live.py").exists()
    assert not (SRC / "attest" / "cli.py").exists() and not (SRC / "server" / "cli.py").exists()


LIBRARY = sorted(p for p in SRC.rglob("*.py") if CLI not in p.parents)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SRC)))
def test_the_library_never_imports_the_cli(path: Path) -> None:
    assert not {
        m for m in _imports(path) if m == "handsetguard.cli" or m.startswith("handsetguard.cli.")
    }


def test_no_import_cycle_between_command_groups() -> None:
    graph = {
        f"handsetguard.cli.{p.stem}": {m for m in _imports(p) if m.startswith("handsetguard.cli.")}
        for p in CLI.glob("*.py")
        if p.stem != "__init__"
    }
    # common is the leaf every group shares; root imports the groups; groups import only common
    # (check reaches live for adb targets: one way).
    assert graph["handsetguard.cli.common"] == set()
    for name, targets in graph.items():
        for target in targets:
            assert name not in graph.get(target, set()), f"{name} <-> {target}"
    assert graph["handsetguard.cli.live"] == {"handsetguard.cli.common"}


@pytest.mark.parametrize("group", GROUPS)
def test_each_module_imports_alone(group: str) -> None:
    importlib.import_module(f"handsetguard.cli.{group}")
