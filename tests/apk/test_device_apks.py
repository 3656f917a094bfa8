"""APKs inside a device collection (AndroidQF's ``apks/``): ``check`` takes each package's signer
certificates from the APK files' own signatures, marked as such with their verdict, and matches
certificate and file-hash indicators against them. The collection is MVT's AndroidQF test
acquisition copied into tmp_path, with real corpus APKs (and hostile files) added to it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization.pkcs7 import load_der_pkcs7_certificates

from handsetguard.apk import collected
from handsetguard.device import Unavailable
from handsetguard.engine import run_check
from handsetguard.evidence import CoverageStatus
from handsetguard.report.json_report import to_dict
from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats.indicators import Places, load_indicators
from handsetguard.threats.model import Confidence
from tests.conftest import corpus_path
from tests.threats.stix import write_stix

POLITEDROID = "apk/androguard/com.politedroid_4.apk"  # F-Droid app, v1, verifies
BAD_V2 = "apk/androguard-apksig/v2-only-with-rsa-pkcs1-sha256-2048-sig-does-not-verify.apk"
TINYAPP = "android.appsecurity.cts.tinyapp"  # the apksig matrix's package
SCHEMA = json.loads(
    resources.files("handsetguard.report").joinpath("report.schema.json").read_text()
)


def _v1_certificate(apk: Path) -> str:
    """The SHA-256 of the certificate in the APK's JAR signature block, read with zipfile and
    cryptography's PKCS#7 loader (not our code)."""
    with zipfile.ZipFile(apk) as archive:
        block = next(n for n in archive.namelist() if n.upper().endswith(".RSA"))
        certs = load_der_pkcs7_certificates(archive.read(block))
    return hashlib.sha256(certs[0].public_bytes(Encoding.DER)).hexdigest()


def _pem_sha256(relative: str) -> str:
    cert = x509.load_pem_x509_certificate(corpus_path(relative).read_bytes())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def _collection(tmp_path: Path, apks: dict[str, bytes | str]) -> Path:
    """MVT's AndroidQF test collection with packages.json listing the two corpus apps (with a
    different certificate each, as a phone's package manager could misreport it) and ``apks``
    (file name -> bytes or a corpus path) in its apks/."""
    root = tmp_path / "androidqf"
    shutil.copytree(corpus_path("device/mvt-tests/androidqf"), root)
    for path in root.iterdir():
        path.chmod(0o644)
    packages = json.loads((root / "packages.json").read_text(encoding="utf-8"))
    for name, digest in (("com.politedroid", "aa" * 32), (TINYAPP, "bb" * 32)):
        cert = {"Sha256": digest, "Sha1": "cc" * 20, "Md5": "dd" * 16, "Subject": "CN=os"}
        files = [{"path": f"/data/app/{name}-1/base.apk", "certificate": cert}]
        packages.append({"name": name, "files": files, "system": False})
    (root / "packages.json").write_text(json.dumps(packages), encoding="utf-8")
    folder = root / "apks"
    folder.mkdir()
    for name, content in apks.items():
        if isinstance(content, str):
            shutil.copy(corpus_path(content), folder / name)
        else:
            (folder / name).write_bytes(content)
    return root


def _apks(root: Path) -> tuple[collected.CollectedApk, ...]:
    facet = build_state(open_source(root)).apks
    assert not isinstance(facet, Unavailable), facet
    return facet.value


def _packages(report_json: dict[str, object]) -> dict[str, dict[str, object]]:
    inventory = report_json["inventory"]
    assert isinstance(inventory, dict)
    return {p["package"]: p for p in inventory["packages"]["items"]}


def test_signers_come_from_the_apk_files(tmp_path: Path) -> None:
    root = _collection(
        tmp_path, {"com.politedroid_base.apk": POLITEDROID, f"{TINYAPP}_base.apk": BAD_V2}
    )
    document = to_dict(run_check(root))
    jsonschema.validate(document, SCHEMA)
    packages = _packages(document)
    assert packages["com.politedroid"]["signers"] == [_v1_certificate(corpus_path(POLITEDROID))]
    assert packages["com.politedroid"]["signer_source"] == "apk"
    assert packages["com.politedroid"]["signer_verified"] is True
    # The v2 signature of this one does not verify: its certificate (the apksig test key's),
    # marked as not verified.
    rsa2048 = _pem_sha256("apk/androguard-apksig/signer-certs/rsa-2048.x509.pem")
    assert packages[TINYAPP]["signers"] == [rsa2048]
    assert (packages[TINYAPP]["signer_source"], packages[TINYAPP]["signer_verified"]) == (
        "apk",
        False,
    )
    # An app without a copy keeps what packages.json says, marked as such.
    whatsapp = packages["com.whatsapp"]
    assert (whatsapp["signer_source"], whatsapp["signer_verified"]) == ("packages.json", None)
    assert whatsapp["signers"] == [
        "3987d043d10aefaf5a8710b3671418fe57e0e19b653c9df82558feb5ffce5d44"
    ]
    parsed = [s for s in document["coverage"]["sections"] if s["name"] == "androidqf:apks"]
    assert [s["detail"] for s in parsed] == ["2 APK(s) inspected, 1 with a signature that verifies"]


def test_apks_verified_for_the_phones_api_level(tmp_path: Path) -> None:
    """The phone's ro.build.version.sdk is the verdict's lowest level: an APK signed with v2
    only does verify for an API 24 phone, whatever its own minSdk says."""
    v2_only = "apk/androguard-apksig/v2-only-with-rsa-pkcs1-sha256-2048.apk"
    root = _collection(tmp_path, {"tiny.apk": v2_only})
    [apk] = _apks(root)
    assert (apk.package, apk.tied_by, apk.verified) == (TINYAPP, "manifest", False)
    getprop = root / "getprop.txt"
    getprop.write_text(getprop.read_text() + "[ro.build.version.sdk]: [24]\n")
    [apk] = _apks(root)
    assert apk.verified, apk.problem


def test_tied_by_sha256_or_file_name_without_a_manifest(tmp_path: Path) -> None:
    bare = tmp_path / "bare.apk"
    with zipfile.ZipFile(bare, "w") as archive:
        archive.writestr("classes.dex", b"dex\n035\x00")
    root = _collection(tmp_path, {"com.whatsapp_split.apk": bare.read_bytes()})
    [apk] = _apks(root)
    assert (apk.package, apk.tied_by, apk.verified, apk.certificates) == (
        "com.whatsapp",
        "file name",
        False,
        (),
    )
    packages = json.loads((root / "packages.json").read_text(encoding="utf-8"))
    packages[-1]["files"][0]["sha256"] = hashlib.sha256(bare.read_bytes()).hexdigest()
    (root / "packages.json").write_text(json.dumps(packages), encoding="utf-8")
    [apk] = _apks(root)
    assert (apk.package, apk.tied_by) == (TINYAPP, "sha256")


def test_hostile_apks_are_one_coverage_entry_each(tmp_path: Path) -> None:
    polite = corpus_path(POLITEDROID).read_bytes()
    root = _collection(
        tmp_path,
        {
            "empty.apk": b"",
            "text.apk": b"not a zip\n",
            "cut.apk": polite[: len(polite) // 2],
            "good.apk": POLITEDROID,
        },
    )
    (root / "apks" / "link.apk").symlink_to(corpus_path(POLITEDROID))
    os.mkfifo(root / "apks" / "fifo.apk")  # opening it would block forever
    report = run_check(root)
    errors = {
        str(e.provenance): e.detail
        for e in report.coverage
        if e.section == "androidqf:apks" and e.status is CoverageStatus.ERROR
    }
    assert errors == {
        "androidqf/apks/empty.apk": "androidqf/apks/empty.apk: not a ZIP archive (0 bytes)",
        "androidqf/apks/text.apk": "androidqf/apks/text.apk: not a ZIP archive (10 bytes)",
        "androidqf/apks/cut.apk": "androidqf/apks/cut.apk: not a ZIP archive "
        "(no end of central directory record)",
        "androidqf/apks/fifo.apk": "androidqf/apks/fifo.apk: a symbolic link or not a "
        "regular file; not followed",
        "androidqf/apks/link.apk": "androidqf/apks/link.apk: a symbolic link or not a regular "
        "file; not followed",
    }
    assert _packages(to_dict(report))["com.politedroid"]["signer_verified"] is True


def test_size_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _collection(tmp_path, {"a.apk": POLITEDROID, "b.apk": BAD_V2, "c.apk": BAD_V2})
    polite, small = (corpus_path(p).stat().st_size for p in (POLITEDROID, BAD_V2))
    monkeypatch.setattr(collected, "MAX_COLLECTED_APK", polite - 1)
    monkeypatch.setattr(collected, "MAX_COLLECTED_BYTES", small + 10)
    state = build_state(open_source(root))
    assert not isinstance(state.apks, Unavailable)
    assert [a.file for a in state.apks.value] == ["androidqf/apks/b.apk"]
    errors = [e.detail for e in state.coverage if e.status is CoverageStatus.ERROR]
    assert errors == [
        f"androidqf/apks/a.apk: not inspected: {polite} bytes, over {polite - 1}",
        f"androidqf/apks/c.apk: not inspected: the APKs exceed {small + 10} bytes",
    ]


def _zipped(tmp_path: Path, root: Path) -> Path:
    packed = tmp_path / "androidqf.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path).as_posix())
    return packed


def test_zip_collection_apks_are_read_in_memory(tmp_path: Path) -> None:
    root = _collection(tmp_path, {"com.politedroid_base.apk": POLITEDROID, "text.apk": b"no"})
    report = run_check(_zipped(tmp_path, root))
    polite = _packages(to_dict(report))["com.politedroid"]
    assert polite["signers"] == [_v1_certificate(corpus_path(POLITEDROID))]
    assert (polite["signer_source"], polite["signer_verified"]) == ("apk", True)
    entries = [(e.status, e.detail) for e in report.coverage if e.section == "androidqf:apks"]
    assert entries == [
        (CoverageStatus.PARSED, "1 APK(s) inspected, 1 with a signature that verifies"),
        (
            CoverageStatus.ERROR,
            "androidqf.zip!androidqf/apks/text.apk: not a ZIP archive (2 bytes)",
        ),
    ]


def test_zip_collection_without_memory_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system has no anonymous memory file, a zipped APK is named, not extracted."""
    root = _collection(tmp_path, {"com.politedroid_base.apk": POLITEDROID})
    packed = _zipped(tmp_path, root)
    monkeypatch.delattr(os, "memfd_create", raising=False)
    report = run_check(packed)
    [entry] = [e for e in report.coverage if e.section == "androidqf:apks"]
    assert entry.detail == (
        "androidqf.zip!androidqf/apks/com.politedroid_base.apk: inside a zip collection, and "
        "this system has no in-memory file to read it into: unzip the collection to have its "
        "signature verified"
    )
    assert _packages(to_dict(report))["com.politedroid"]["signer_source"] == "packages.json"


def test_zip_collection_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _collection(tmp_path, {"com.politedroid_base.apk": POLITEDROID})
    packed = _zipped(tmp_path, root)
    monkeypatch.setattr(collected, "MAX_ZIPPED_APK", 1000)
    [entry] = [e for e in run_check(packed).coverage if e.section == "androidqf:apks"]
    size = corpus_path(POLITEDROID).stat().st_size
    assert entry.detail == (
        f"androidqf.zip!androidqf/apks/com.politedroid_base.apk: not inspected: {size} bytes, "
        "over 1000 for an APK read from a zip into memory; unzip the collection"
    )


def test_certificate_and_file_indicators_match_the_apk(tmp_path: Path) -> None:
    root = _collection(
        tmp_path, {"com.politedroid_base.apk": POLITEDROID, f"{TINYAPP}_base.apk": BAD_V2}
    )
    polite_cert = _v1_certificate(corpus_path(POLITEDROID))
    bad_cert = _pem_sha256("apk/androguard-apksig/signer-certs/rsa-2048.x509.pem")
    bad_file = hashlib.sha256(corpus_path(BAD_V2).read_bytes()).hexdigest()
    stix = write_stix(
        tmp_path / "set.stix2",
        f"[app:cert.sha256 = '{polite_cert}']",
        f"[app:cert.sha256 = '{bad_cert}']",
        f"[file:hashes.sha256 = '{bad_file}']",
    )
    index = load_indicators([stix], places=Places(tmp_path / "data", None), env={}, bundled=False)
    threats = {t.package: t for t in index.match(build_state(open_source(root)))}
    polite = threats["com.politedroid"]
    assert polite.confidence is Confidence.CERTAIN
    [match] = polite.matches
    assert (match.type, match.value) == ("app:cert.sha256", polite_cert)
    assert [str(e.location) for e in match.evidence] == ["androidqf/apks/com.politedroid_base.apk"]
    assert match.evidence[0].fact.endswith("(verified)")
    # The file hash is certain; the certificate of a signature that does not verify is not.
    tiny = threats[TINYAPP]
    kinds = {m.type: m.evidence[0].fact for m in tiny.matches}
    assert set(kinds) == {"app:cert.sha256", "file:hashes.sha256"}
    assert "does NOT verify" in kinds["app:cert.sha256"]
    assert tiny.confidence is Confidence.CERTAIN
    index_cert_only = load_indicators(
        [write_stix(tmp_path / "c.stix2", f"[app:cert.sha256 = '{bad_cert}']")],
        places=Places(tmp_path / "data2", None),
        env={},
        bundled=False,
    )
    [only] = [t for t in index_cert_only.match(build_state(open_source(root))) if t.package]
    assert (only.package, only.confidence) == (TINYAPP, Confidence.PROBABLE)


def test_check_without_apks_never_imports_the_apk_code() -> None:
    """The speed of check on inputs without APKs: the APK package is not even imported."""
    code = (
        "import sys; from handsetguard.engine import run_check; run_check(sys.argv[1]); "
        "print(sorted(m for m in sys.modules if m.startswith('handsetguard.apk')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(corpus_path("device/mvt-tests/androidqf"))],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_mutated_apks_never_stop_the_check(tmp_path: Path) -> None:
    """Corpus APKs cut short and with bytes flipped all over: every one is either inspected
    or one coverage entry, and the check completes."""
    sources = [corpus_path(p).read_bytes() for p in (POLITEDROID, BAD_V2)]
    mutants: dict[str, bytes | str] = {}
    for n in range(24):
        data = bytearray(sources[n % 2])
        if n % 3 == 0:
            data = data[: len(data) * (n + 1) // 25]
        else:
            for k in range(1 + n):
                data[(k * 7919 + n * 104729) % len(data)] ^= 0xFF
        mutants[f"m{n:02d}.apk"] = bytes(data)
    root = _collection(tmp_path, mutants)
    run_check(root)  # completes
    state = build_state(open_source(root))
    assert not isinstance(state.apks, Unavailable)
    read = [apk.file for apk in state.apks.value]
    unread = [
        str(e.provenance)
        for e in state.coverage
        if e.section == "androidqf:apks" and e.status is CoverageStatus.ERROR
    ]
    assert sorted(read + unread) == [f"androidqf/apks/{name}" for name in sorted(mutants)]
    assert unread  # the cut copies are no ZIP archives
