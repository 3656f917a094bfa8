"""APK Signature Scheme v4 (.idsig beside the APK) against apksigner: APKs signed here by
apksigner itself with a throwaway key (openssl), one .idsig intact, one with a flipped byte,
one belonging to another APK."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from handsetguard.apk import inspect_apk
from tests.conftest import corpus_path

TOOLS = ("apksigner", "java", "openssl")


def _run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian apksigner, default-jre-headless, openssl)")
    folder = tmp_path_factory.mktemp("v4")
    key, cert, pk8 = folder / "key.pem", folder / "cert.pem", folder / "key.pk8"
    made = _run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "30",
        "-subj",
        "/CN=handsetguard v4 test",
    )
    assert made.returncode == 0, made.stderr
    assert (
        _run(
            "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER", "-out", pk8
        ).returncode
        == 0
    )
    out: dict[str, Path] = {}
    for name, source in (
        ("a", "androguard-apksig/golden-aligned-in.apk"),  # AOSP tinyapp, unsigned
        ("b", "androguard/Test-debug.apk"),  # another app: its .idsig must not fit "a"
    ):
        unsigned = folder / f"{name}-in.apk"
        unsigned.write_bytes(corpus_path(f"apk/{source}").read_bytes())
        target = folder / f"{name}.apk"
        done = _run(
            "apksigner",
            "sign",
            "--key",
            pk8,
            "--cert",
            cert,
            "--v4-signing-enabled",
            "true",
            "--out",
            target,
            unsigned,
        )
        assert done.returncode == 0, done.stderr
        out[name] = target
    return out


def _apksigner_v4(apk: Path) -> tuple[bool, bool]:
    """apksigner's verdict on the APK and on its v4 signature: it reports a v4 signature that
    fails as "Verified using v4 scheme: false" and still verifies the APK by v1-v3."""
    done = _run("apksigner", "verify", "-v", "--v4-signature-file", f"{apk}.idsig", apk)
    return (
        done.returncode == 0,
        "Verified using v4 scheme (APK Signature Scheme v4): true" in done.stdout,
    )


def test_v4_verifies(signed: dict[str, Path]) -> None:
    verdict = inspect_apk(signed["a"]).signature
    assert _apksigner_v4(signed["a"]) == (True, True)
    assert verdict.verified, verdict.errors
    assert verdict.schemes == ("v1", "v2", "v3", "v4")
    assert {s.certificate.subject for s in verdict.signers} == {"CN=handsetguard v4 test"}


def test_flipped_byte_in_idsig_fails(signed: dict[str, Path], tmp_path: Path) -> None:
    apk = tmp_path / "c.apk"
    apk.write_bytes(signed["a"].read_bytes())
    data = bytearray(Path(f"{signed['a']}.idsig").read_bytes())
    data[400] ^= 0x01  # inside the certificate
    Path(f"{apk}.idsig").write_bytes(bytes(data))
    verdict = inspect_apk(apk).signature
    assert _apksigner_v4(apk) == (True, False)
    assert verdict.verified and verdict.schemes == ("v1", "v2", "v3")
    assert "v4" in verdict.present
    assert "v4: RSA_PKCS1_V1_5_WITH_SHA256 signature did not verify" in verdict.warnings


def test_idsig_of_another_apk_fails(signed: dict[str, Path], tmp_path: Path) -> None:
    apk = tmp_path / "d.apk"
    apk.write_bytes(signed["a"].read_bytes())
    Path(f"{apk}.idsig").write_bytes(Path(f"{signed['b']}.idsig").read_bytes())
    verdict = inspect_apk(apk).signature
    assert _apksigner_v4(apk)[1] is False
    assert "v4" not in verdict.schemes
    assert "v4: APK digest matches no v2/v3 content digest" in verdict.warnings


def test_truncated_idsig_is_an_error_not_a_crash(signed: dict[str, Path], tmp_path: Path) -> None:
    apk = tmp_path / "e.apk"
    apk.write_bytes(signed["a"].read_bytes())
    Path(f"{apk}.idsig").write_bytes(Path(f"{signed['a']}.idsig").read_bytes()[:60])
    verdict = inspect_apk(apk).signature
    assert verdict.verified and "v4" not in verdict.schemes
    assert verdict.warnings == ("v4: e.apk.idsig: truncated or malformed",)
