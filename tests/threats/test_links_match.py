"""Domain, URL and IPv4 indicators against the links a phone's dumps carry (SMS of an AndroidQF
backup, intents' data in dumpsys activity/shortcut), and file paths against a bugreport's FS/
tree — on real corpus inputs."""

from __future__ import annotations

import json
from pathlib import Path

from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats.indicators import Places, load_indicators
from handsetguard.threats.model import Confidence, Threat
from tests.cli_runner import run
from tests.conftest import corpus_path
from tests.threats.stix import write_stix

SMS_MEMBER = "apps/com.android.providers.telephony/d_f/000000_sms_backup"
PIXEL_81 = "device/google-pixel1-sailfish-android8.1-bugreport"
EMULATOR_9 = "device/emulator-sdkgphone-x86-android9-bugreport/bugreport.zip"
AOSP_10 = "device/google-pixel1-sailfish-aosp10-bugreport"


def _match(tmp_path: Path, source: Path, *patterns: str) -> list[Threat]:
    stix = write_stix(tmp_path / "set.stix2", *(f"[{p}]" for p in patterns), family="TestSpy")
    index = load_indicators([stix], places=Places(tmp_path / "data", None), env={}, bundled=False)
    return index.match(build_state(open_source(source)))


def _zip(relative: str) -> Path:
    folder = corpus_path(relative)
    return folder if folder.is_file() else sorted(folder.glob("*.zip"))[0]


def test_sms_link_as_mvt_reports_it(tmp_path: Path) -> None:
    """MVT 2026.10.26 `check-androidqf -i` with a domain-name indicator google.com (the value
    MVT's own SMS test plants) on device/mvt-tests/androidqf: one CRITICAL alert of its sms
    module, "Found a known suspicious domain https://google.com/ matching indicator
    "google.com"". We report it as a certain link finding at the message."""
    source = corpus_path("device/mvt-tests/androidqf")
    [threat] = _match(tmp_path, source, "domain-name:value = 'google.com'")
    assert (threat.package, threat.confidence) == (None, Confidence.CERTAIN)
    assert threat.summary == (
        "A link to servers of known spyware (TestSpy) is on the phone: "
        "SMS from 06543219: https://google.com/"
    )
    [match] = threat.matches
    assert (match.type, match.value) == ("domain-name:value", "google.com")
    assert [str(e.location) for e in match.evidence] == [f"androidqf/backup.ab!{SMS_MEMBER}:1"]


def test_url_indicator_matches_however_it_is_spelled(tmp_path: Path) -> None:
    """The Android 9 emulator opened https://github.com/jeanboydev (dumpsys activity)."""
    threats = _match(
        tmp_path, corpus_path(EMULATOR_9), "url:value = 'HTTPS://GitHub.com:443/jeanboydev'"
    )
    [threat] = threats
    [match] = threat.matches
    assert (match.type, match.value, threat.confidence) == (
        "url:value",
        "https://github.com/jeanboydev",
        Confidence.CERTAIN,
    )
    location = str(match.evidence[0].location)
    assert location.startswith("bugreport.zip!bugreport-sdk_gphone_x86-") and location.endswith(
        ".txt:78345"
    )


def test_parent_domain_is_probable_and_names_the_host(tmp_path: Path) -> None:
    """Pixel 1 Android 8.1: shipment-tracking links of www.amazon.com in recents' intents."""
    [threat] = _match(tmp_path, _zip(PIXEL_81), "domain-name:value = 'amazon.com'")
    assert threat.confidence is Confidence.PROBABLE
    assert threat.summary.startswith("A link possibly to servers of known spyware (TestSpy)")
    [match] = threat.matches
    assert match.value == "www.amazon.com"
    assert "(under amazon.com)" in match.evidence[0].fact


def test_exact_host_is_certain(tmp_path: Path) -> None:
    [threat] = _match(tmp_path, _zip(PIXEL_81), "domain-name:value = 'www.amazon.com'")
    assert threat.confidence is Confidence.CERTAIN


def test_provider_authorities_are_not_domains(tmp_path: Path) -> None:
    """content://com.android.contacts/contacts is in the AOSP 10 dump: no domain match."""
    threats = _match(tmp_path, _zip(AOSP_10), "domain-name:value = 'com.android.contacts'")
    assert [m.type for t in threats for m in t.matches] == []


def test_bugreport_fs_paths_match_file_path_indicators(tmp_path: Path) -> None:
    threats = _match(tmp_path, _zip(PIXEL_81), "file:path = '/data/misc/recovery/last_kmsg'")
    [threat] = threats
    [match] = threat.matches
    assert (match.type, match.value, threat.confidence) == (
        "file:path",
        "/data/misc/recovery/last_kmsg",
        Confidence.CERTAIN,
    )
    assert str(match.evidence[0].location).endswith(".zip!FS/")


def test_no_link_finding_without_a_link_indicator(tmp_path: Path) -> None:
    assert _match(tmp_path, _zip(PIXEL_81), "app:id = 'com.example.absent'") == []


def test_report_counts_traces_not_apps(tmp_path: Path) -> None:
    stix = write_stix(
        tmp_path / "set.stix2", "[domain-name:value = 'google.com']", family="TestSpy"
    )
    source = str(corpus_path("device/mvt-tests/androidqf"))
    report = json.loads(run("check", source, "--iocs", str(stix), "--format", "json").stdout)
    [threat] = report["threats"]
    assert threat["package"] is None and threat["confidence"] == "certain"
    assert report["rating"]["level"] == "poor"  # a certain indicator match caps the rating
    text = " ".join(run("check", source, "--iocs", str(stix)).stdout.split())
    assert "1 trace on this phone matches known spyware or stalkerware." in text
    assert "1 app on this phone" not in text
