"""Reports of real corpus dumps as JSON documents (computed once per session), for the diff."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from handsetguard.engine import run_check
from handsetguard.report.json_report import render_json
from tests.conftest import ATV_BUGREPORT, PIXEL1_BUGREPORT, corpus_path

PIXEL1_81_BUGREPORT = (
    "device/google-pixel1-sailfish-android8.1-bugreport/"
    "bugreport-sailfish-OPM1.171019.021-2018-04-02-17-06-30.zip"
)
ANDROIDQF = "device/mvt-tests/androidqf"

Doc = dict[str, Any]


@functools.cache
def _rendered(relative: str) -> str:
    return render_json(run_check(corpus_path(relative)))


def report(relative: str) -> Doc:
    """A fresh copy of the JSON report of a corpus input (safe to modify)."""
    return copy.deepcopy(json.loads(_rendered(relative)))


__all__ = ["ANDROIDQF", "ATV_BUGREPORT", "PIXEL1_81_BUGREPORT", "PIXEL1_BUGREPORT", "report"]
