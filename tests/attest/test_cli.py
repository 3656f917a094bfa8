"""``handsetguard attest`` on corpus files: exit codes 0/1/2, JSON and text output, and the
registration on the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from handsetguard.attest import SCHEMA_VERSION
from handsetguard.cli.attest import attest_command, status_refresh_command
from tests.attest.helpers import ASSETS, SNAPSHOT, TESTDATA
from tests.cli_runner import run
from tests.conftest import corpus_path

CAIMAN = f"{TESTDATA}/caiman/sdk36/TEE_EC_RKP.pem"
CAIMAN_AT = "2025-09-26T15:31:30Z"
CAIMAN_CHALLENGE = b"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4".hex()


def _run(*args: str, **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = attest_command(*args, out=out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_valid_chain_exits_0_with_json_verdict_and_fields() -> None:
    code, out, err = _run(
        str(corpus_path(CAIMAN)),
        CAIMAN_CHALLENGE,
        None,
        str(corpus_path(SNAPSHOT)),
        CAIMAN_AT,
        "json",
    )
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["schema"] == SCHEMA_VERSION
    assert document["ok"] is True and document["failures"] == []
    assert document["chain"]["provisioning"] == "remote"
    assert document["chain"]["root"]["name"] == "google-hardware-attestation-rsa-4096"
    assert document["revocation"]["checked"] is True
    hw = document["key_description"]["hardwareEnforced"]
    assert hw["attestationIdModel"] == "Pixel 9 Pro"
    assert hw["rootOfTrust"]["verifiedBootState"] == "VERIFIED"


def test_wrong_challenge_exits_1_and_says_why() -> None:
    code, out, _ = _run(
        str(corpus_path(CAIMAN)), "00ff", None, str(corpus_path(SNAPSHOT)), CAIMAN_AT, "json"
    )
    assert code == 1
    assert [f["code"] for f in json.loads(out)["failures"]] == ["policy.challenge_mismatch"]


def test_software_rooted_chain_exits_1_in_text() -> None:
    path = corpus_path(f"{TESTDATA}/marlin/sdk29/TEE_EC_NONE.pem")
    code, out, _ = _run(str(path), None, None, str(corpus_path(SNAPSHOT)), "2019-10-29")
    assert code == 1
    assert "INVALID" in out and "chain.software_root" in out
    assert "KeyDescription (UNVERIFIED)" in out


def test_text_output_names_outcome_root_status_list_and_fields() -> None:
    code, out, _ = _run(
        str(corpus_path(CAIMAN)), CAIMAN_CHALLENGE, None, str(corpus_path(SNAPSHOT)), CAIMAN_AT
    )
    assert code == 0
    assert out.startswith("VALID attestation")
    for expected in (
        "google-hardware-attestation-rsa-4096",
        "provisioning remote",
        "attestation-status-snapshot-2025-01-08.json",
        "RKP provisioning info: 64 certificates issued, manufacturer Google",
        "Pixel 9 Pro",
        "deviceLocked",
    ):
        assert expected in out, expected


def test_no_status_list_fails_closed_and_the_unsafe_flag_opens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDSETGUARD_CACHE_DIR", str(tmp_path))  # no cached copy there
    code, out, _ = _run(str(corpus_path(CAIMAN)), None, None, None, CAIMAN_AT, "json")
    assert code == 1
    assert [f["code"] for f in json.loads(out)["failures"]] == ["revocation.unavailable"]
    code, out, _ = _run(
        str(corpus_path(CAIMAN)),
        None,
        None,
        None,
        CAIMAN_AT,
        "json",
        unsafe_allow_missing_status_list=True,
    )
    assert code == 0


def test_cached_status_list_is_used_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDSETGUARD_CACHE_DIR", str(tmp_path))
    (tmp_path / "attestation-status.json").write_bytes(corpus_path(SNAPSHOT).read_bytes())
    code, out, _ = _run(str(corpus_path(CAIMAN)), None, None, None, CAIMAN_AT, "json")
    assert code == 0
    assert json.loads(out)["revocation"]["source"] == str(tmp_path / "attestation-status.json")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("/nonexistent/chain.pem",), "cannot read"),
        ((f"CORPUS:{TESTDATA}/akita/sdk34/TEE_EC_NONE.json",), "x5c array"),
        ((f"CORPUS:{TESTDATA}/marlin/sdk29/metadata.txt",), "not a certificate chain"),
        ((f"CORPUS:{CAIMAN}", None, None, None, "yesterday"), "--at"),
        ((f"CORPUS:{CAIMAN}", "zz"), "--challenge"),
        ((f"CORPUS:{CAIMAN}", None, None, "/nonexistent/status.json"), "status list"),
        ((f"CORPUS:{CAIMAN}", None, "/nonexistent/policy.toml"), "cannot read policy"),
        ((f"CORPUS:{CAIMAN}", None, None, None, None, "yaml"), "--format"),
    ],
)
def test_unusable_input_exits_2(args: tuple[str | None, ...], message: str) -> None:
    resolved = [
        str(corpus_path(a.removeprefix("CORPUS:"))) if a and a.startswith("CORPUS:") else a
        for a in args
    ]
    code, out, err = _run(*resolved)  # type: ignore[arg-type]
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err


def test_unsafe_trust_root_makes_a_synthetic_chain_verify() -> None:
    chain = str(ASSETS / "valid_factory.pem")
    status = str(ASSETS / "status.json")
    args = (chain, b"hg-challenge".hex(), None, status, "2026-11-25", "json")
    assert _run(*args)[0] == 1
    code, out, _ = _run(*args, str(ASSETS / "test-root.pem"))
    assert code == 0
    assert "chain.unsafe_root" in {n["code"] for n in json.loads(out)["notices"]}


def test_command_line_registration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(
        "attest",
        str(corpus_path(CAIMAN)),
        "--challenge",
        CAIMAN_CHALLENGE,
        "--status-list",
        str(corpus_path(SNAPSHOT)),
        "--at",
        CAIMAN_AT,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    monkeypatch.setenv("HANDSETGUARD_CACHE_DIR", str(tmp_path))
    fail_open = run(
        "attest", str(corpus_path(CAIMAN)), "--at", CAIMAN_AT, "--unsafe-allow-missing-status-list"
    )
    assert fail_open.exit_code == 0, fail_open.output
    assert "revocation.unsafe_fail_open" in fail_open.stdout
    bad = run("attest", str(tmp_path / "missing.pem"))
    assert bad.exit_code == 2
    refresh = run(
        "attest-status-refresh", "-o", str(tmp_path / "s.json"), "--url", "http://127.0.0.1:9/x"
    )
    assert refresh.exit_code == 2
    # Only the formats that work are offered, and another is a usage error (exit 2).
    assert "<text|json>" in run("attest", "--help").stdout
    assert run("attest", str(corpus_path(CAIMAN)), "--format", "pdf").exit_code == 2


def test_status_refresh_command_reports_network_errors(tmp_path: Path) -> None:
    err = io.StringIO()
    code = status_refresh_command(
        str(tmp_path / "s.json"), "http://127.0.0.1:9/status", 2, out=io.StringIO(), err=err
    )
    assert code == 2
    assert "cannot download" in err.getvalue() and "hint:" in err.getvalue()


def test_suspended_certificate_fails_with_fail_on_suspended() -> None:
    chain = str(corpus_path("attestation/nl-wallet/suspended-cert.pem"))
    status = str(corpus_path("attestation/google-android-key-attestation/status.json"))
    code, out, _ = _run(chain, None, None, status, "2026-11-25", "json")
    assert code == 1  # a lone intermediate is no chain anyway
    assert "revocation.suspended" in {n["code"] for n in json.loads(out)["notices"]}
    code, out, _ = _run(chain, None, None, status, "2026-11-25", "json", fail_on_suspended=True)
    assert "revocation.suspended" in {f["code"] for f in json.loads(out)["failures"]}


def test_roots_file_and_status_max_age_options() -> None:
    roots = str(corpus_path("attestation/android-keyattestation/roots.json"))
    args = (str(corpus_path(CAIMAN)), None, None, str(corpus_path(SNAPSHOT)), CAIMAN_AT, "json")
    code, out, _ = _run(*args, roots=roots)
    assert code == 0 and json.loads(out)["chain"]["root"]["kind"] == "file"
    # A list given by hand has an unknown age: with a maximum age it counts as missing.
    factory = str(corpus_path(f"{TESTDATA}/blueline/sdk28/TEE_EC_NONE.pem"))
    later = (factory, None, None, str(corpus_path(SNAPSHOT)), "2027-11-25", "json")
    assert _run(*later)[0] == 0
    code, out, _ = _run(*later, status_max_age_days=3650)
    assert code == 1
    assert [f["code"] for f in json.loads(out)["failures"]] == ["revocation.stale"]
    code, out, _ = _run(*later[:-1], "text")
    assert "unknown age" in out


def test_without_a_status_list_the_hint_names_the_refresh_command_and_the_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding: without --status-list every chain was INVALID with no hint."""
    monkeypatch.setenv("HANDSETGUARD_CACHE_DIR", str(tmp_path))
    for fmt in ("text", "json"):
        code, _, err = _run(str(corpus_path(CAIMAN)), None, None, None, CAIMAN_AT, fmt)
        assert code == 1
        hint = [line for line in err.splitlines() if line.startswith("hint:")]
        assert len(hint) == 1
        assert "attest-status-refresh" in hint[0] and "--status-list" in hint[0]


def test_strict_option_refuses_expired_factory_intermediates() -> None:
    """A factory chain whose intermediates expired: exit 0 by default, 1 with --strict."""
    chain = str(ASSETS / "factory_attestation_cert_not_ca.pem")
    common = (
        "attest",
        chain,
        "--unsafe-trust-root",
        str(ASSETS / "test-root.pem"),
        "--unsafe-allow-missing-status-list",
        "--at",
        "2026-11-25",
        "--format",
        "json",
    )
    lenient = run(*common)
    assert lenient.exit_code == 0, lenient.output
    strict = run(*common, "--strict")
    assert strict.exit_code == 1
    assert [f["code"] for f in json.loads(strict.stdout)["failures"]] == ["chain.expired"] * 2


@pytest.mark.parametrize(
    ("file", "code", "exit_code"),
    [
        ("duplicate_extension.pem", "chain.duplicate_extension", 1),
        ("x400_address_san.pem", None, 0),
    ],
)
def test_certificates_that_crashed_the_command_give_a_verdict(
    file: str, code: str | None, exit_code: int
) -> None:
    """Issue 12: these ended in an uncaught traceback with exit 1."""
    result = run(
        "attest",
        str(ASSETS / file),
        "--unsafe-trust-root",
        str(ASSETS / "test-root.pem"),
        "--unsafe-allow-missing-status-list",
        "--at",
        "2026-11-25",
    )
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert (code or "VALID") in result.stdout
