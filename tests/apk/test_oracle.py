"""Signature verdicts against the oracle: Debian's apksigner (``apksigner verify
--print-certs``) on every corpus APK — the AOSP apksig test matrix, androguard's and
apkInspector's samples — and the outcome each apksig matrix file's name promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from handsetguard.apk import inspect_apk
from tests.conftest import CORPUS

APK_DIR = CORPUS / "apk"
APKS = sorted(APK_DIR.glob("*/*.apk")) if APK_DIR.is_dir() else []

# Where we knowingly differ from the installed apksigner, and why.
EXPLAINED = {
    "v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk": (
        "apksigner 0.9 (Debian) predates APK Signature Scheme v3.1: it warns 'Unknown additional "
        "attribute 0x559f8b02' (the v3.1 rotation-min-sdk attribute) and ignores the v3.1 block; "
        "AOSP apksig's own test verify31_minSdkVersionTTargetSdk30 expects this APK to verify"
    ),
}
MUST_FAIL = re.compile(
    r"does-not-verify|digest-mismatch|cert-and-public-key-mismatch|no-certs-in-sig|truncated-cd|"
    r"stripped|unsigned|golden-aligned-in|empty"
)
_DIGEST = re.compile(r"certificate SHA-256 digest: ([0-9a-f]{64})")


@cache
def apksigner(path: Path) -> tuple[bool, frozenset[str], str]:
    if shutil.which("apksigner") is None or shutil.which("java") is None:
        pytest.skip(
            "apksigner/java not installed (Debian packages apksigner, default-jre-headless)"
        )
    done = subprocess.run(
        ["apksigner", "verify", "--verbose", "--print-certs", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    return done.returncode == 0, frozenset(_DIGEST.findall(done.stdout)), output


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]


@pytest.mark.parametrize("path", APKS, ids=_ids(APKS))
def test_verdict_agrees_with_apksigner(path: Path) -> None:
    oracle, oracle_signers, output = apksigner(path)
    ours = inspect_apk(path).signature
    if path.name in EXPLAINED:
        assert ours.verified != oracle, f"{path.name} no longer disagrees: drop it from EXPLAINED"
        return
    assert ours.verified == oracle, f"apksigner says {oracle}:\n{output}\nours: {ours.errors}"
    if oracle:
        ours_signers = {s.certificate.sha256 for s in ours.signers}
        assert oracle_signers <= ours_signers, (oracle_signers, ours_signers)


def test_agreement_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """All files at once: the figure quoted in the issue, and every disagreement printed."""
    if not APKS:
        pytest.skip(f"no corpus APKs under {APK_DIR}")
    disagreements = []
    for path in APKS:
        oracle, _, _ = apksigner(path)
        ours = inspect_apk(path).signature.verified
        if ours != oracle:
            disagreements.append(f"{path.name}: apksigner {oracle}, ours {ours}")
    with capsys.disabled():
        sys.stdout.write(
            f"\napksigner agreement: {len(APKS) - len(disagreements)} of {len(APKS)}\n"
        )
        for line in disagreements:
            sys.stdout.write(f"  {line}\n")
    assert {line.split(":")[0] for line in disagreements} == set(EXPLAINED)


MATRIX = [p for p in APKS if p.parent.name == "androguard-apksig"]


@pytest.mark.parametrize("path", MATRIX, ids=_ids(MATRIX))
def test_matrix_file_name_promise(path: Path) -> None:
    verdict = inspect_apk(path).signature
    if MUST_FAIL.search(path.name):
        assert not verdict.verified, verdict
        assert verdict.errors


def test_v31_verifies_from_api_33_with_rotated_signer() -> None:
    """AOSP apksig verify31_minSdkVersionTTargetSdk30: from API 33 the v3.1 signer suffices."""
    path = APK_DIR / "androguard-apksig/v31-ec-p256-2-tgt-33-1-tgt-28-targetSdk-30.apk"
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    verdict = inspect_apk(path, min_sdk=33).signature
    assert verdict.verified, verdict.errors
    assert "v3.1" in verdict.schemes
    assert [s.certificate.subject for s in verdict.signers if "v3.1" in s.schemes] == [
        "CN=ec-p256_2"
    ]


def _cert_sha256(name: str) -> str:
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = (APK_DIR / "androguard-apksig/signer-certs" / name).read_bytes()
    return hashlib.sha256(
        x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    ).hexdigest()


@pytest.mark.parametrize(
    ("apk", "cert"),
    [
        ("v2-only-with-ecdsa-sha256-p256.apk", "ec-p256.x509.pem"),
        ("v3-only-with-rsa-pkcs1-sha256-2048.apk", "rsa-2048.x509.pem"),
        ("v1-only-with-dsa-sha256-2.16.840.1.101.3.4.3.2-2048.apk", "dsa-2048.x509.pem"),
        ("v1-only-with-ecdsa-sha256-1.2.840.10045.4.3.2-p256.apk", "ec-p256.x509.pem"),
    ],
)
def test_signer_is_the_test_key(apk: str, cert: str) -> None:
    """Without apksigner: the signer we report is the apksig test key the file name names
    (checked over the whole range the scheme serves: from API 24 for a v2-only APK)."""
    path = APK_DIR / "androguard-apksig" / apk
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    verdict = inspect_apk(
        path, min_sdk=28 if apk.startswith("v3") else 24 if apk.startswith("v2") else None
    ).signature
    assert verdict.verified, verdict.errors
    assert [s.certificate.sha256 for s in verdict.signers] == [_cert_sha256(cert)]


def test_lineage_of_three_signers() -> None:
    path = APK_DIR / "androguard-apksig/v1v2v3-with-rsa-2048-lineage-3-signers.apk"
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    verdict = inspect_apk(path).signature
    assert verdict.verified
    assert len(verdict.lineage) == 3
    assert verdict.schemes == ("v1", "v2", "v3")


JAR_LEVEL_FILES = (
    "v1-only-with-rsa-pkcs1-sha256-1.2.840.113549.1.1.11-2048.apk",
    "v1-only-with-ecdsa-sha256-1.2.840.10045.4.3.2-p256.apk",
    "v1-only-with-dsa-sha256-2.16.840.1.101.3.4.3.2-2048.apk",
    "v1-only-with-rsa-pkcs1-md5-1.2.840.113549.1.1.4-2048.apk",
    "v1-sha1-sha256-manifest-and-sf.apk",
    "golden-aligned-v1-out.apk",
)
JAR_LEVEL_CASES = [(f, m) for f in JAR_LEVEL_FILES for m in (1, 9, 17, 18, 20, 21)]


@pytest.mark.parametrize(
    ("name", "level"), JAR_LEVEL_CASES, ids=[f"{f[:40]}@{m}" for f, m in JAR_LEVEL_CASES]
)
def test_jar_signature_per_api_level_agrees(name: str, level: int) -> None:
    """The API levels each JAR signature algorithm works on (MD5withRSA not on 9-20, SHA-256
    with RSA from 18, with ECDSA or DSA from 21): `apksigner verify --min-sdk-version N`."""
    if shutil.which("apksigner") is None or shutil.which("java") is None:
        pytest.skip(
            "apksigner/java not installed (Debian packages apksigner, default-jre-headless)"
        )
    path = APK_DIR / "androguard-apksig" / name
    if not path.exists():
        pytest.skip(f"corpus file missing: {path}")
    done = subprocess.run(
        ["apksigner", "verify", "--min-sdk-version", str(level), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    verdict = inspect_apk(path, min_sdk=level).signature
    assert verdict.verified == (done.returncode == 0), (done.stdout, verdict.errors)


# apksigner's JRE lacks "SHA256withRSA/PSS": it throws instead of verifying (the AOSP file name
# says this APK verifies, and it does here).
JRE_WITHOUT_PSS = "v2-only-with-rsa-pss-sha256-2048.apk"


@pytest.mark.parametrize("path", MATRIX, ids=_ids(MATRIX))
def test_matrix_from_api_28_agrees(path: Path) -> None:
    """From API 28 up the platform reads v3 where there is one, and v2 only without it."""
    if shutil.which("apksigner") is None or shutil.which("java") is None:
        pytest.skip(
            "apksigner/java not installed (Debian packages apksigner, default-jre-headless)"
        )
    done = subprocess.run(
        ["apksigner", "verify", "--min-sdk-version", "28", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    verdict = inspect_apk(path, min_sdk=28).signature
    if path.name in EXPLAINED or path.name == JRE_WITHOUT_PSS:
        assert verdict.verified and done.returncode != 0
        return
    assert verdict.verified == (done.returncode == 0), (done.stdout, verdict.errors)
