"""The help formatter takes the terminal width by shutil's rule without importing shutil: the
same width as argparse's own for every $COLUMNS (unset, a number, junk, zero, negative)."""

from __future__ import annotations

import argparse

import pytest

from handsetguard.cli.common import HelpFormatter


@pytest.mark.parametrize("columns", [None, "100", "41", "abc", "0", "-5", ""])
def test_the_width_is_argparse_s(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    ours, theirs = HelpFormatter("handsetguard"), argparse.HelpFormatter("handsetguard")
    assert (ours._width, ours._max_help_position) == (theirs._width, theirs._max_help_position)
    assert HelpFormatter("handsetguard", width=50)._width == 50
