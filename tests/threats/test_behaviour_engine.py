"""Threats in the pipeline: the engine asks an indicator matcher (a fake at the protocol level)
and the behaviour score, orders the findings, caps the rating on a certain match, fails a gate
on any finding, and --safe-output leaves out what would alert whoever installed the app. All on
the bundled example (Android 14, KS-60) and the Android 14 planted fixture."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema

from handsetguard import threats as threats_module
from handsetguard.checks.model import EvidenceItem
from handsetguard.device import DeviceState
from handsetguard.engine import KNOWN_CHECKS, evaluate
from handsetguard.evidence import Evidence, Provenance, SourceKind
from handsetguard.gate import Verdict
from handsetguard.profiles.profile import Profile, load_profile
from handsetguard.profiles.rating import Level
from handsetguard.report.json_report import render_json
from handsetguard.sources import open_source
from handsetguard.state import build_state
from handsetguard.threats import Confidence, Match, Threat, ThreatKind
from handsetguard.threats.advice import SAFE_OUTPUT_CHECKS, SAFETY_ADVICE
from tests.cli_runner import invoke

FAMILY = "com.tracker.familylocator"
SCHEMA = json.loads(
    resources.files("handsetguard.report").joinpath("report.schema.json").read_text()
)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "behaviour"


def _example_evidence() -> Evidence:
    ref = resources.files("handsetguard.examples").joinpath("example-bugreport.txt")
    with resources.as_file(ref) as path:
        evidence = open_source(path)
    evidence.kind = SourceKind.EXAMPLE
    return evidence


def _state() -> DeviceState:
    return build_state(_example_evidence())


def _consumer() -> Profile:
    return load_profile("consumer", KNOWN_CHECKS)


def _match(package: str, confidence: Confidence, score: int = 100) -> Threat:
    where = Provenance("example-bugreport.txt", 381)
    return Threat(
        package,
        ThreatKind.INDICATOR,
        confidence,
        score,
        f"{package} is known stalkerware.",
        matches=(
            Match(
                "app:id",
                package,
                "echap",
                "indicator--1",
                "FamilySpy",
                "CC-BY-4.0",
                (EvidenceItem(f"Package [{package}]", where),),
            ),
        ),  # fmt: skip
    )


class FakeMatcher:
    """An IndicatorMatcher: what the engine asks of a compiled indicator set."""

    def __init__(self, found: list[Threat]) -> None:
        self.found = found
        self.asked: list[DeviceState] = []

    def match(self, state: DeviceState) -> list[Threat]:
        self.asked.append(state)
        return list(self.found)


def test_threats_are_ordered_most_serious_first() -> None:
    state = _state()
    matcher = FakeMatcher(
        [_match("net.probable.spy", Confidence.PROBABLE, 80), _match(FAMILY, Confidence.CERTAIN)]
    )
    report = evaluate(state, _consumer(), indicators=matcher)
    assert matcher.asked == [state]
    assert [(t.package, t.kind, t.confidence) for t in report.threats] == [
        (FAMILY, ThreatKind.INDICATOR, Confidence.CERTAIN),
        ("net.probable.spy", ThreatKind.INDICATOR, Confidence.PROBABLE),
        (FAMILY, ThreatKind.BEHAVIOUR, Confidence.HEURISTIC),
    ]
    assert report.advice == SAFETY_ADVICE


def test_behaviour_alone_without_indicators() -> None:
    report = evaluate(_state(), _consumer())
    assert [(t.package, t.kind, t.score) for t in report.threats] == [
        (FAMILY, ThreatKind.BEHAVIOUR, 100)
    ]
    # A behaviour finding does not cap the rating: FAIR 72 as before, capped by usb_debugging.
    assert (report.rating.level, report.rating.score) == (Level.FAIR, 72)
    assert report.rating.capped_by == ("usb_debugging",)


def test_a_certain_match_caps_the_rating_at_poor_and_says_so() -> None:
    certain = evaluate(
        _state(),
        _consumer(),
        indicators=FakeMatcher([_match(FAMILY, Confidence.CERTAIN)]),
    )
    assert certain.rating.level is Level.POOR
    assert certain.rating.capped_by == ("usb_debugging", f"threat:{FAMILY}")
    assert certain.rating.score is not None and certain.rating.score < 50
    probable = evaluate(
        _state(),
        _consumer(),
        indicators=FakeMatcher([_match(FAMILY, Confidence.PROBABLE, 80)]),
    )
    assert probable.rating.level is Level.FAIR  # only a certain match caps


def test_an_indicator_match_fails_a_gate_with_its_summary() -> None:
    report = evaluate(
        _state(),
        _consumer(),
        fail_on="fail",
        indicators=FakeMatcher([_match("net.other.spy", Confidence.PROBABLE, 80)]),
    )
    gate = report.gate
    assert gate is not None and gate.verdict is Verdict.FAIL
    # The behaviour finding fails it too; each package once, after the failing checks.
    assert gate.failing[-2:] == ("threat:net.other.spy", f"threat:{FAMILY}")
    assert gate.reasons[-2] == "threat:net.other.spy: net.other.spy is known stalkerware."
    assert gate.reasons[-1].startswith(f"threat:{FAMILY}: This app can read your screen")


def test_a_behaviour_finding_alone_fails_the_gate_and_the_verdict_line(tmp_path: Path) -> None:
    """Android 14 planted fixture under a profile with every check disabled: nothing but the
    stalkerware-like app can fail the one-line verdict, and it does."""
    profile = tmp_path / "no-checks.toml"
    profile.write_text(
        'name = "no-checks"\n'
        + "".join(f"[checks.{check}]\nenabled = false\n" for check in sorted(KNOWN_CHECKS))
    )
    source = str(FIXTURES / "atv14_planted.txt")
    code, out, err = invoke("check", source, "--format", "verdict", "--profile", str(profile))
    assert (code, out, err) == (
        3,
        "FAIL - - threat:com.android.sys.update\n",
        "gate: threat:com.android.sys.update\n",
    )


def test_safe_output_leaves_out_advice_and_fix_lines() -> None:
    normal = evaluate(_state(), _consumer())
    safe = evaluate(_state(), _consumer(), safe_output=True)
    assert safe.threats == normal.threats and safe.safe_output
    assert safe.advice == () and normal.advice == SAFETY_ADVICE
    fixes = {r.id: r.remediation for r in normal.checks}
    assert all(fixes[c] for c in SAFE_OUTPUT_CHECKS if c in fixes)  # they exist normally
    for result in safe.checks:
        if result.id in SAFE_OUTPUT_CHECKS:
            assert result.remediation == "", result.id
        else:
            assert result.remediation == fixes[result.id]
    for fmt in ("text", "md", "html"):
        code, out, _ = invoke("check", "--example", "--safe-output", "--format", fmt)
        assert code == 0
        assert "Possible spyware or stalkerware" not in out and "Apps that need a closer" in out
        for advice in SAFETY_ADVICE:
            assert advice[:40] not in " ".join(out.split()), (fmt, advice)
        assert "Remove device admin apps" not in out and "uninstall any" not in out


def test_json_threats_follow_the_schema() -> None:
    report = evaluate(
        _state(),
        _consumer(),
        indicators=FakeMatcher([_match(FAMILY, Confidence.CERTAIN)]),
    )
    data = json.loads(render_json(report))
    jsonschema.validate(data, SCHEMA)
    first, second = data["threats"]
    assert first["kind"] == "indicator" and first["matches"][0] == {
        "type": "app:id",
        "value": FAMILY,
        "set": "echap",
        "indicator_id": "indicator--1",
        "name": "FamilySpy",
        "licence": "CC-BY-4.0",
        "evidence": [{"fact": f"Package [{FAMILY}]", "location": "example-bugreport.txt:381"}],
    }
    assert second["kind"] == "behaviour" and second["confidence"] == "heuristic"
    assert second["reasons"][0] == {
        "code": "accessibility",
        "text": "can read everything on your screen and act for you (an accessibility service)",
        "weight": 25,
        "evidence": [
            {
                "fact": "accessibility service enabled: "
                f"{FAMILY}/{FAMILY}.SyncAccessibilityService",
                "location": "example-bugreport.txt:75",
            }
        ],
    }
    assert second["advice"] == list(SAFETY_ADVICE) and data["safe_output"] is False


def test_exported_names_are_pinned() -> None:
    assert sorted(threats_module.__all__) == [
        "Confidence",
        "IndicatorMatcher",
        "Match",
        "Reason",
        "Threat",
        "ThreatKind",
        "behaviour_threats",
    ]
