"""The argparse command line: every command and option of the typer one it replaced, ``--help``
for each, usage errors as one ``error:`` line and exit 2, and ``import handsetguard.cli``
loading none of the engine, adb, the service, attestation, rich or the sources."""

from __future__ import annotations

import subprocess
import sys

import pytest

from handsetguard.cli.apps import CATEGORIES
from handsetguard.privacy import Category
from tests.cli_runner import invoke, run

# Every command, and the options its typer version had (the names users' scripts use).
COMMANDS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("check",): (
        "--example",
        "--format",
        "-f",
        "--output",
        "-o",
        "--profile",
        "--as-of",
        "--fail-on",
        "--save",
        "--all",
        "--timeout",
        "--verbose",
        "-v",
    ),
    ("apps",): (
        "--example",
        "--category",
        "-c",
        "--app",
        "--sort",
        "--format",
        "-f",
        "--output",
        "-o",
        "--verbose",
    ),
    ("diff",): ("--format", "-f", "--output", "-o", "--force", "--profile", "--iocs", "-v"),
    ("version",): (),
    ("devices",): (),
    ("collect",): ("--output", "-o", "--timeout"),
    ("watch",): ("--category", "-c", "--app", "--interval", "--json", "--polls"),
    ("attest",): (
        "--challenge",
        "--policy",
        "--status-list",
        "--at",
        "--format",
        "-f",
        "--roots",
        "--unsafe-trust-root",
        "--unsafe-allow-missing-status-list",
        "--fail-on-suspended",
        "--status-max-age-days",
    ),
    ("attest-status-refresh",): ("--output", "-o", "--url", "--timeout"),
    ("server", "init"): ("--database-url", "--licensor"),
    ("server", "serve"): ("--database-url", "--host", "--port", "--workers"),
    ("server", "migrate"): ("--database-url",),
    ("server", "rotate-key"): ("--database-url",),
    ("server", "new-key-file"): (),
    ("server", "seal-keys"): ("--database-url",),
    ("server", "audit", "verify"): ("--database-url",),
    ("activation", "verify"): ("--public-key", "--revocations", "--json"),
    ("royalty", "statement"): (
        "--partner",
        "--period",
        "--database-url",
        "--agreement",
        "--format",
        "--close",
        "--no-close",
    ),
}

# --format lists exactly the formats that work for the command.
FORMATS = {
    ("check",): "<text|json|html|md|verdict>",
    ("apps",): "<text|json>",
    ("diff",): "<text|json|html|md>",
    ("attest",): "<text|json>",
    ("royalty", "statement"): "<json|csv>",
}


@pytest.mark.parametrize("command", list(COMMANDS), ids=" ".join)
def test_every_command_has_help_with_its_options(command: tuple[str, ...]) -> None:
    code, out, err = invoke(*command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith(f"Usage: handsetguard {' '.join(command)} ")
    for option in COMMANDS[command]:
        assert f"{option} " in out or f"{option}," in out or f"{option}\n" in out, option
    if command in FORMATS:
        assert FORMATS[command] in out


def test_the_top_level_help_lists_every_command() -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and out.startswith("Usage: handsetguard ")
    for command in {c[0] for c in COMMANDS}:
        assert f"\n    {command} " in out or f"\n    {command}\n" in out, command


@pytest.mark.parametrize("group", [(), ("server",), ("server", "audit"), ("royalty",)])
def test_a_group_without_its_command_shows_help_and_exits_2(group: tuple[str, ...]) -> None:
    code, out, _ = invoke(*group)
    assert code == 2 and out.startswith("Usage: handsetguard")


def test_version() -> None:
    from handsetguard import __version__

    assert invoke("version") == (0, f"handsetguard {__version__}\n", "")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("nosuch",), ("invalid choice", "'nosuch'")),
        (("check", "--example", "--format", "pdf"), ("--format", "'pdf'", "text", "verdict")),
        (("check", "--example", "--fail-on", "pass"), ("--fail-on", "'pass'")),
        (("check", "--example", "--timeout", "0.01"), ("--timeout", "minimum 0.1")),
        (("check", "--example", "--timeout", "soon"), ("--timeout", "'soon'")),
        (("check", "--example", "--no-such-option"), ("unrecognized", "--no-such-option")),
        (("check", "a", "b"), ("unrecognized", "b")),
        (("apps", "--example", "--sort", "size"), ("--sort", "'size'")),
        (("collect", "adb"), ("required", "-o/--output")),
        (("watch",), ("required", "TARGET")),
        (("watch", "adb", "--polls", "x"), ("--polls", "'x'")),
        (("attest",), ("required", "CHAIN")),
        (("server", "serve", "--workers", "0"), ("--workers", "minimum 1")),
        (("royalty", "statement", "--partner", "p"), ("required", "--period")),
        (("activation", "verify", "f"), ("required", "--public-key")),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    code, out, err = invoke(*args)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("error: ") and "--help" in line
    for word in words:
        assert word in line, (word, line)


def test_a_usage_error_shows_what_was_typed_escaped() -> None:
    code, _, err = invoke("check", "--example", "--format", "\x1b]0;owned\x07\u202ejson")
    assert code == 2
    assert "\x1b" not in err and "\u202e" not in err and "\x07" not in err
    assert "\\x1b]0;owned\\x07\\u202ejson" in err


def test_error_messages_quoting_input_are_escaped() -> None:
    code, _, err = invoke("check", "/nonexistent/\x1b[31mred\u202e.zip")
    assert code == 2 and err.startswith("error: ")
    assert "\x1b" not in err and "\u202e" not in err
    assert "\\x1b[31mred\\u202e.zip" in err


def test_the_apps_help_names_every_category() -> None:
    assert CATEGORIES.split(", ") == [c.value for c in Category]


def test_the_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sqlalchemy")
    monkeypatch.setenv("HANDSETGUARD_DATABASE_URL", "sqlite:////nonexistent/folder/hg.db")
    result = run("server", "init")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: database file /nonexistent/folder/hg.db: "
        "cannot create it (No such file or directory)"
    )


HEAVY = (
    "rich",
    "typer",
    "click",
    "pydantic",
    "adbutils",
    "sqlalchemy",
    "fastapi",
    "cryptography",
    "pyasn1",
    "jinja2",
    "handsetguard.engine",
    "handsetguard.adb",
    "handsetguard.server",
    "handsetguard.attest",
    "handsetguard.sources",
    "handsetguard.report",
    "handsetguard.parsers",
    "handsetguard.checks",
    "handsetguard.state",
)


@pytest.mark.parametrize(
    "code",
    [
        "import handsetguard.cli",
        # Building the whole parser and printing a command's help loads nothing more.
        "from handsetguard.cli import build_parser; build_parser().format_help()",
    ],
)
def test_importing_the_command_line_stays_light(code: str) -> None:
    probe = (
        f"import sys; {code}; "
        f"print(','.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_check_json_does_not_load_rich_or_the_other_commands() -> None:
    probe = (
        "import sys, io\n"
        "from handsetguard.cli import main\n"
        "sys.stdout = io.StringIO()\n"
        "try:\n"
        "    main(['check', '--example', '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stdout = sys.__stdout__\n"
        "heavy = ('rich', 'typer', 'pydantic', 'adbutils', 'sqlalchemy', 'cryptography',\n"
        "         'handsetguard.adb', 'handsetguard.server', 'handsetguard.attest')\n"
        "print(code, ','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "0"


def test_each_command_builds_its_own_group_with_every_command_listed() -> None:
    """The lazy per-group parser knows exactly the commands the full parser has."""
    import argparse

    from handsetguard.cli import root

    full = root.build_parser()
    actions = [a for a in full._actions if isinstance(a, argparse._SubParsersAction)]
    names = set(actions[0].choices)
    assert names == set(root._GROUP_OF) | {"version"}
    for command in root._GROUP_OF:
        one = root.build_parser(command)
        sub = [a for a in one._actions if isinstance(a, argparse._SubParsersAction)][0]
        assert command in sub.choices
