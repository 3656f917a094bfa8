"""``-o``, found by running it (issue "The engine under hostile input", item 7): it used to
replace whatever was at the path — as root, ``-o /dev/null`` replaced the system's /dev/null
with a report — follow a symlink planted at its predictable ``.NAME.tmp``, and write a file
named ``-``. Now: a link or anything but a regular file at the target is refused in one line,
the temporary file is made as ``mkstemp`` makes one (random, O_EXCL), a failure leaves nothing
behind, and ``-o -`` is standard output. Every target here is made by the test inside
``tmp_path``; the "device node" is a symlink to /dev/null, which is refused before /dev/null is
touched."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from handsetguard.cli import common
from tests.attest.helpers import ASSETS
from tests.attest.test_revocation import _Endpoint, endpoint
from tests.cli_runner import invoke

status_server = endpoint  # the local status-list server of the revocation tests, a fixture

REPORT = ("check", "--example", "--format", "json")
APPS = ("apps", "--example", "--format", "json")


def _one_error_line(err: str, *words: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for word in words:
        assert word in lines[0], (word, err)
    assert "Traceback" not in err


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "report.fifo"
    os.mkfifo(path)
    yield path


@pytest.mark.parametrize("command", [REPORT, APPS])
def test_a_fifo_is_refused_not_replaced_or_opened(command: tuple[str, ...], fifo: Path) -> None:
    # Opening a FIFO for writing would block until a reader comes: a refusal proves it was not.
    code, out, err = invoke(*command, "-o", str(fifo))
    assert (code, out) == (2, "")
    _one_error_line(err, str(fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in fifo.parent.iterdir()) == [fifo.name]


@pytest.mark.parametrize("command", [REPORT, APPS])
def test_a_symlink_target_is_refused_and_its_file_untouched(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    code, out, err = invoke(*command, "-o", str(link))
    assert (code, out) == (2, "")
    _one_error_line(err, str(link), "symbolic link")
    assert link.is_symlink() and victim.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "victim.txt"]


def _identity(path: Path) -> tuple[int, ...]:
    found = os.lstat(path)
    return (found.st_mode, found.st_ino, found.st_rdev, found.st_size, found.st_mtime_ns)


def test_a_link_to_a_device_node_is_refused_without_touching_it(tmp_path: Path) -> None:
    # What /dev/null is on the machine running this is not assumed (on the build machine the
    # old -o had already made it a regular file): only that it is left exactly as it was.
    null = Path(os.devnull)
    before = _identity(null)
    link = tmp_path / "null"
    link.symlink_to(null)
    code, _, err = invoke(*REPORT, "-o", str(link))
    assert code == 2
    _one_error_line(err, str(link), "symbolic link")
    assert _identity(null) == before
    assert link.is_symlink()


def test_a_folder_target_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, err = invoke(*REPORT, "-o", str(folder))
    assert code == 2
    _one_error_line(err, str(folder), "not a regular file")
    assert folder.is_dir() and not list(folder.iterdir())


def test_a_symlink_planted_at_the_old_temporary_name_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    target = tmp_path / "report.json"
    planted = [tmp_path / ".report.json.tmp", tmp_path / ".report.json..tmp"]
    for trap in planted:
        trap.symlink_to(victim)
    code, out, err = invoke(*REPORT, "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text())["device"]["model"] == "KS-60 Secure"
    assert victim.read_text() == "keep me\n"
    assert all(trap.is_symlink() for trap in planted)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["report.json", "victim.txt", *(p.name for p in planted)])


@pytest.mark.parametrize(("command", "needle"), [(REPORT, '"KS-60 Secure"'), (APPS, "whatsapp")])
def test_dash_is_standard_output(
    command: tuple[str, ...], needle: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke(*command, "-o", "-")
    assert code == 0 and needle in out
    assert not (tmp_path / "-").exists() and not list(tmp_path.iterdir())


def test_text_to_dash_is_the_terminal_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    dashed = invoke("check", "--example", "-o", "-")
    assert dashed == invoke("check", "--example")
    assert dashed[0] == 0 and "KS-60 Secure" in dashed[1]
    assert not list(tmp_path.iterdir())


def test_an_existing_report_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    target.chmod(0o640)
    old_inode = target.stat().st_ino
    assert invoke(*REPORT, "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["schema"].startswith("handsetguard.report/")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != old_inode  # renamed over, not rewritten in place
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_new_report_is_private(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    assert invoke(*REPORT, "-o", str(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_failure_removes_the_temporary_file_and_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n")
    synced: list[int] = []

    def broken_fsync(descriptor: int) -> None:
        synced.append(descriptor)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(common.os, "fsync", broken_fsync)
    code, _, err = invoke(*REPORT, "-o", str(target))
    assert code == 2 and synced
    _one_error_line(err, str(target), "cannot write report", "Input/output error")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_an_interrupt_while_writing_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"

    def interrupted(_src: str, _dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(common.os, "replace", interrupted)
    code, _, err = invoke(*REPORT, "-o", str(target))
    assert code == 130 and err == "interrupted\n"
    assert not list(tmp_path.iterdir())


def test_the_temporary_file_is_random_private_and_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[tuple[str, str, int]] = []
    real = os.replace

    def spy(source: str, target: str) -> None:
        renamed.append((source, target, stat.S_IMODE(os.lstat(source).st_mode)))
        real(source, target)

    monkeypatch.setattr(os, "replace", spy)
    target = tmp_path / "r.json"
    for _ in range(2):
        target.unlink(missing_ok=True)
        assert invoke(*REPORT, "-o", str(target))[0] == 0
    (first, to, mode), (second, _, _) = renamed
    assert to == str(target) and mode == 0o600
    assert os.path.dirname(first) == str(tmp_path)
    assert re.fullmatch(r"\.r\.json\.[0-9a-f]{16}\.tmp", os.path.basename(first))
    assert first != second  # a new random name each time
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_a_link_planted_at_the_random_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name to be drawn is known in advance here (os.urandom fixed): a link planted there
    # is passed over for another name (O_EXCL | O_NOFOLLOW), not written through.
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    trap = tmp_path / f".r.json.{'00' * 8}.tmp"
    trap.symlink_to(victim)
    draws = iter([bytes(8), b"\x01" * 8])
    monkeypatch.setattr(os, "urandom", lambda _n: next(draws))
    assert invoke(*REPORT, "-o", str(tmp_path / "r.json"))[0] == 0
    assert victim.read_text() == "keep me\n" and trap.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.json", trap.name, "victim.txt"])


def test_no_free_temporary_name_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trap = tmp_path / f".r.json.{'00' * 8}.tmp"
    trap.symlink_to(tmp_path / "absent")
    monkeypatch.setattr(os, "urandom", bytes)  # the same name on every try
    code, out, err = invoke(*REPORT, "-o", str(tmp_path / "r.json"))
    assert (code, out) == (2, "")
    _one_error_line(err, str(tmp_path / "r.json"), "no free temporary name")
    assert sorted(p.name for p in tmp_path.iterdir()) == [trap.name]


# --- attest-status-refresh -o and collect -o ------------------------------------------------


def test_status_refresh_refuses_a_link_before_downloading(
    endpoint: tuple[str, type[_Endpoint]], tmp_path: Path
) -> None:
    url, handler = endpoint
    handler.body = (ASSETS / "status.json").read_bytes()
    victim = tmp_path / "victim.json"
    victim.write_text("{}")
    link = tmp_path / "status.json"
    link.symlink_to(victim)
    code, out, err = invoke("attest-status-refresh", "-o", str(link), "--url", url)
    assert (code, out) == (2, "")
    _one_error_line(err, str(link), "symbolic link")
    assert victim.read_text() == "{}" and link.is_symlink()


def test_status_refresh_to_dash_prints_the_list(
    endpoint: tuple[str, type[_Endpoint]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = endpoint
    handler.body = (ASSETS / "status.json").read_bytes()
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("attest-status-refresh", "-o", "-", "--url", url)
    assert code == 0
    assert json.loads(out) == json.loads(handler.body)
    assert err == "downloaded 2 status entries\n"
    assert not list(tmp_path.iterdir())


def test_status_refresh_to_a_file(endpoint: tuple[str, type[_Endpoint]], tmp_path: Path) -> None:
    url, handler = endpoint
    handler.body = (ASSETS / "status.json").read_bytes()
    target = tmp_path / "status.json"
    code, out, _ = invoke("attest-status-refresh", "-o", str(target), "--url", url)
    assert code == 0 and out == f"saved 2 status entries to {target}\n"
    assert target.read_bytes() == handler.body


@pytest.mark.parametrize("kind", ["dash", "link"])
def test_collect_refuses_dash_and_a_link(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("adbutils")
    monkeypatch.chdir(tmp_path)
    if kind == "link":
        real = tmp_path / "real"
        real.mkdir()
        (tmp_path / "snap").symlink_to(real)
        target, words = "snap", ("snap", "symbolic link")
    else:
        target, words = "-", ("a snapshot is a folder",)
    code, out, err = invoke("collect", "adb", "-o", target)
    assert (code, out) == (2, "")
    _one_error_line(err, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["real", "snap"] if kind == "link" else []
    )
