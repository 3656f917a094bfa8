"""The plain zip reader (sources/zipdir.py): on an archive it takes, the members zipfile lists,
attribute for attribute and in order; every other archive is handed to zipfile (``None``),
so that its errors and reading are zipfile's; and a check of a bugreport zip never imports
zipfile."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handsetguard.errors import SourceError
from handsetguard.sources import limits, zipdir
from handsetguard.sources.limits import open_zip, read_member
from handsetguard.sources.zipdir import PlainZip, open_plain
from tests.conftest import ATV_BUGREPORT, PIXEL1_BUGREPORT, corpus_path

_ATTRIBUTES = (
    "filename",
    "orig_filename",
    "file_size",
    "compress_size",
    "compress_type",
    "CRC",
    "flag_bits",
    "header_offset",
)
MEIZU = "device/meizu-mx6-android7.1-bugreport/bugreport.zip"


def _listing(members: list[object]) -> list[tuple[object, ...]]:
    return [(*(getattr(m, a) for a in _ATTRIBUTES), m.is_dir()) for m in members]  # type: ignore[attr-defined]


def _same_as_zipfile(path: Path) -> PlainZip:
    plain = open_plain(path, 100_000)
    assert plain is not None
    with plain, zipfile.ZipFile(path) as theirs:
        assert _listing(plain.infolist()) == _listing(theirs.infolist())  # type: ignore[arg-type]
        assert plain.namelist() == theirs.namelist()
        for name in theirs.namelist():
            assert _listing([plain.getinfo(name)]) == _listing([theirs.getinfo(name)])  # type: ignore[list-item]
    return plain


def _zip(path: Path, members: list[tuple[str, bytes, int]], comment: bytes = b"") -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": a duplicate is written on purpose
        for name, data, method in members:
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 2, 3, 4, 6)), data, method)
        archive.comment = comment
    return path


@pytest.mark.parametrize("relative", [ATV_BUGREPORT, PIXEL1_BUGREPORT, MEIZU])
def test_corpus_bugreports_are_plain_and_listed_as_zipfile_lists_them(relative: str) -> None:
    _same_as_zipfile(corpus_path(relative))


def test_names_methods_folders_and_duplicates(tmp_path: Path) -> None:
    path = _zip(
        tmp_path / "a.zip",
        [
            ("bugreport-x.txt", b"dumpstate\n" * 100, zipfile.ZIP_DEFLATED),
            ("FS/", b"", zipfile.ZIP_STORED),
            ("FS/proc/mounts", b"/dev/root / ext4 ro 0 0\n", zipfile.ZIP_STORED),
            ("résumé-应用.txt", b"utf-8 name", zipfile.ZIP_DEFLATED),
            ("dup.txt", b"first", zipfile.ZIP_STORED),
            ("dup.txt", b"second", zipfile.ZIP_STORED),
            ("bz.txt", b"bzip2 " * 500, zipfile.ZIP_BZIP2),
        ],
    )
    plain = _same_as_zipfile(path)
    with open_zip(path, "a.zip") as archive:
        assert isinstance(archive, PlainZip)
        assert read_member(archive, archive.getinfo("dup.txt"), "a.zip") == b"second"
        # A method sources/inflate.py does not read is read by zipfile, on the same file.
        assert read_member(archive, archive.getinfo("bz.txt"), "a.zip") == b"bzip2 " * 500
        assert read_member(archive, archive.infolist()[0], "a.zip") == b"dumpstate\n" * 100
    assert plain.fp is None  # closed with the archive


def _prefixed(path: Path) -> None:
    path.write_bytes(b"MZ junk before the archive" + path.read_bytes())


def _zip64(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive, archive.open("big.txt", "w", force_zip64=True) as f:
        f.write(b"x" * 1000)


def _cp437_nul(path: Path) -> None:
    _zip(path, [("evil\x00.txt", b"x", zipfile.ZIP_STORED)])


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + data[-22:])


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: _zip(p, [("a.txt", b"x", zipfile.ZIP_STORED)], comment=b"a comment"),
        _prefixed,
        lambda p: p.write_bytes(p.read_bytes() * 2),  # a valid directory where it says, shifted
        _zip64,
        _cp437_nul,
        _truncated,
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(b"not a zip at all, just some text\n" * 3),
        lambda p: p.write_bytes(b"PK\x05\x06" + b"\x00" * 18),  # an empty archive: plain
    ],
)
def test_other_archives_go_to_zipfile(tmp_path: Path, damage: object) -> None:
    path = _zip(tmp_path / "b.zip", [("a.txt", b"hello", zipfile.ZIP_DEFLATED)])
    damage(path)  # type: ignore[operator]
    plain = open_plain(path, 100_000)
    if plain is None:
        return
    with plain, zipfile.ZipFile(path) as theirs:  # taken: zipfile must agree on every member
        assert _listing(plain.infolist()) == _listing(theirs.infolist())  # type: ignore[arg-type]


def test_a_name_flagged_utf8_that_is_not_goes_to_zipfile(tmp_path: Path) -> None:
    path = _zip(tmp_path / "c.zip", [("name.txt", b"x", zipfile.ZIP_STORED)])
    data = bytearray(path.read_bytes())
    entry = data.rindex(b"PK\x01\x02")
    flags = struct.unpack_from("<H", data, entry + 8)[0]
    bad_name = bytes(data)
    struct.pack_into("<H", data, entry + 8, flags | 0x800)
    at = data.index(b"name.txt", entry)
    data[at : at + 2] = b"\xff\xfe"
    path.write_bytes(bytes(data))
    assert open_plain(path, 100_000) is None
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(path)
    path.write_bytes(bad_name)
    plain = open_plain(path, 100_000)
    assert plain is not None
    plain.close()


@pytest.mark.parametrize(
    ("extra", "plain"),
    [
        (b"", True),
        (b"\x55\x54\x05\x00\x01abcd", True),  # extended timestamp
        (b"\x55\x54\x05\x00\x01abcd" + b"\x00\x00", True),  # a short tail zipfile ignores
        (b"\x01\x00\x08\x00" + b"\x00" * 8, False),  # Zip64: zipfile rewrites the sizes
        (b"\x55\x54\x09\x00\x01abcd", False),  # longer than the field: zipfile refuses it
    ],
)
def test_extra_fields(extra: bytes, plain: bool) -> None:
    assert zipdir._plain_extra(extra) is plain


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_damaged_archive_is_taken_only_as_zipfile_reads_it(data: st.DataObject) -> None:
    """Flipped or cut bytes anywhere: open_plain never raises, and what it takes, zipfile
    takes with the same members (what it refuses, zipfile reads or refuses itself)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bugreport-a.txt", b"------ SECTION ------\n" * 20, zipfile.ZIP_DEFLATED)
        archive.writestr("FS/data/x", b"x", zipfile.ZIP_STORED)
    raw = bytearray(buffer.getvalue())
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(0, len(raw)))] if data.draw(st.booleans()) else raw
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.zip"
        path.write_bytes(bytes(raw))
        plain = open_plain(path, 100_000)
        if plain is not None:
            with plain, zipfile.ZipFile(path) as theirs:
                assert _listing(plain.infolist()) == _listing(theirs.infolist())  # type: ignore[arg-type]


@pytest.mark.parametrize("relative", [ATV_BUGREPORT, PIXEL1_BUGREPORT, MEIZU])
def test_a_check_of_a_bugreport_zip_imports_no_zipfile(relative: str) -> None:
    """Nor does a reader that leaves a member early (the tombstones' first chunk, Meizu):
    the generator's close passes through iter_member's error handling."""
    path = corpus_path(relative)
    code = (
        "import sys\n"
        "from handsetguard.sources import open_source\n"
        f"evidence = open_source({str(path)!r})\n"
        "assert evidence.get('dumpsys:package') is not None\n"
        "print(sorted(m for m in ('zipfile', 'shutil', 'bz2', 'lzma') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_archive_of_too_many_members_is_refused_before_all_are_read(tmp_path: Path) -> None:
    path = _zip(tmp_path / "many.zip", [(f"f{n}", b"", zipfile.ZIP_STORED) for n in range(50)])
    plain = open_plain(path, 9)
    assert plain is not None and len(plain.infolist()) == 10
    plain.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(limits, "MAX_ZIP_MEMBERS", 9)
        with pytest.raises(SourceError, match="more than 9 entries"):
            open_zip(path, "many.zip")


def test_an_entry_of_a_zip_version_zipfile_does_not_read_is_a_one_line_error(
    tmp_path: Path,
) -> None:
    """zipfile raises NotImplementedError for it while listing the archive (a traceback out
    of ``check`` before this); zipdir hands the archive to zipfile, whose error is named."""
    path = _zip(tmp_path / "v70.zip", [("bugreport-x.txt", b"hello", zipfile.ZIP_STORED)])
    data = bytearray(path.read_bytes())
    data[data.rindex(b"PK\x01\x02") + 6] = 70  # "version needed to extract": 7.0
    path.write_bytes(bytes(data))
    assert open_plain(path, 100_000) is None
    with pytest.raises(
        SourceError, match=r"v70.zip: not a readable zip archive \(zip file version 7.0\)"
    ):
        open_zip(path, "v70.zip")
