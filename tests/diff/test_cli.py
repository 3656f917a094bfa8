"""``handsetguard diff`` on real corpus inputs: the same acquisition as a bugreport zip, its
unzipped folder and its saved JSON report; a later acquisition made from the real dump text;
two different devices; exit codes, formats and -o."""

from __future__ import annotations

import json
import zipfile
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.cli_runner import run
from tests.conftest import corpus_path
from tests.diff.conftest import ANDROIDQF, ATV_BUGREPORT, PIXEL1_81_BUGREPORT, PIXEL1_BUGREPORT

DIFF_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "diff.schema.json").read_text()
)
REPORT_SCHEMA = json.loads(
    resources.files("handsetguard.report").joinpath("report.schema.json").read_text()
)


def _json(*args: str) -> tuple[int, dict[str, object]]:
    result = run("diff", *args, "--format", "json")
    assert result.stderr == "", result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, DIFF_SCHEMA)
    return result.exit_code, document


@pytest.fixture(scope="module")
def pixel_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pixel 8.1 bugreport's report, saved by `check --format json -o`."""
    target = tmp_path_factory.mktemp("reports") / "pixel81.json"
    result = run("check", str(corpus_path(PIXEL1_81_BUGREPORT)), "-f", "json", "-o", str(target))
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(target.read_text()), REPORT_SCHEMA)
    return target


def _later_pixel(folder: Path) -> Path:
    """A copy of the Pixel 8.1 bugreport as a later acquisition of the same phone could read:
    its bootloader unlocked and an older security patch (two getprop lines of the real dump
    text edited), everything else byte for byte."""
    source = corpus_path(PIXEL1_81_BUGREPORT)
    target = folder / "later.zip"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.startswith("bugreport-") and info.filename.endswith(".txt"):
                for old, new in (
                    (b"[ro.boot.flash.locked]: [1]", b"[ro.boot.flash.locked]: [0]"),
                    (
                        b"[ro.build.version.security_patch]: [2018-03-05]",
                        b"[ro.build.version.security_patch]: [2017-12-05]",
                    ),
                ):
                    assert old in data, old
                    data = data.replace(old, new)
            copy.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def test_a_bugreport_and_its_saved_report_are_the_same(pixel_json: Path) -> None:
    code, document = _json(str(corpus_path(PIXEL1_81_BUGREPORT)), str(pixel_json))
    assert code == 0
    assert document["summary"]["changes"] == 0
    assert document["identity"]["same_device"] is True
    assert document["summary"]["not_comparable"] == ["adb_keys"]


def test_a_bugreport_zip_and_its_unzipped_folder(tmp_path: Path) -> None:
    """Android TV emulator, Android 14: one acquisition read as a zip and as a folder."""
    source = corpus_path(ATV_BUGREPORT)
    with zipfile.ZipFile(source) as archive:
        archive.extractall(tmp_path / "unzipped")
    code, document = _json(str(source), str(tmp_path / "unzipped"))
    assert code == 0
    assert document["old"]["source"]["kind"] == "bugreport-zip"  # type: ignore[index]
    assert document["new"]["source"]["kind"] == "bugreport-dir"  # type: ignore[index]
    assert document["summary"]["changes"] == 0


def test_a_later_acquisition_that_regressed(
    tmp_path: Path, pixel_json: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one change a line, whatever the terminal
    code, document = _json(str(pixel_json), str(_later_pixel(tmp_path)))
    assert code == 1
    changes = [
        (c["facet"], c["key"], c["kind"], c["severity"])
        for f in document["facets"]  # type: ignore[attr-defined]
        for c in f["changes"]
    ]
    assert ("checks", "bootloader_locked", "bootloader_unlocked", "critical") in changes
    assert ("patch_levels", "OS patch level", "patch_backwards", "high") in changes
    assert {c[0] for c in changes} <= {"checks", "patch_levels", "rating"}
    text = run("diff", str(pixel_json), str(_later_pixel(tmp_path)))
    assert text.exit_code == 1
    assert "bootloader unlocked since: bootloader_locked: pass -> fail" in text.stdout
    assert "patch level went backwards: OS patch level went back: 2018-03-05 -> 2017-12-05" in (
        text.stdout
    )


def test_two_different_devices_are_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run("diff", str(corpus_path(PIXEL1_81_BUGREPORT)), str(corpus_path(PIXEL1_BUGREPORT)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: the two reports are of different devices: serial 'FA69Y0300503' vs "
        "'FA69P0301911'\n  hint: pass --force to compare them anyway\n"
    )
    forced = run(
        "diff",
        str(corpus_path(PIXEL1_81_BUGREPORT)),
        str(corpus_path(PIXEL1_BUGREPORT)),
        "--force",
    )
    assert forced.exit_code == 1  # the AOSP 10 build is unlocked: critical
    assert "NOT the same device (compared with --force): serial FA69Y0300503 vs FA69P0301911" in (
        forced.stdout
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"schema": "handsetguard.snapshot/1"}', "not a HandsetGuard JSON report (schema"),
        ('{"schema": "handsetguard.report/1", "checks": 3}', "new report: checks is not a list"),
    ],
)
def test_an_unusable_json_input_is_one_line_and_exit_2(
    tmp_path: Path, pixel_json: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run("diff", str(pixel_json), str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_missing_input(tmp_path: Path, pixel_json: Path) -> None:
    result = run("diff", str(pixel_json), str(tmp_path / "absent.zip"))
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {tmp_path / 'absent.zip'}: no such file or folder\n",
    )


@pytest.mark.parametrize("fmt", ["text", "json", "html", "md"])
def test_output_file_is_written_whole(tmp_path: Path, pixel_json: Path, fmt: str) -> None:
    target = tmp_path / f"diff.{fmt}"
    result = run("diff", str(pixel_json), str(_later_pixel(tmp_path)), "-f", fmt, "-o", str(target))
    assert (result.exit_code, result.stdout) == (1, "")
    written = target.read_text()
    assert "patch" in written and "bootloader" in written
    assert target.stat().st_mode & 0o777 == 0o600
    assert "\x1b[" not in written  # a file gets no colour


def test_output_through_a_link_is_refused(tmp_path: Path, pixel_json: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(victim)
    result = run("diff", str(pixel_json), str(pixel_json), "-o", str(link))
    assert result.exit_code == 2
    assert "is a symbolic link; refusing to write through it" in result.stderr
    assert victim.read_text() == "keep"


def test_a_raw_input_is_checked_with_the_indicators_check_uses(tmp_path: Path) -> None:
    """MVT's AndroidQF test collection against the project's MVT-compatibility STIX2 set:
    its saved report and the raw folder diff empty only when the raw side is matched against
    the same indicators (--iocs, as check takes it); without them, every match is 'gone'."""
    folder = corpus_path(ANDROIDQF)
    iocs = Path(__file__).resolve().parents[1] / "fixtures" / "iocs" / "mvt-compat.stix2"
    saved = tmp_path / "androidqf.json"
    checked = run("check", str(folder), "--iocs", str(iocs), "-f", "json", "-o", str(saved))
    assert checked.exit_code == 0, checked.output
    found = json.loads(saved.read_text())["threats"]
    assert len(found) == 11 and {t["kind"] for t in found} == {"indicator"}
    code, document = _json(str(saved), str(folder), "--iocs", str(iocs))
    assert (code, document["summary"]["changes"]) == (0, 0)
    code, document = _json(str(saved), str(folder))
    kinds = [c["kind"] for f in document["facets"] for c in f["changes"] if f["name"] == "threats"]  # type: ignore[attr-defined]
    assert code == 0 and kinds == ["threat_gone"] * 11


def test_a_json_input_is_read_with_bounds(
    tmp_path: Path, pixel_json: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' + "[" * 200 + "]" * 200 + "}")
    result = run("diff", str(pixel_json), str(deep))
    assert result.exit_code == 2 and str(deep) in result.stderr
    assert len(result.stderr.splitlines()) == 1
    monkeypatch.setattr("handsetguard.diff.inputs.MAX_REPORT_BYTES", 1000)
    result = run("diff", str(pixel_json), str(pixel_json))
    assert result.exit_code == 2
    assert result.stderr == f"error: {pixel_json}: larger than 1000 bytes; refusing to read it\n"
