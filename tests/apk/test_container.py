"""The ZIP container as the installer reads it: each evasion is a tampering finding, input
that is no ZIP is one clear error, reads never pass an entry's declared size."""

from __future__ import annotations

import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.apk import ApkFormatError, inspect_apk
from handsetguard.apk.zip import TamperingKind, open_container
from tests.conftest import corpus_path


def _zip(path: Path, entries: dict[str, bytes], comment: bytes = b"") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        archive.comment = comment
    return path


def _kinds(path: Path) -> set[TamperingKind]:
    with open_container(path) as container:
        return {t.kind for t in container.tampering}


@pytest.mark.parametrize("content", [b"", b"PK", b"not a zip at all" * 10, bytes(100)])
def test_not_a_zip_is_one_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.apk"
    path.write_bytes(content)
    with pytest.raises(ApkFormatError, match="bad.apk: not a ZIP archive"):
        inspect_apk(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ApkFormatError, match="cannot read"):
        inspect_apk(tmp_path / "absent.apk")


def test_clean_zip_has_no_findings(tmp_path: Path) -> None:
    assert _kinds(_zip(tmp_path / "a.apk", {"a.txt": b"x" * 1000})) == set()


def test_eocd_comment(tmp_path: Path) -> None:
    assert TamperingKind.EOCD_COMMENT in _kinds(_zip(tmp_path / "a.apk", {"a": b"1"}, b"hello"))


def test_duplicate_names_are_fatal(tmp_path: Path) -> None:
    path = tmp_path / "dup.apk"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it writes
        _zip(path, {"a": b"1"})
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("a", b"2")
    verdict = inspect_apk(path).signature
    assert TamperingKind.DUPLICATE_NAME in _kinds(path)
    assert any("name appears more than once" in e for e in verdict.errors)


def test_garbage_between_cd_and_eocd(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.apk", {"a": b"1"})
    data = path.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    path.write_bytes(data[:eocd] + b"JUNK" * 4 + data[eocd:])
    assert TamperingKind.DATA_BEFORE_EOCD in _kinds(path)


def test_bogus_compression_method_is_inflated_anyway(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.apk", {"a.txt": b"hello " * 100})
    data = bytearray(path.read_bytes())
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, cd + 10, 21)  # the method field of the central directory
    path.write_bytes(bytes(data))
    with open_container(path) as container:
        kinds = {t.kind for t in container.tampering}
        assert TamperingKind.COMPRESSION_METHOD in kinds
        assert TamperingKind.LOCAL_HEADER_MISMATCH in kinds
        assert container.read_entry(container.by_name["a.txt"], 1 << 20) == b"hello " * 100


def test_declared_size_bounds_the_inflation(tmp_path: Path) -> None:
    """A zip bomb's small declared size: inflation stops there with an error."""
    path = _zip(tmp_path / "bomb.apk", {"big": bytes(5_000_000)})
    data = bytearray(path.read_bytes())
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 1000)  # uncompressed size in the central directory
    path.write_bytes(bytes(data))
    with open_container(path) as container, pytest.raises(ApkFormatError, match="declared size"):
        container.read_entry(container.by_name["big"], 1 << 20)


def test_apkinspector_tampered_manifest_entry() -> None:
    """apkInspector's minimal_SIZE_ExtraField.apk: local and central headers disagree for
    AndroidManifest.xml and a central record is shifted; the manifest is still read."""
    report = inspect_apk(corpus_path("apk/apkinspector/minimal_SIZE_ExtraField.apk"))
    kinds = {t.kind for t in report.tampering}
    assert {TamperingKind.LOCAL_HEADER_MISMATCH, TamperingKind.EXTRA_FIELD} <= kinds
    assert report.manifest is not None and report.manifest.package == "com.erev0s.minimal"
    assert report.entries == 23
    assert not report.signature.verified


def test_truncated_central_directory() -> None:
    report = inspect_apk(corpus_path("apk/androguard-apksig/v2-only-truncated-cd.apk"))
    assert TamperingKind.CD_OVERLAPS_EOCD in {t.kind for t in report.tampering}
    assert not report.signature.verified


def test_nul_in_entry_name_is_reported() -> None:
    report = inspect_apk(corpus_path("apk/androguard-apksig/v1-only-with-nul-in-entry-name.apk"))
    assert [t.entry for t in report.tampering if t.kind is TamperingKind.ENTRY_NAME] == [
        "test.txt\x00"
    ]


FUZZ_BASES = (
    "androguard-apksig/v1v2v3-with-rsa-2048-lineage-3-signers.apk",
    "androguard-apksig/v2-only-cert-and-public-key-mismatch.apk",  # once: an unknown key OID
    "androguard-apksig/v1-only-with-dsa-sha256-2.16.840.1.101.3.4.3.2-2048.apk",
    "androguard-apksig/v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk",
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(FUZZ_BASES),
    st.lists(st.tuples(st.integers(0, 16000), st.integers(0, 255)), min_size=1, max_size=12),
)
def test_mutated_apk_never_raises_anything_else(
    tmp_path_factory: pytest.TempPathFactory, base: str, flips: list[tuple[int, int]]
) -> None:
    """Bytes of real signed APKs overwritten at random: a report or one ApkFormatError."""
    data = bytearray(corpus_path(f"apk/{base}").read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    path = tmp_path_factory.mktemp("fuzz") / "m.apk"
    path.write_bytes(bytes(data))
    try:
        inspect_apk(path)
    except ApkFormatError:
        pass


def test_public_names_are_pinned() -> None:
    import handsetguard.apk

    assert sorted(handsetguard.apk.__all__) == [
        "ApiRange",
        "ApkFormatError",
        "ApkReport",
        "Signature",
        "Signer",
        "inspect_apk",
    ]


def test_overlapping_entries_are_reported(tmp_path: Path) -> None:
    """Two central records pointing at one local record (an overlapping zip bomb's trick)."""
    path = _zip(tmp_path / "o.apk", {"a.txt": b"x" * 100, "b.txt": b"y" * 100})
    data = bytearray(path.read_bytes())
    second = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)
    struct.pack_into("<I", data, second + 42, 0)  # b.txt's local header offset -> a.txt's
    path.write_bytes(bytes(data))
    with open_container(path) as container:
        details = [(t.entry, t.detail) for t in container.tampering]
    assert ("b.txt", "overlaps the data of 'a.txt'") in details


def test_certificate_with_an_impossible_version(tmp_path: Path) -> None:
    """Found by mutation: a signer certificate with X.509 version 68 makes cryptography raise
    InvalidVersion (no ValueError); the JAR signer fails, nothing escapes."""
    source = corpus_path("apk/androguard-apksig/golden-aligned-v1-out.apk")
    path = tmp_path / "version.apk"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith(".RSA"):
                assert b"\xa0\x03\x02\x01\x02" in data
                data = data.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x43", 1)
            copy.writestr(info, data)
    verdict = inspect_apk(path).signature
    assert not verdict.verified
    assert any(e.startswith("JAR signer RSA-2048:") for e in verdict.errors)
