"""The command line: exit codes, one-line errors, output files, formats."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from handsetguard.cli.common import parse_as_of
from handsetguard.errors import UsageError
from tests.cli_runner import invoke


def test_example_json() -> None:
    code, out, _ = invoke("check", "--example", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["source"]["kind"] == "example"
    assert data["device"]["model"] == "KS-60 Secure"
    assert data["rating"]["level"] == "fair"


def test_fail_on_exit_code_and_verdict_line() -> None:
    code, _, err = invoke("check", "--example", "--format", "json", "--fail-on", "fail")
    assert code == 3
    # The example has USB debugging on and adb installs unverified (verifier_verify_adb_installs=0).
    assert err.startswith("--fail-on fail: ")
    assert "usb_debugging" in err and "verify_adb_installs" in err


def _statuses() -> dict[str, str]:
    code, out, _ = invoke("check", "--example", "--format", "json")
    assert code == 0
    return {c["id"]: c["status"] for c in json.loads(out)["checks"]}


def test_fail_on_not_reached(tmp_path: Path) -> None:
    """With every failing check of the example disabled, --fail-on fail stops only on the
    example's stalkerware-like app (a behaviour finding fails a gate whatever the checks say)
    and --fail-on warn still stops on the warnings (exit 3)."""
    statuses = _statuses()
    failing = [check for check, status in statuses.items() if status == "fail"]
    assert failing and "warn" in statuses.values()
    profile = tmp_path / "no-fails.toml"
    profile.write_text(
        'name = "no-fails"\n[caps]\n'
        + "".join(f"[checks.{check}]\nenabled = false\n" for check in failing)
    )
    args = ("check", "--example", "--format", "json", "--profile", str(profile))
    code, _, err = invoke(*args, "--fail-on", "fail")
    assert (code, err) == (3, "--fail-on fail: threat:com.tracker.familylocator\n")
    code, _, err = invoke(*args, "--fail-on", "warn")
    assert code == 3 and err.startswith("--fail-on warn: ")


def test_verdict_format_exits_3_on_fail_without_fail_on() -> None:
    code, out, err = invoke("check", "--example", "--format", "verdict")
    assert code == 3
    [line] = out.splitlines()
    assert line.startswith("FAIL KS60IN0042 KS-60_Secure ") and "usb_debugging" in line
    assert err.startswith("gate: ")
    # The same report in JSON without a gate asked for is not a threshold: exit 0.
    assert invoke("check", "--example", "--format", "json")[0] == 0


@pytest.mark.parametrize("content", [b"", b"\x00garbage\xff" * 50, b"PK\x03\x04broken"])
def test_unreadable_input_is_one_line_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    code, out, err = invoke("check", str(path))
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("error: ") and str(path) in err
    assert "Traceback" not in err


def test_missing_source_and_bad_options() -> None:
    assert invoke("check")[0] == 2
    assert invoke("check", "--example", "--as-of", "yesterday")[0] == 2
    assert invoke("check", "--example", "--profile", "/nonexistent.toml")[0] == 2
    assert invoke("check", "--example", "--format", "pdf")[0] == 2
    code, _, err = invoke("apps", "--example", "--category", "camera,teleport")
    assert code == 2 and "teleport" in err


def test_bad_profile_file(tmp_path: Path) -> None:
    profile = tmp_path / "p.toml"
    profile.write_text("[checks.no_such_check]\nseverity = 'high'\n")
    code, _, err = invoke("check", "--example", "--profile", str(profile))
    assert code == 2 and "no_such_check" in err
    profile.write_text("this is = = not toml")
    code, _, err = invoke("check", "--example", "--profile", str(profile))
    assert code == 2 and "not valid TOML" in err


def test_custom_profile_changes_rating(tmp_path: Path) -> None:
    profile = tmp_path / "lenient.toml"
    profile.write_text(
        'name = "lenient"\n[caps]\n[checks.usb_debugging]\nenabled = false\n'
        "[checks.verify_apps]\nenabled = false\n"
    )
    code, out, _ = invoke("check", "--example", "--format", "json", "--profile", str(profile))
    assert code == 0
    data = json.loads(out)
    assert data["profile"] == "lenient"
    assert "usb_debugging" not in {c["id"] for c in data["checks"]}
    assert data["rating"]["capped_by"] == []


@pytest.mark.parametrize("fmt", ["json", "html", "md", "text"])
def test_output_file_written_whole(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    code, stdout, _ = invoke("check", "--example", "--format", fmt, "-o", str(out))
    assert code == 0 and stdout == ""
    text = out.read_text()
    assert "KS-60 Secure" in text
    assert not list(tmp_path.glob(".*.tmp"))


def test_output_to_unwritable_place(tmp_path: Path) -> None:
    code, _, err = invoke(
        "check",
        "--example",
        "--format",
        "json",
        "-o",
        str(tmp_path / "no" / "such" / "dir" / "r.json"),
    )
    assert code == 2 and "cannot write report" in err


def test_as_of_override_is_reported() -> None:
    code, out, _ = invoke("check", "--example", "--format", "json", "--as-of", "2026-01-01")
    data = json.loads(out)
    assert data["time_basis"] == "override"
    assert data["evaluated_as_of"] == "2026-01-01T00:00:00+00:00"
    patch = next(c for c in data["checks"] if c["id"] == "os_patch_level")
    assert patch["status"] == "fail"


def test_parse_as_of() -> None:
    assert parse_as_of(None) is None
    assert parse_as_of("2025-02-03T04:05:06+05:30") is not None
    with pytest.raises(UsageError):
        parse_as_of("03/02/2025")


def test_apps_command_filters() -> None:
    code, out, _ = invoke("apps", "--example", "--category", "microphone", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    packages = [row["package"] for row in rows]
    # Most recent microphone use first; apps that never used the microphone are left out.
    assert packages == ["com.whatsapp", "com.tracker.familylocator"]
    code, out, _ = invoke("apps", "--example", "--app", "com.whatsapp", "--format", "json")
    assert [row["package"] for row in json.loads(out)] == ["com.whatsapp"]


def test_apps_text_table() -> None:
    code, out, _ = invoke("apps", "--example", "--category", "camera")
    assert code == 0
    assert "com.whatsapp" in out


def test_console_script_runs_example() -> None:
    """The installed entry point (README Quickstart) works end to end."""
    exe = Path(sys.executable).with_name("handsetguard")
    if not exe.exists():
        pytest.skip("handsetguard console script not installed in this environment")
    done = subprocess.run(
        [str(exe), "check", "--example"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "KS-60 Secure" in done.stdout


def test_corrupt_zip_member_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bugreport-x.txt", "------ A (a) ------\n" * 5000)
    data = bytearray(path.read_bytes())
    data[60:200] = b"\xff" * 140  # corrupt the deflate stream, keep the central directory
    path.write_bytes(bytes(data))
    code, _, err = invoke("check", str(path))
    assert code == 2 and "corrupt" in err and "Traceback" not in err


def test_apps_all_categories_and_default_table() -> None:
    code, out, _ = invoke("apps", "--example", "--category", "all", "--format", "json")
    assert code == 0
    assert "net.quickshare.files" in {row["package"] for row in json.loads(out)}
    code, out, _ = invoke("apps", "--example")
    # The default table shows the five headline categories: the media-only app is not listed.
    assert code == 0 and out.startswith("4 apps")
