"""The direct zip-member reader (sources/inflate.py): the same bytes and the same failures as
zipfile's reader on stored and deflated members, and zipfile's own path for everything else."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from handsetguard.errors import SourceError
from handsetguard.sources import limits
from handsetguard.sources.inflate import inflate_member
from tests.conftest import ATV_BUGREPORT, corpus_path


def _text(size: int, seed: int = 7) -> bytes:
    """Compressible but not trivial text (a few words, random order)."""
    rng = random.Random(seed)
    words = [b"package", b"com.example", b"granted=true", b"\n", b"  ", b"0x1f", b"uid=10123"]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _by_zipfile(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with archive.open(info) as handle:
        return handle.read()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("size", [0, 1, 4095, 256 * 1024, 3 * 1024 * 1024 + 17])
def test_same_bytes_as_zipfile(tmp_path: Path, method: int, size: int) -> None:
    data = _text(size)
    path = _zip(tmp_path / "a.zip", {"first.txt": b"x" * 100, "bugreport-a.txt": data}, method)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        chunks = inflate_member(archive, info, 64 * 1024)
        assert chunks is not None
        pieces = list(chunks)
        assert all(0 < len(piece) <= 64 * 1024 for piece in pieces)
        assert b"".join(pieces) == data == _by_zipfile(archive, info)


def test_reads_interleaved_with_zipfile_reads(tmp_path: Path) -> None:
    """The reader seeks before each read: another member read in between changes nothing."""
    data = _text(2 * 1024 * 1024)
    path = _zip(tmp_path / "a.zip", {"a.txt": data, "b.txt": b"other " * 1000})
    with zipfile.ZipFile(path) as archive:
        chunks = inflate_member(archive, archive.getinfo("a.txt"), 32 * 1024)
        assert chunks is not None
        out = bytearray(next(chunks))
        assert _by_zipfile(archive, archive.getinfo("b.txt")) == b"other " * 1000
        for piece in chunks:
            out += piece
        assert out == data


def test_real_bugreport_member_same_as_zipfile() -> None:
    path = corpus_path(ATV_BUGREPORT)
    with zipfile.ZipFile(path) as archive:
        info = max(archive.infolist(), key=lambda i: i.file_size)
        chunks = inflate_member(archive, info, limits.STREAM_CHUNK_BYTES)
        assert chunks is not None
        assert b"".join(chunks) == _by_zipfile(archive, info)


def _patch(path: Path, offset: int, new: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(new)] = new
    path.write_bytes(bytes(raw))


def test_bad_crc_is_a_source_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "crc.zip", {"bugreport-a.txt": _text(100_000)})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        info.CRC ^= 1  # the central directory's CRC, as zipfile checks it
        with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
            b"".join(inflate_member(archive, info, 4096) or ())
        with pytest.raises(SourceError, match=r"crc.zip!bugreport-a.txt: corrupt.*Bad CRC-32"):
            limits.read_member(archive, info, "crc.zip")


def test_corrupt_deflate_data_is_a_source_error(tmp_path: Path) -> None:
    path = _zip(tmp_path / "bad.zip", {"bugreport-a.txt": _text(200_000)})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        start = info.header_offset + 30 + len(info.filename)
    _patch(path, start + 50, b"\xff" * 64)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        with pytest.raises(SourceError, match="bad.zip!bugreport-a.txt: corrupt"):
            limits.read_member(archive, info, "bad.zip")


def test_stream_cut_short_is_a_source_error(tmp_path: Path) -> None:
    """A central directory claiming fewer compressed bytes than the stream has: the output
    stops where the bytes do and the CRC-32 does not match."""
    path = _zip(tmp_path / "short.zip", {"bugreport-a.txt": _text(300_000)})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        info.compress_size //= 2
        with pytest.raises(SourceError, match="corrupt"):
            limits.read_member(archive, info, "short.zip")


def test_lying_sizes_are_still_bounded(tmp_path: Path) -> None:
    path = _zip(tmp_path / "liar.zip", {"bugreport-l.txt": b"A" * (3 * 1024 * 1024)})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-l.txt")
        info.file_size = 1000  # the output is cut at the declared size, as zipfile cuts it
        chunks = inflate_member(archive, info, 4096)
        assert chunks is not None
        out = bytearray()
        with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
            for piece in chunks:
                out += piece
        assert out == b"A" * 1000


def test_unusual_members_go_through_zipfile(tmp_path: Path) -> None:
    path = _zip(tmp_path / "x.zip", {"bugreport-a.txt": b"text\n" * 1000})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        for attribute, value in (("flag_bits", 0x1), ("compress_type", zipfile.ZIP_BZIP2)):
            original = getattr(info, attribute)
            setattr(info, attribute, value)
            assert inflate_member(archive, info, 4096) is None
            setattr(info, attribute, original)
        assert inflate_member(archive, info, 4096) is not None


def test_local_header_disagreeing_is_zipfiles_error(tmp_path: Path) -> None:
    """A local header whose name differs from the central directory's: not read here, and
    zipfile's refusal is the error, as before."""
    path = _zip(tmp_path / "names.zip", {"bugreport-a.txt": b"text\n" * 1000})
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("bugreport-a.txt").header_offset
    _patch(path, offset + 30, b"X")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        assert inflate_member(archive, info, 4096) is None
        with pytest.raises(SourceError, match=r"names.zip!bugreport-a.txt: corrupt.*differ"):
            limits.read_member(archive, info, "names.zip")


def test_bad_local_signature_goes_through_zipfile(tmp_path: Path) -> None:
    path = _zip(tmp_path / "sig.zip", {"bugreport-a.txt": b"text\n" * 1000})
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("bugreport-a.txt").header_offset
    _patch(path, offset, b"PK\x09\x09")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("bugreport-a.txt")
        assert inflate_member(archive, info, 4096) is None
        with pytest.raises(SourceError, match="corrupt"):
            limits.read_member(archive, info, "sig.zip")
