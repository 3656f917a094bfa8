"""The package dump's two readers given the dump's lines by their caller (state.py splits the
dump once for both): the same records as each splitting the text itself, the list unchanged."""

from __future__ import annotations

import pytest

from handsetguard.parsers.dumpsys_package import parse_dumpsys_package
from handsetguard.parsers.package_components import parse_package_components
from handsetguard.parsers.values import split_lines
from handsetguard.sources import open_source
from tests.conftest import ATV_BUGREPORT, PIXEL1_BUGREPORT, corpus_path

MEIZU = "device/meizu-mx6-android7.1-bugreport/bugreport.zip"  # Android 7.1, Chinese text in it


@pytest.mark.parametrize("relative", [ATV_BUGREPORT, PIXEL1_BUGREPORT, MEIZU])
def test_given_lines_same_records(relative: str) -> None:
    section = open_source(corpus_path(relative)).get("dumpsys:package")
    assert section is not None
    text = section.text
    lines = split_lines(text)
    before = list(lines)
    assert parse_dumpsys_package(text, lines) == parse_dumpsys_package(text)
    assert parse_package_components(text, lines) == parse_package_components(text)
    assert lines == before


def test_given_lines_are_what_is_read() -> None:
    """The readers use the lines they are given (a caller passes the text's own split)."""
    text = "Packages:\n  Package [com.a] (1):\n    userId=10001\n"
    other = split_lines(text.replace("com.a", "com.b"))
    assert [p.name for p in parse_dumpsys_package(text, other).packages] == ["com.b"]
    assert list(parse_package_components(text, other).packages) == ["com.b"]
