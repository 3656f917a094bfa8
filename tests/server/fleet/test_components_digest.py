"""regressions.components_digest is the digest every stored report's components_sha256 was
taken with: written by orjson where that gives the same bytes, it must equal the standard
library's text for every document (else every unchanged phone's baseline would differ)."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest

from handsetguard.server.services.regressions import component_projection, components_digest
from tests.server.fleet.helpers import example_report


def _reference(document: dict[str, Any]) -> str:
    """The digest as first written (json.dumps of the same projection), for comparison."""
    projection = component_projection(document)
    text = json.dumps(projection, separators=(",", ":"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Pair:
    first: str
    second: str


class _Kind(StrEnum):
    SHA = "sha256"


def _with_listener(value: Any) -> dict[str, Any]:
    report = example_report()
    report["inventory"]["notification_listeners"] = {"reason": None, "items": [value]}
    return report


CASES = {
    "float with an exponent": 1e-05,
    "large float": 1e16,
    "plain float": 0.5,
    "negative integer": -3,
    "integer past 64 bits": 2**70,
    "non-ASCII": "com.exämple/.Listener",
    "DEL": "com.example/.Lis\x7ftener",
    "control characters": "a\x00b\x1fc\n\t",
    "lone surrogate": "a\ud800b",
    "unsorted keys": {"z": 1, "a": [None, True, False], "m": {"y": "1", "b": "2"}},
    "a float as a value": {"k": 1e-05},
    "a date": datetime(2026, 12, 2, tzinfo=UTC),
    "a dataclass": _Pair("a", "b"),
    "a str subclass": _Kind.SHA,
    "digits in text": "com.x:1,[2]",
    "deep": [[[[[["x"]]]]]],
}


@pytest.mark.parametrize("value", list(CASES.values()), ids=list(CASES))
def test_the_digest_is_the_standard_librarys(value: Any) -> None:
    report = _with_listener(value)
    assert components_digest(report) == _reference(report)


def test_the_example_and_odd_shapes_digest_as_before() -> None:
    report = example_report()
    assert components_digest(report) == _reference(report)
    signed = copy.deepcopy(report)
    signed["inventory"]["packages"]["items"][0]["signers"] = ["ä", 1.5e300]
    assert components_digest(signed) == _reference(signed)
    for odd in ({}, {"inventory": None}, {"inventory": {"packages": {"items": "x"}}}):
        assert components_digest(odd) == _reference(odd)


def test_a_genuine_report_is_written_by_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example (adb key fingerprints with ``:`` before digits, hex signers) and a
    listener named with digits take the fast path: the standard library is not asked."""
    from handsetguard.server.services import regressions

    expected = [_reference(example_report()), _reference(_with_listener("com.x9/.L:1"))]

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise AssertionError("json.dumps used")

    monkeypatch.setattr(regressions.json, "dumps", refuse)
    got = [components_digest(example_report()), components_digest(_with_listener("com.x9/.L:1"))]
    assert got == expected
