"""A whole-process ``check``/``apps``/``diff`` ends without the interpreter's teardown
(cli/root.py's _quick_exit), and loses nothing by it: exit handlers run, stdout is complete,
the exit code is the command's, and a thread still running is waited for as a normal exit
waits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_RUN = """\
import atexit, sys, threading, time
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("atexit ran"))
if sys.argv[2] == "thread":
    def late():
        time.sleep(0.3)
        Path(str(marker) + ".thread").write_text("thread finished")
    threading.Thread(target=late).start()
sys.argv = ["handsetguard", *sys.argv[3:]]
from handsetguard.cli import main
main()
"""


def _run(tmp_path: Path, thread: str, *command: str) -> subprocess.CompletedProcess[str]:
    marker = tmp_path / "marker"
    return subprocess.run(
        [sys.executable, "-c", _RUN, str(marker), thread, *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_to_stdout_is_whole_and_exit_handlers_run(tmp_path: Path) -> None:
    done = _run(tmp_path, "none", "check", "--example", "--format", "json")
    assert done.returncode in (0, 3), done.stderr
    report = json.loads(done.stdout)  # the whole report: a cut one is no JSON
    assert report["rating"]["level"]
    assert (tmp_path / "marker").read_text() == "atexit ran"


def test_exit_code_is_the_commands(tmp_path: Path) -> None:
    done = _run(tmp_path, "none", "check", str(tmp_path / "absent.zip"))
    assert done.returncode == 2, done.stderr
    assert "absent.zip" in done.stderr
    assert (tmp_path / "marker").read_text() == "atexit ran"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = _run(tmp_path, "thread", "check", "--example", "--format", "json", "-o", str(out))
    assert done.returncode in (0, 3), done.stderr
    assert json.loads(out.read_text())["rating"]["level"]
    assert (tmp_path / "marker.thread").read_text() == "thread finished"
    assert (tmp_path / "marker").read_text() == "atexit ran"
