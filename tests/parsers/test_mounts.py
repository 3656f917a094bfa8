"""Mount-table parser: /proc/mounts, mountinfo and ``mount`` output, on hand-written edge cases,
real devices (Android 12 Humane Ai Pin, Android 14 TV emulator) and fuzzing."""

from __future__ import annotations

import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import mounts
from handsetguard.parsers.mounts import Mount, Mounts, parse_mounts
from tests.conftest import ATV_BUGREPORT, FIXTURES, corpus_path

M = Mount


def _fixture(name: str) -> str:
    return (FIXTURES / "mounts" / name).read_bytes().decode("utf-8")


def test_exported_names() -> None:
    assert mounts.__all__ == ["Mount", "Mounts", "parse_mounts"]


EDGE_CASES: dict[str, tuple[list[Mount], int]] = {
    "proc_mounts.txt": (
        [
            M("/dev/root", "/", "ext4", ("ro", "seclabel", "relatime"), 0),
            M("tmpfs", "/dev", "tmpfs", ("rw", "seclabel", "nosuid", "relatime", "mode=755"), 1),
            M("/dev/block/dm-1", "/system_ext", "ext4", ("ro", "seclabel", "relatime"), 2),
            M(
                "/dev/fuse",
                "/mnt/user/0/My Files",
                "fuse",
                ("rw", "nosuid", "nodev", "noexec", "noatime", "user_id=0"),
                3,
            ),
            M(
                "/dev/block/by-name/userdata",
                "/data",
                "f2fs",
                ("rw", "lazytime", "seclabel", "nosuid", "nodev", "noatime"),
                4,
            ),
        ],
        0,
    ),
    "mount_command.txt": (
        [
            M(
                "/dev/block/dm-8",
                "/",
                "ext4",
                ("ro", "seclabel", "nodev", "relatime", "discard"),
                0,
            ),
            M("tmpfs", "/dev", "tmpfs", ("rw", "seclabel", "nosuid", "relatime", "mode=755"), 1),
            M(
                "/dev/block/mmcblk0p28",
                "/vendor/firmware_mnt",
                "vfat",
                ("ro", "context=u:object_r:firmware_file:s0", "relatime", "uid=1000"),
                2,
            ),
            M(
                "/data/media",
                "/storage/emulated/0/My Files",
                "sdcardfs",
                ("rw", "nosuid", "nodev"),
                3,
            ),
            M("none", "/config", "configfs", (), 4),
        ],
        0,
    ),
    "mountinfo.txt": (
        [
            M("/dev/block/dm-0", "/", "ext4", ("ro", "relatime", "seclabel"), 0),
            M(
                "tmpfs",
                "/mnt/installer",
                "tmpfs",
                ("rw", "nosuid", "nodev", "noexec", "relatime", "seclabel", "mode=755")
                + ("gid=1000",),
                1,
            ),
            M(
                "tmpfs",
                "/apex",
                "tmpfs",
                ("rw", "nosuid", "nodev", "noexec", "relatime", "seclabel", "mode=755"),
                2,
            ),
            M(
                "/dev/block/dm-19",
                "/apex/com.android.adbd",
                "ext4",
                ("ro", "nodev", "noatime", "dirsync", "seclabel"),
                3,
            ),
        ],
        0,
    ),
    "stacked.txt": (
        [
            M(
                "tmpfs",
                "/linkerconfig",
                "tmpfs",
                ("rw", "seclabel", "nosuid", "nodev", "noexec", "relatime", "mode=755"),
                0,
            ),
            M("/dev/block/dm-9", "/system", "ext4", ("ro", "seclabel", "relatime"), 1),
            M("tmpfs", "/linkerconfig", "tmpfs", ("ro", "seclabel", "mode=755"), 2),
        ],
        0,
    ),
    "mixed_junk.txt": ([M("/dev/block/dm-8", "/", "ext4", ("ro",), 8)], 6),
    "crlf.txt": (
        [
            M("/dev/block/dm-0", "/", "ext4", ("ro", "seclabel"), 0),
            M("tmpfs", "/dev", "tmpfs", ("rw", "mode=755"), 1),
        ],
        0,
    ),
    "truncated.txt": ([M("/dev/block/dm-0", "/", "ext4", ("ro", "seclabel"), 0)], 1),
}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in (FIXTURES / "mounts").iterdir()) == sorted(EDGE_CASES)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_fixture(name: str) -> None:
    expected, skipped = EDGE_CASES[name]
    result = parse_mounts(_fixture(name))
    assert list(result) == expected
    assert result.skipped == skipped


def test_find_returns_the_topmost_mount() -> None:
    result = parse_mounts(_fixture("stacked.txt"))
    top = result.find("/linkerconfig")
    assert top == M("tmpfs", "/linkerconfig", "tmpfs", ("ro", "seclabel", "mode=755"), 2)
    assert top.read_only
    assert result.find("/nowhere") is None
    assert len(result) == 3
    assert Mounts() == Mounts((), 0)


def test_not_a_mount_table_raises() -> None:
    with pytest.raises(ParseError, match=r"^mounts: no "):
        parse_mounts("USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 0 0 0 0 S init\n")


def test_blank_text_is_empty() -> None:
    assert parse_mounts("\n\n") == Mounts((), 0)


def _fenced_block(markdown: str, heading: str) -> str:
    match = re.search(rf"^# {re.escape(heading)}\s*\n+```\n(.*?)^```", markdown, re.M | re.S)
    assert match is not None, heading
    return match.group(1)


def test_humane_ai_pin_android12_mount_output() -> None:
    """Humane Ai Pin, Android 12: toybox ``mount`` output (``dev on /dir type fs (opts)``) in a
    markdown fence of settings.md, which also holds uname, df, ps and cpuinfo output."""
    text = corpus_path("device/humane-aipin-android12-dumps/settings.md").read_text("utf-8")
    block = parse_mounts(_fenced_block(text, "mount"))
    assert (len(block), block.skipped) == (85, 0)
    assert block.find("/") == M(
        "/dev/block/dm-8", "/", "ext4", ("ro", "seclabel", "nodev", "relatime", "discard"), 7
    )
    system_ext = block.find("/system_ext")
    assert system_ext is not None and system_ext.read_only
    data = block.find("/data")
    assert data is not None
    assert (data.device, data.fs_type, data.read_only) == ("/dev/block/dm-12", "f2fs", False)
    # /linkerconfig is mounted twice: the later tmpfs is the visible one.
    linkerconfig = block.find("/linkerconfig")
    assert linkerconfig is not None and linkerconfig.line == 45
    # The whole file: every mount line is found, the other commands' lines are skipped.
    whole = parse_mounts(text)
    assert (len(whole), whole.skipped) == (85, 760)
    assert [m.mount_point for m in whole] == [m.mount_point for m in block]
    assert whole.find("/linkerconfig") == M(
        "tmpfs", "/linkerconfig", "tmpfs", linkerconfig.options, 70
    )
    assert text.split("\n")[70] == "tmpfs on /linkerconfig type tmpfs " + (
        "(rw,seclabel,nosuid,nodev,noexec,relatime,mode=755)"
    )


def test_atv_emulator_android14_mountinfo() -> None:
    """Android TV emulator, Android 14: FS/proc/1/mountinfo inside the bugreport zip."""
    with zipfile.ZipFile(corpus_path(ATV_BUGREPORT)) as archive:
        text = archive.read("FS/proc/1/mountinfo").decode("utf-8")
    result = parse_mounts(text)
    assert (len(result), result.skipped) == (109, 0)
    assert result.find("/") == M("/dev/block/dm-0", "/", "ext4", ("ro", "relatime", "seclabel"), 0)
    assert result.find("/data") == M(
        "/dev/block/dm-37",
        "/data",
        "ext4",
        ("rw", "nosuid", "nodev", "noatime", "seclabel", "resgid=1065", "errors=panic"),
        28,
    )
    for read_only in ("/system_ext", "/vendor", "/product", "/apex/com.android.adbd"):
        found = result.find(read_only)
        assert found is not None and found.read_only, read_only


def _returns_or_parse_error(text: str) -> None:
    try:
        result = parse_mounts(text)
    except ParseError:
        return
    assert isinstance(result, Mounts)


@given(st.text())
def test_fuzz_text(text: str) -> None:
    _returns_or_parse_error(text)


@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_fuzz_binary(text: str) -> None:
    _returns_or_parse_error(text)


@given(
    st.lists(
        st.sampled_from(
            [" on /", " type ", " (", ")", " - ", "1 2 3:4 ", "/a ", "0 0", "\\040", "\n", " "]
        ),
        max_size=40,
    ).map("".join)
)
def test_fuzz_mount_like(text: str) -> None:
    _returns_or_parse_error(text)
