"""The streaming index finds marker lines by substring search, then the marker pattern where
it lands (sources/stream.py _line_markers): the same matches, in the same order, as the
newline-anchored pattern of sources/dumpstate.py scanning the whole region."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handsetguard.sources.dumpstate import _MARKER
from handsetguard.sources.stream import _line_markers

_PIECES = [
    b"\n",
    b"\r\n",
    b"------ SYSTEM LOG (logcat -v threadtime) ------",
    b"------ 0.01s was the duration of 'SYSTEM LOG' ------",
    b"--------- 0.002s was the duration of dumpsys package, ending at: 2019-08-15 15:08:46",
    b"-" * 79,
    b"-" * 78,
    b"------",
    b"------ ",
    b" ------",
    b"DUMP OF SERVICE package:",
    b"DUMP OF SERVICE CRITICAL window:",
    b"DUMP OF SERVICE ",
    b"DUMP OF SERVICE a b:",
    b"D",
    b"-",
    b"x" * 5,
    b"------ " + b"t" * 1100 + b" ------",
]


def _both(buf: bytearray, stop: int) -> tuple[list[tuple[int, int, tuple[bytes | None, ...]]], ...]:
    pattern = [(m.start() + 1, m.end(), m.groups()) for m in _MARKER.finditer(buf, 0, stop)]
    searched = [(m.start(), m.end(), m.groups()) for m in _line_markers(buf, stop)]
    return pattern, searched


@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.integers(min_value=0, max_value=64))
def test_the_same_markers_as_the_pattern(pieces: list[bytes], cut: int) -> None:
    buf = bytearray(b"".join(pieces))
    for stop in (len(buf), max(0, len(buf) - cut)):
        pattern, searched = _both(buf, stop)
        assert searched == pattern


def test_a_real_layout() -> None:
    text = (
        b"== dumpstate: 2019-08-15 15:08:46\n"
        b"------ DUMPSYS (/system/bin/dumpsys) ------\n"
        b"-------------------------------------------------------------------------------\n"
        b"DUMP OF SERVICE package:\n  Packages:\n"
        b"--------- 0.5s was the duration of dumpsys package, ending at: 2019-08-15 15:08:47\r\n"
        b"------ 1.2s was the duration of 'DUMPSYS' ------"
    )
    pattern, searched = _both(bytearray(text), len(text))
    assert len(searched) == 5
    assert searched == pattern
