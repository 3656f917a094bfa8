"""What a ``check`` run loads and holds, which is most of its cost on a small input (issue 10's
speed targets): the readers of other input kinds, the indicator-file parsers (the index comes
from the cache), hashlib (OpenSSL), strptime and dataclasses stay unimported for a bugreport
zip; the evidence is let go before the indicator index is loaded (the two never share the
peak RSS)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from handsetguard.evidence import Evidence
from tests.cli_runner import invoke
from tests.conftest import corpus_path

EMULATOR_9 = "device/emulator-sdkgphone-x86-android9-bugreport/bugreport.zip"

# Modules a bugreport-zip check with a cached indicator index has no use for.
NOT_FOR_A_BUGREPORT = (
    "handsetguard.sources.androidqf",
    "handsetguard.sources.loose",
    "handsetguard.sources.signatures",
    "handsetguard.sources.snapshot",
    "handsetguard.threats.indicators.stix2",
    "handsetguard.threats.indicators.yamlsets",
    "hashlib",
    "_hashlib",
    "_strptime",
    "importlib.resources",
    "dataclasses",  # records are made without it (and without the inspect it imports)
    "inspect",
    "typing",  # ~13 M instructions: annotations are text, typing is read by the type checker
    "tempfile",  # -o makes its temporary file itself: tempfile and random cost ~3-5 M
    "random",
)

_PROBE = """\
import sys
from handsetguard.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(code, ",".join(sorted(m for m in sys.modules if m in {names!r})))
"""


def _check(zip_path: Path, out: Path, env: dict[str, str]) -> tuple[str, str]:
    probe = _PROBE.format(names=NOT_FOR_A_BUGREPORT)
    done = subprocess.run(
        [sys.executable, "-c", probe, "check", "--format", "json", "-o", str(out), str(zip_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    code, _, loaded = done.stdout.strip().partition(" ")
    return code, loaded


def test_a_bugreport_check_loads_only_what_it_uses(tmp_path: Path) -> None:
    """Android 9 emulator bugreport (AOSP, x86): the first run builds the indicator cache (and
    may parse the bundled set); the second loads none of the modules above and writes the
    same report."""
    zip_path = corpus_path(EMULATOR_9)
    env = {k: v for k, v in os.environ.items() if k != "HANDSETGUARD_IOCS"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert _check(zip_path, first, env)[0] == "0"
    assert list((tmp_path / "cache" / "handsetguard").glob("iocs-index-*.json"))
    code, loaded = _check(zip_path, second, env)
    assert (code, loaded) == ("0", "")
    assert json.loads(second.read_text()) == json.loads(first.read_text())


def test_the_evidence_is_let_go_before_the_indicator_index_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled example: when the index is loaded, the run's Evidence (and so its sections'
    text) is no longer alive."""
    from handsetguard.cli import check, iocs

    acquire, load = check.acquire, iocs._load
    acquired: list[weakref.ref[Evidence]] = []
    alive_at_load: list[bool] = []

    def remembering(source: str | None, example: bool) -> Evidence:
        evidence = acquire(source, example)
        acquired.append(weakref.ref(evidence))
        return evidence

    def loading(paths: list[str]) -> object:
        gc.collect()
        alive_at_load.append(any(ref() is not None for ref in acquired))
        return load(paths)

    monkeypatch.setattr(check, "acquire", remembering)
    monkeypatch.setattr(iocs, "_load", loading)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, _, err = invoke("check", "--example", "--format", "json", "-o", str(tmp_path / "r.json"))
    assert (code, err) == (0, "")
    assert len(acquired) == 1 and alive_at_load == [False]


_TEXT_PROBE = """\
import builtins
import sys
from handsetguard import patterncache
made = []
program = patterncache._program
patterncache._program = lambda source, flags: made.append(source) or program(source, flags)
compiled = []
compile_ = builtins.compile
def counting(*args, **kwargs):
    # importlib compiles a module's source when it has no bytecode; that is not ours
    if not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
        compiled.append(args)
    return compile_(*args, **kwargs)
builtins.compile = counting
from handsetguard.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
from handsetguard.evidence import Provenance
fast = Provenance.__init__.__code__.co_filename == "<record Provenance>"
loaded = "typing" in sys.modules or "shutil" in sys.modules
print(code, "zipfile" in sys.modules, len(made), len(compiled), fast, loaded)
"""


def test_a_text_input_loads_no_zipfile_and_compiles_no_pattern_twice(tmp_path: Path) -> None:
    """The bundled example (a dumpstate text), its report on stdout: zipfile (and the
    threading, struct and importlib.util it imports) is never loaded; the first run compiles
    the package's patterns and keeps their programs, the second compiles none (patterncache)
    and reports the same. The builtin compile() is never called (its first call builds the
    ast module's node types, ~10 M instructions), though records compile the __init__ of
    their busiest classes; typing and shutil (argparse's help width) are not imported (the
    first run writes the caches: tempfile imports shutil). The modules have no bytecode (an
    empty pycache prefix, none written), as in a fresh clone under PYTHONDONTWRITEBYTECODE:
    the import system's own compile() of their source is not counted."""
    env = {k: v for k, v in os.environ.items() if k != "HANDSETGUARD_IOCS"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    env.update(PYTHONPYCACHEPREFIX=str(tmp_path / "pycache"), PYTHONDONTWRITEBYTECODE="1")
    runs, reports = [], []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _TEXT_PROBE, "check", "--example", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env=env,
        )
        report, _, status = done.stdout.rstrip("\n").rpartition("\n")
        runs.append(status.split())
        reports.append(json.loads(report))
    assert runs[0][:2] == ["0", "False"] and int(runs[0][2]) > 20
    assert runs[0][3:5] == ["0", "True"]
    assert runs[1] == ["0", "False", "0", "0", "True", "False"]
    assert reports[0] == reports[1]
