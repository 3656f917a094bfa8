"""Matching indicators against a phone: every match MVT reports on its own test artefacts
(corpus device/mvt-tests, with the indicator values of MVT's tests), the bundled Echap set on a
stalkerware dump, certificate hash codes, one finding per package, no false positives on the
corpus bugreports; the ``check --iocs`` and ``iocs`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handsetguard.checks.model import EvidenceItem
from handsetguard.evidence import Provenance
from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats.indicators import IndicatorIndex, Places, load_indicators
from handsetguard.threats.model import Confidence, Match, Threat, ThreatKind
from tests.cli_runner import run
from tests.conftest import ATV_BUGREPORT, FIXTURES, PIXEL1_BUGREPORT, corpus_path
from tests.threats.stix import write_stix

IOCS = FIXTURES / "iocs"
STALKERWARE_DUMP = IOCS / "dumpsys-package-stalkerware.txt"


def _index(tmp_path: Path, *paths: Path, bundled: bool = False) -> IndicatorIndex:
    return load_indicators(
        list(paths), places=Places(tmp_path / "data", None), env={}, bundled=bundled
    )


def _found(threats: list[Threat]) -> set[tuple[str, str, str | None]]:
    return {(m.type, m.value, t.package) for t in threats for m in t.matches}


# What MVT 2026.10.26 reports on the same inputs with the same indicators
# (tests/fixtures/iocs/mvt-compat.stix2). Read off its runs, once, offline:
# `mvt-android check-androidqf -i mvt-compat.stix2 device/mvt-tests/androidqf` (alerts.json: 5
# indicator alerts) and `check-bugreport … device/mvt-tests/android_data/bugreport` (3); for the
# single dumps, the expectations of MVT's own tests (tests/android/test_artifact_*.py at
# mvt-project/mvt@dac4acb1), which run its parsers on these very files.
MVT_REPORTS = {
    "androidqf": {  # aqf_packages, aqf_get_prop, aqf_files
        ("app:id", "com.malware.blah", "com.malware.blah"),
        (
            "file:hashes.sha256",
            "31037a27af59d4914906c01ad14a318eee2f3e31d48da8954dca62a99174e3fa",
            "com.malware.muahaha",
        ),
        (
            "app:cert.sha256",
            "c7e56178748be1441370416d4c10e34817ea0c961eb636c8e9d98e0fd79bf730",
            "com.malware.muahaha",
        ),
        ("android-property:name", "dalvik.vm.appimageformat", None),
        (
            "file:path",
            "/sdcard/Android/data/com.android.providers.media/albumthumbs/1588851275201",
            None,
        ),
    },
    "android_data/bugreport": {  # dumpsys_appops, dumpsys_platform_compat
        ("app:id", "com.facebook.katana", "com.facebook.katana"),
        ("app:id", "org.torproject.torbrowser", "org.torproject.torbrowser"),
        ("app:id", "org.article19.circulo.next", "org.article19.circulo.next"),
    },
    # test_artifact_dumpsys_packages.py, _receivers.py, _package_activities.py
    "android_data/dumpsys_packages.txt": {
        ("app:id", "com.sec.android.app.DataCreate", "com.sec.android.app.DataCreate"),
        ("app:id", "com.android.storagemanager", "com.android.storagemanager"),
        ("app:id", "com.google.android.gms", "com.google.android.gms"),
    },
    # test_artifact_dumpsys_accessibility.py::test_ioc_check (the one CRITICAL alert)
    "android_data/dumpsys_accessibility.txt": {
        ("app:id", "com.sec.android.app.camera", "com.sec.android.app.camera")
    },
    # test_artifact_dumpsys_appops.py::test_ioc_check
    "android_data/dumpsys_appops.txt": {("app:id", "com.facebook.katana", "com.facebook.katana")},
    # test_artifact_processes.py::test_ioc_check ("[lru-add-drain]", a kernel thread)
    "android_data/ps.txt": {("process:name", "lru-add-drain", None)},
    # test_artifact_getprop.py::test_ioc_check
    "android_data/getprop.txt": {("android-property:name", "dalvik.vm.appimageformat", None)},
    # dumpsys_dbinfo.txt and dumpsys_platform_compat.txt alone are refused by the sources ("no
    # check reads it"); the folder of MVT's excerpts reads them: test_artifact_dumpsys_dbinfo.py
    # and _platform_compat.py
    "android_data": {
        ("app:id", "com.wssyncmldm", "com.wssyncmldm"),
        ("app:id", "org.torproject.torbrowser", "org.torproject.torbrowser"),
        ("app:id", "org.article19.circulo.next", "org.article19.circulo.next"),
    },
}


@pytest.mark.parametrize("relative", sorted(MVT_REPORTS))
def test_at_least_every_match_mvt_reports(relative: str, tmp_path: Path) -> None:
    state = build_state(open_source(corpus_path(f"device/mvt-tests/{relative}")))
    threats = _index(tmp_path, IOCS / "mvt-compat.stix2").match(state)
    assert MVT_REPORTS[relative] <= _found(threats)
    assert all(t.kind is ThreatKind.INDICATOR for t in threats)


def test_at_least_every_battery_match_mvt_reports(tmp_path: Path) -> None:
    """MVT's dumpsys_battery.txt excerpt has no ``DUMP OF SERVICE`` line (the sources read no
    bare batterystats text): given one, beside MVT's getprop.txt, it yields what MVT's
    test_artifact_dumpsys_battery_history.py and _battery_daily.py expect."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    data = corpus_path("device/mvt-tests/android_data")
    (folder / "getprop.txt").write_bytes((data / "getprop.txt").read_bytes())
    battery = b"DUMP OF SERVICE batterystats:\n" + (data / "dumpsys_battery.txt").read_bytes()
    (folder / "batterystats.txt").write_bytes(battery)
    threats = _index(tmp_path, IOCS / "mvt-compat.stix2").match(build_state(open_source(folder)))
    assert {
        ("app:id", "com.samsung.android.app.reminder", "com.samsung.android.app.reminder"),
        ("app:id", "com.facebook.system", "com.facebook.system"),
    } <= _found(threats)
    reminder = next(t for t in threats if t.package == "com.samsung.android.app.reminder")
    assert reminder.matches[0].evidence[0] == EvidenceItem(
        "com.samsung.android.app.reminder named in dumpsys:batterystats",
        Provenance("dumps/batterystats.txt", 6),
    )


def test_androidqf_whole_findings(tmp_path: Path) -> None:
    """AndroidQF's packages.json beside dumpsys.txt: its digests and the packages it lists that
    the dump does not, one finding per package with every match on it."""
    state = build_state(open_source(corpus_path("device/mvt-tests/androidqf")))
    threats = _index(tmp_path, IOCS / "mvt-compat.stix2").match(state)
    muahaha = next(t for t in threats if t.package == "com.malware.muahaha")
    assert muahaha.summary == "Known spyware (TestMalware) is installed: com.malware.muahaha"
    assert (muahaha.confidence, muahaha.score) == (Confidence.CERTAIN, 100)
    assert [(m.type, str(m.evidence[0].location)) for m in muahaha.matches] == [
        ("file:hashes.sha256", "androidqf/packages.json:200"),
        ("app:cert.sha256", "androidqf/packages.json:200"),
    ]
    assert [t.package for t in threats] == [
        "com.android.storagemanager",  # receivers table
        "com.facebook.katana",  # app ops
        "com.google.android.gms",  # activities table
        "com.malware.blah",  # packages.json only
        "com.malware.muahaha",  # packages.json: APK and certificate digests
        "com.sec.android.app.DataCreate",  # dumpsys package
        "com.sec.android.app.camera",  # accessibility
        "com.wssyncmldm",  # dbinfo
        "org.article19.circulo.next",  # platform_compat
        "org.torproject.torbrowser",
        None,
    ]
    device = threats[-1]
    assert device.summary == (
        "Traces of known spyware (TestMalware) on the phone: property dalvik.vm.appimageformat, "
        "file /sdcard/Android/data/com.android.providers.media/albumthumbs/1588851275201"
    )


def test_bundled_echap_set_finds_stalkerware_with_no_option(tmp_path: Path) -> None:
    state = build_state(open_source(STALKERWARE_DUMP))
    threats = _index(tmp_path, bundled=True).match(state)
    where = Provenance("dumpsys-package-stalkerware.txt", 3)
    assert threats[1] == Threat(
        package="com.thetruth",
        kind=ThreatKind.INDICATOR,
        confidence=Confidence.CERTAIN,
        score=100,
        summary="Known stalkerware (TheTruthSpy) is installed: com.thetruth",
        matches=(
            Match(
                type="app:id",
                value="com.thetruth",
                set="echap-stalkerware",
                indicator_id="TheTruthSpy/packages/com.thetruth",
                name="TheTruthSpy",
                licence="CC-BY-4.0",
                evidence=(EvidenceItem("package com.thetruth", where),),
            ),
        ),
    )
    assert threats[0].summary == (
        "Known stalkerware (TheTruthSpy) was installed and its data is still on the phone: "
        "com.systemservice"
    )
    assert [t.package for t in threats] == ["com.systemservice", "com.thetruth"]


def test_a_dumpsys_certificate_hash_code_is_probable(tmp_path: Path) -> None:
    """``signatures:[a0c58145]`` is Arrays.hashCode of ec-p256's DER: matched against the
    indicator carrying the whole certificate, never against a digest."""
    state = build_state(open_source(STALKERWARE_DUMP))
    (threat,) = _index(tmp_path, IOCS / "cert-der.stix2").match(state)
    assert threat.package == "com.example.signed"
    assert (threat.confidence, threat.score) == (Confidence.PROBABLE, 60)
    assert threat.summary == (
        "Possibly known spyware (SignedSpy): com.example.signed "
        "(only its signing certificate's hash code matches)"
    )
    (match,) = threat.matches
    assert (match.type, match.value, str(match.evidence[0].location)) == (
        "app:cert.der",
        "a0c58145",
        "dumpsys-package-stalkerware.txt:29",
    )


def _stix(tmp_path: Path, *patterns: str) -> Path:
    return write_stix(tmp_path / "t.stix2", *patterns)


def test_process_names_map_to_packages_and_truncations(tmp_path: Path) -> None:
    ps = tmp_path / "ps.txt"
    ps.write_text(
        "USER PID PPID VSZ RSS WCHAN ADDR S NAME\n"
        "u0_a1 100 1 1 1 0 0 S com.thetruth:remote\n"
        "u0_a2 101 1 1 1 0 0 S /system/bin/spyagentdaemon\n"  # basename only
        "u0_a3 102 1 1 1 0 0 S averylongprocess\n",  # 16 characters: maybe truncated
        encoding="utf-8",
    )
    index = _index(
        tmp_path,
        _stix(
            tmp_path,
            "[app:id='com.thetruth']",
            "[process:name='spyagentdaemon']",
            "[process:name='averylongprocessname']",
        ),
    )
    threats = index.match(build_state(open_source(ps)))
    assert _found(threats) == {
        ("app:id", "com.thetruth", "com.thetruth"),
        ("process:name", "spyagentdaemon", None),
        ("process:name", "averylongprocess", None),
    }
    package = threats[0]
    assert package.summary == ("Known spyware (Fam) was seen on the phone: com.thetruth")
    device = threats[1]
    assert device.confidence is Confidence.CERTAIN  # one exact name among the two
    assert {m.value for m in device.matches} == {"spyagentdaemon", "averylongprocess"}


@pytest.mark.parametrize("relative", [ATV_BUGREPORT, PIXEL1_BUGREPORT])
def test_no_false_positive_on_clean_bugreports(relative: str, corpus: Path, tmp_path: Path) -> None:
    state = build_state(open_source(corpus_path(relative)))
    index = _index(tmp_path, corpus / "iocs", bundled=True)
    assert len(index) > 15_000
    assert index.match(state) == []


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def _own_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HANDSETGUARD_IOCS", raising=False)
    return tmp_path


@pytest.mark.usefixtures("_own_dirs")
def test_check_reports_bundled_and_iocs_matches() -> None:
    result = run(
        "check", str(STALKERWARE_DUMP), "--format", "json", "--iocs", str(IOCS / "cert-der.stix2")
    )
    report = json.loads(result.stdout)
    packages = {t["package"] for t in report["threats"]}
    assert {"com.thetruth", "com.systemservice", "com.example.signed"} <= packages
    assert result.stderr == ""


@pytest.mark.usefixtures("_own_dirs")
def test_check_with_a_bad_set_warns_and_still_uses_the_bundled_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.stix2"
    bad.write_text("{", encoding="utf-8")
    result = run("check", str(STALKERWARE_DUMP), "--format", "json", "--iocs", str(bad))
    assert result.stderr.startswith(f"warning: {bad}: not valid JSON")
    assert len(result.stderr.splitlines()) == 1
    assert "com.thetruth" in {t["package"] for t in json.loads(result.stdout)["threats"]}


@pytest.mark.usefixtures("_own_dirs")
def test_iocs_list_info_update(tmp_path: Path) -> None:
    listed = run("iocs", "list")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[0].startswith(
        "echap-stalkerware [bundled]  6713 indicators  licence: CC-BY-4.0  updated: 2026-06-21"
    )
    updated = run("iocs", "update", str(IOCS / "cert-der.stix2"), "--name", "mine")
    assert updated.exit_code == 0 and updated.stdout.startswith("installed mine at ")
    info = run("iocs", "info", "cert-der")
    assert info.exit_code == 0
    assert info.stdout.splitlines()[0].startswith(
        "cert-der [user]  1 indicators  licence: not stated"
    )
    assert "  app:cert.der: 1" in info.stdout.splitlines()
    as_json = json.loads(run("iocs", "list", "--json").stdout)
    assert [s["name"] for s in as_json["sets"]] == ["echap-stalkerware", "cert-der"]
    missing = run("iocs", "info", "nope")
    assert missing.exit_code == 2 and missing.stderr.startswith(
        "error: no indicator set named 'nope'"
    )
    refused = run("iocs", "update", str(tmp_path / "absent"))
    assert refused.exit_code == 2 and "no such indicator file or folder" in refused.stderr


def test_file_paths_by_mvt_prefix_rule(tmp_path: Path) -> None:
    """An indicator path matches every path it is a string prefix of: at a '/' it is certain,
    inside a name (MVT's startswith) probable; a path under another top folder is not compared."""
    collection = tmp_path / "aqf"
    collection.mkdir()
    (collection / "packages.json").write_text("[]", encoding="utf-8")
    listing = [{"path": "/data/local/tmp/spy/agent.bin"}, {"path": "/sdcard/Download/x"}]
    (collection / "files.json").write_text(json.dumps(listing), encoding="utf-8")
    index = _index(
        tmp_path,
        _stix(
            tmp_path,
            "[file:path='/data/local/tmp/spy/']",
            "[file:path='/data/local/tmp/sp']",
            "[file:path='/dat']",
            "[file:name='agent.bin']",
        ),
    )
    (threat,) = index.match(build_state(open_source(collection)))
    assert threat.package is None and threat.confidence is Confidence.CERTAIN
    assert sorted(m.indicator_id for m in threat.matches) == [
        "indicator--0",
        "indicator--1",
        "indicator--2",
        "indicator--3",
    ]
    assert {m.value for m in threat.matches} == {"/data/local/tmp/spy/agent.bin", "agent.bin"}
    weak = index.match(build_state(open_source(_write_listing(tmp_path, "/data/local/tmp/spx"))))
    assert [t.confidence for t in weak] == [Confidence.PROBABLE]  # only '/dat' and '…/sp'


def _write_listing(tmp_path: Path, path: str) -> Path:
    collection = tmp_path / "aqf2"
    collection.mkdir()
    (collection / "packages.json").write_text("[]", encoding="utf-8")
    (collection / "files.json").write_text(json.dumps([{"path": path}]), encoding="utf-8")
    return collection
