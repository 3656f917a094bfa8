"""The real Android 7.1 (Meizu MX6), 8.1 (Pixel 1 retail) and 9 (emulator) bugreports of the
shared corpus, opened once per test session; each test skips when the corpus is absent."""

from __future__ import annotations

import zipfile
from functools import cache

from handsetguard.device import DeviceState
from handsetguard.evidence import Evidence, Section
from handsetguard.sources import open_source
from handsetguard.sources.bugreport import find_main_entry
from handsetguard.state import build_state
from tests.conftest import corpus_path

MEIZU_MX6_ANDROID7 = "device/meizu-mx6-android7.1-bugreport/bugreport.zip"
PIXEL1_ANDROID8 = (
    "device/google-pixel1-sailfish-android8.1-bugreport/"
    "bugreport-sailfish-OPM1.171019.021-2018-04-02-17-06-30.zip"
)
EMULATOR_ANDROID9 = "device/emulator-sdkgphone-x86-android9-bugreport/bugreport.zip"

MEIZU_TEXT = "bugreport.zip!bugreport-NMF26O-2018-05-10-20-50-17.txt"
PIXEL_TEXT = (
    "bugreport-sailfish-OPM1.171019.021-2018-04-02-17-06-30.zip!"
    "bugreport-sailfish-OPM1.171019.021-2018-04-02-17-06-30.txt"
)
EMULATOR_TEXT = "bugreport.zip!bugreport-sdk_gphone_x86-PSR1.180720.075-2019-08-15-15-08-46.txt"


@cache
def evidence(relative: str) -> Evidence:
    return open_source(corpus_path(relative))


@cache
def _state(relative: str) -> DeviceState:
    return build_state(evidence(relative))


def state(relative: str) -> DeviceState:
    return _state(relative)


def section(relative: str, name: str) -> Section:
    found = evidence(relative).get(name)
    assert found is not None, f"{relative}: no {name} section"
    return found


@cache
def _lines(relative: str) -> list[bytes]:
    # The main text itself: the evidence keeps only the sections the checks read.
    with zipfile.ZipFile(corpus_path(relative)) as archive:
        info = find_main_entry(archive, relative)
        assert info is not None
        return archive.read(info).split(b"\n")


def line_of(relative: str, number: int) -> str:
    """Line ``number`` (1-based) of the bugreport's main text, for checking provenance."""
    return _lines(relative)[number - 1].rstrip(b"\r").decode("utf-8", "replace")
