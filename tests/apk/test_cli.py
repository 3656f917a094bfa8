"""``handsetguard apk``: exit codes as ``attest`` (0 all verify, 1 one does not, 2 unusable),
JSON valid against the published schema, -o through the safe writer, hostile strings shown
as data in every format."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import jsonschema
import pytest

from handsetguard.apk import inspect_apk
from handsetguard.apk.render import render_html, render_markdown, render_text
from handsetguard.apk.serialize import SCHEMA_VERSION, render_json
from handsetguard.cli.apk import apk_command
from tests.conftest import corpus_path

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "apk-report.schema.json"
GOOD = "apk/androguard/app-prod-debug.apk"
BAD = "apk/androguard-apksig/v2-only-with-rsa-pkcs1-sha256-2048-sig-does-not-verify.apk"


def _run(*paths: str | Path, fmt: str = "json", output: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = apk_command([str(p) for p in paths], fmt, output, iocs=[], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_exit_0_when_every_apk_verifies() -> None:
    code, text, _ = _run(corpus_path(GOOD))
    assert code == 0
    document = json.loads(text)
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    apk = document["apks"][0]
    assert document["schema"] == SCHEMA_VERSION
    assert apk["package"] == "com.greenaddress.abcore"
    assert apk["signature"]["verified"] is True
    assert apk["signature"]["schemes"] == ["v1", "v2"]
    assert apk["signature"]["signers"][0]["sha256"] == (
        "5e29b0ae637411e251bd8deb235d4fa812e7ab79a6a69f3ea0b7324bdca6a390"
    )
    assert apk["tampering"] == []
    assert apk["classes"] == 2454 and apk["trackers"] is None
    assert apk["indicators"] == []  # the bundled stalkerware set knows no such app


def test_exit_1_when_one_does_not() -> None:
    code, text, _ = _run(corpus_path(GOOD), corpus_path(BAD))
    assert code == 1
    assert [a["signature"]["verified"] for a in json.loads(text)["apks"]] == [True, False]


def test_exit_2_on_unusable_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.apk"
    junk.write_bytes(b"\x00" * 64)
    code, text, err = _run(corpus_path(GOOD), junk)
    assert code == 2
    assert err == f"error: {junk}: not a ZIP archive (no end of central directory record)\n"
    jsonschema.validate(json.loads(text), json.loads(SCHEMA.read_text()))


def test_empty_folder_is_unusable(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path)
    assert code == 2 and "no .apk file" in err


def test_folder_gives_one_report_per_apk() -> None:
    folder = corpus_path("apk/apkinspector")
    code, text, _ = _run(folder, fmt="text")
    assert code == 1  # the tampered copy does not verify
    lines = text.splitlines()
    assert lines[0].split() == [
        "verdict",
        "schemes",
        "package",
        "version",
        "signer",
        "tamper",
        "iocs",
        "file",
    ]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["FAIL", "-", "com.erev0s.minimal"],
        ["ok", "v2+v3", "com.erev0s.minimal"],
    ]
    assert lines[1].split()[5] == "3!"  # extra field, header mismatch, shifted record (fatal)
    out, err = io.StringIO(), io.StringIO()
    assert apk_command([str(folder)], "text", iocs=[], details=True, out=out, err=err) == 1
    assert out.getvalue().count("com.erev0s.minimal: ") == 2


def test_output_file_and_symlink_refused(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    code, text, _ = _run(corpus_path(GOOD), fmt="md", output=str(target))
    assert code == 0 and text == ""
    assert target.read_text().startswith("# HandsetGuard APK inspection")
    link = tmp_path / "link.html"
    link.symlink_to(tmp_path / "elsewhere")
    code, _, err = _run(corpus_path(GOOD), fmt="html", output=str(link))
    assert code == 2 and "symbolic link" in err
    assert not (tmp_path / "elsewhere").exists()


HOSTILE = "evil\x1b]0;pwned\x07\x1b[31m\u202e<script>alert(1)</script>`**x**`"


@pytest.mark.parametrize("render", [render_text, render_markdown, render_html])
def test_hostile_strings_are_data(render: object) -> None:
    report = inspect_apk(corpus_path(GOOD))
    assert report.manifest is not None
    hostile = dataclasses.replace(
        report, manifest=dataclasses.replace(report.manifest, package=HOSTILE, launcher=HOSTILE)
    )
    text = render([hostile])  # type: ignore[operator]
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    if render is render_html:
        assert "<script>" not in text and "&lt;script&gt;" in text
    if render is render_markdown:  # prose escaped, values inside code spans
        assert "\\<script>alert(1)\\</script>" in text.splitlines()[2]


def test_json_escapes_invisible_characters() -> None:
    report = inspect_apk(corpus_path(GOOD))
    assert report.manifest is not None
    hostile = dataclasses.replace(
        report, manifest=dataclasses.replace(report.manifest, package=HOSTILE)
    )
    text = render_json([hostile])
    assert "\x1b" not in text and "\u202e" not in text
    assert json.loads(text)["apks"][0]["package"] == HOSTILE


def test_registered_on_the_command_line() -> None:
    """`handsetguard apk` is reachable through the real parser (both the one-group parser a
    command line builds and the full one), so a lost registration fails here."""
    import subprocess
    import sys

    from handsetguard.cli.root import build_parser

    args = build_parser("apk").parse_args(["apk", "-f", "json", "x.apk"])
    assert (args.paths, args.fmt) == (["x.apk"], "json")
    assert "apk" in build_parser().format_help()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from handsetguard.cli import main; main()",
            "apk",
            "--no-iocs",
            "-f",
            "json",
            str(corpus_path(GOOD)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["apks"][0]["signature"]["verified"] is True


@pytest.mark.parametrize(
    ("relative", "absent"),
    [
        # v2 + v3 from API 24: no JAR signature to check, so no PKCS#7 (pyasn1) either.
        ("apk/apkinspector/minimal_orig.apk", ("pyasn1", "handsetguard.apk.pkcs7")),
        ("apk/androguard/com.teleca.jamendo_35.apk", ()),  # v1: pyasn1 is needed
    ],
)
def test_apk_loads_neither_the_engine_nor_unused_schemes(
    relative: str, absent: tuple[str, ...]
) -> None:
    """`apk FILE` (indicators matched, JSON) must not pay for the check engine (device model,
    parsers, behaviour detector), the report package, rich, or a scheme the APK lacks."""
    import subprocess
    import sys

    heavy = (
        "handsetguard.device",
        "handsetguard.parsers.packages",
        "handsetguard.checks",
        "handsetguard.threats.behaviour",
        "handsetguard.report",
        "handsetguard.apk.v4",
        "rich",
        "yaml",
        *absent,
    )
    probe = (
        "import sys, io\n"
        "from handsetguard.cli import main\n"
        "sys.stdout = io.StringIO()\n"
        "try:\n"
        f"    main(['apk', '--format', 'json', {str(corpus_path(relative))!r}])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "sys.stdout = sys.__stdout__\n"
        f"print(code, ','.join(sorted(m for m in sys.modules if m.startswith({heavy!r}))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "0"
