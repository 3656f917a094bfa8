"""Signature cases the corpus lacks, made here: corpus APKs signed by apksigner with throwaway
keys (RSA, EC P-256 and P-384, DSA) and different schemes and minSdk levels, some then
tampered with; for each, our verdict and signer must equal apksigner's."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from handsetguard.apk import inspect_apk
from tests.conftest import corpus_path

KEYS = {
    "rsa2048": ["-newkey", "rsa:2048"],
    "ecp256": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
    "ecp384": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
    "dsa2048": ["-newkey", "dsa:{params}"],
}
# (name, apksigner sign options)
SCHEMES = {
    "v1-only": ["--v2-signing-enabled", "false", "--v3-signing-enabled", "false"],
    "v2-only-min24": [
        "--min-sdk-version",
        "24",
        "--v1-signing-enabled",
        "false",
        "--v3-signing-enabled",
        "false",
    ],
    "v3-only-min28": [
        "--min-sdk-version",
        "28",
        "--v1-signing-enabled",
        "false",
        "--v2-signing-enabled",
        "false",
    ],
    "all": [],
}
CASES = [(k, s) for k in KEYS for s in SCHEMES]


def _run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    missing = [t for t in ("apksigner", "java", "openssl") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian apksigner, default-jre-headless, openssl)")
    folder = tmp_path_factory.mktemp("keys")
    params = folder / "dsa.params"
    assert _run("openssl", "dsaparam", "-out", params, "2048").returncode == 0
    made = {}
    for name, how in KEYS.items():
        pem, cert, pk8 = folder / f"{name}.pem", folder / f"{name}.x509.pem", folder / f"{name}.pk8"
        options = [o.format(params=params) for o in how]
        done = _run(
            "openssl",
            "req",
            "-x509",
            *options,
            "-nodes",
            "-keyout",
            pem,
            "-out",
            cert,
            "-days",
            "30",
            "-subj",
            f"/CN=handsetguard {name}",
        )
        assert done.returncode == 0, done.stderr
        assert (
            _run(
                "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER", "-out", pk8
            ).returncode
            == 0
        )
        made[name] = (pk8, cert)
    return made


def _apksigner(apk: Path) -> bool:
    return _run("apksigner", "verify", apk).returncode == 0


def _sign(
    keys: dict[str, tuple[Path, Path]], key: str, scheme: str, folder: Path, *more: str
) -> Path:
    source = folder / "in.apk"
    source.write_bytes(corpus_path("apk/androguard-apksig/golden-aligned-in.apk").read_bytes())
    pk8, cert = keys[key]
    out = folder / f"{key}-{scheme}.apk"
    options = [*SCHEMES[scheme], *more]
    done = _run("apksigner", "sign", "--key", pk8, "--cert", cert, *options, "--out", out, source)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(("key", "scheme"), CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_signed_here_agrees(
    keys: dict[str, tuple[Path, Path]], tmp_path: Path, key: str, scheme: str
) -> None:
    apk = _sign(keys, key, scheme, tmp_path)
    verdict = inspect_apk(apk).signature
    assert verdict.verified == _apksigner(apk), verdict.errors
    cert = x509.load_pem_x509_certificate(keys[key][1].read_bytes()).public_bytes(Encoding.DER)
    if verdict.verified:
        assert {s.certificate.sha256 for s in verdict.signers} == {hashlib.sha256(cert).hexdigest()}
    # The same APK with one byte of an entry's data changed must fail for both.
    data = bytearray(apk.read_bytes())
    data[data.index(b"PK\x03\x04") + 60] ^= 0x20
    tampered = tmp_path / "tampered.apk"
    tampered.write_bytes(bytes(data))
    assert not _apksigner(tampered)
    assert not inspect_apk(tampered).signature.verified


def test_key_rotation_lineage(keys: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    """apksigner rotate + sign --lineage: v1/v2 by the old key, v3 by the new one with a
    proof-of-rotation lineage old -> new, each API range verified by the right signer."""
    old_key, old_cert = keys["rsa2048"]
    new_key, new_cert = keys["ecp256"]
    lineage = tmp_path / "lineage.bin"
    done = _run(
        "apksigner",
        "rotate",
        "--out",
        lineage,
        "--old-signer",
        "--key",
        old_key,
        "--cert",
        old_cert,
        "--new-signer",
        "--key",
        new_key,
        "--cert",
        new_cert,
    )
    assert done.returncode == 0, done.stderr
    source = tmp_path / "in.apk"
    source.write_bytes(corpus_path("apk/androguard-apksig/golden-aligned-in.apk").read_bytes())
    apk = tmp_path / "rotated.apk"
    done = _run(
        "apksigner",
        "sign",
        "--key",
        old_key,
        "--cert",
        old_cert,
        "--next-signer",
        "--key",
        new_key,
        "--cert",
        new_cert,
        "--lineage",
        lineage,
        "--v4-signing-enabled",
        "false",
        "--out",
        apk,
        source,
    )
    assert done.returncode == 0, done.stderr
    verdict = inspect_apk(apk).signature
    assert _apksigner(apk) and verdict.verified, verdict.errors
    assert [c.subject for c in verdict.lineage] == [
        "CN=handsetguard rsa2048",
        "CN=handsetguard ecp256",
    ]
    by_scheme = {scheme: s.certificate.subject for s in verdict.signers for scheme in s.schemes}
    assert by_scheme == {
        "v1": "CN=handsetguard rsa2048",
        "v2": "CN=handsetguard rsa2048",
        "v3": "CN=handsetguard ecp256",
    }
    assert [(r.low, r.scheme) for r in verdict.api_ranges] == [(23, "v1"), (24, "v2"), (28, "v3")]


# (apksigner sign --min-sdk-version, the level verified from): apksigner writes SHA-256 digests
# into MANIFEST.MF and the .SF from minSdk 18, SHA-1 below; platforms before API 18 read only
# SHA-1 (or what Digest-Algorithms names), so the SHA-256-only APK fails from 17 down.
DIGEST_LEVELS = [("18", 17), ("18", 18), ("17", 17), ("17", 1), ("24", 9)]


@pytest.mark.parametrize(("signed_for", "verified_from"), DIGEST_LEVELS)
def test_v1_sha256_digests_need_api_18(
    keys: dict[str, tuple[Path, Path]], tmp_path: Path, signed_for: str, verified_from: int
) -> None:
    apk = _sign(keys, "rsa2048", "v1-only", tmp_path, "--min-sdk-version", signed_for)
    oracle = _run("apksigner", "verify", "--min-sdk-version", str(verified_from), apk)
    verdict = inspect_apk(apk, verified_from).signature
    expected = int(signed_for) < 18 or verified_from >= 18
    assert (oracle.returncode == 0) is expected, oracle.stdout + oracle.stderr
    assert verdict.verified is expected, verdict.errors
    if not expected:
        # One error for the .SF's sections and one for MANIFEST.MF's entries, each naming the
        # first and counting the rest (an APK of thousands of entries is not thousands of lines).
        unread = [e for e in verdict.errors if "SHA-2 digests only from API 18" in e]
        assert len(unread) == 2 and all(" more: " in e for e in unread), verdict.errors
