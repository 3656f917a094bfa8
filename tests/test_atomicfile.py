"""atomicfile.replace_file, the one way files are written (reports, manifests, status lists,
caches): whole or not at all, private when new, never through a link, never over a device,
FIFO or folder, nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from handsetguard.atomicfile import UnsafeTarget, replace_file, target_status
from handsetguard.errors import SourceError
from handsetguard.sources.snapshot import MANIFEST_NAME
from tests.sources.test_snapshot import make_snapshot


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_whole_and_private(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    replace_file(target, b"{}\n")
    assert target.read_bytes() == b"{}\n"
    assert _mode(target) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["report.json"]


def test_an_existing_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    replace_file(target, b"new", durable=False)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o644


def test_a_link_at_the_target_is_refused_and_its_file_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (tmp_path / "out").symlink_to(victim)
    with pytest.raises(UnsafeTarget, match="symbolic link"):
        replace_file(tmp_path / "out", b"x")
    assert victim.read_bytes() == b"keep me"
    assert (tmp_path / "out").is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["out", "victim"]


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_fifo_or_folder_is_never_replaced(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with pytest.raises(UnsafeTarget, match="not a regular file"):
        replace_file(target, b"x")
    assert stat.S_ISFIFO(target.lstat().st_mode) if kind == "fifo" else target.is_dir()
    assert os.listdir(tmp_path) == ["out"]
    with pytest.raises(UnsafeTarget):
        target_status(target)


def test_a_failed_rename_leaves_the_target_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"before")

    def refuse(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        replace_file(target, b"after")
    assert target.read_bytes() == b"before"
    assert os.listdir(tmp_path) == ["report.json"]


def test_a_target_swapped_for_a_link_while_written_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, victim = tmp_path / "report.json", tmp_path / "victim"
    victim.write_bytes(b"keep me")
    real_fdopen = os.fdopen

    def swap_then_open(fd: int, *args: object, **kwargs: object) -> object:
        target.unlink(missing_ok=True)
        target.symlink_to(victim)  # an attacker's link appears after the first check
        return real_fdopen(fd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "fdopen", swap_then_open)
    with pytest.raises(UnsafeTarget):
        replace_file(target, b"x")
    assert victim.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["report.json", "victim"]


def test_the_snapshot_manifest_never_follows_a_planted_temporary_link(tmp_path: Path) -> None:
    """The manifest was written through a fixed `.snapshot.json.tmp`: a link planted there
    sent it anywhere. Now the temporary name is random and opened without following links."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (tmp_path / f".{MANIFEST_NAME}.tmp").symlink_to(victim)
    path = make_snapshot(tmp_path, [], {}) / MANIFEST_NAME  # writes the manifest
    assert victim.read_bytes() == b"keep me"
    assert b'"serial": "KS60IN0042"' in path.read_bytes()
    (tmp_path / MANIFEST_NAME).unlink()
    (tmp_path / MANIFEST_NAME).symlink_to(victim)
    with pytest.raises(SourceError, match="symbolic link"):
        make_snapshot(tmp_path, [], {})
    assert victim.read_bytes() == b"keep me"
