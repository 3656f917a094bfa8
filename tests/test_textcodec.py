"""decode_slice: a slice of the raw bytes as text (UTF-8, a few bad bytes replaced, Latin-1
when the slice is not UTF-8 at all, CRLF as LF), from bytes or a kept section's bytearray; and
decode_lines, the same text's lines decoded a piece at a time."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.textcodec import decode_lines, decode_slice, split_lines


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_a_slice_in_the_middle(kind: type[bytes] | type[bytearray]) -> None:
    data = kind("head\r\n[ro.product.model]: [Pixel ä]\r\ntail".encode())
    start = data.index(b"[")
    end = data.index(b"tail")
    assert decode_slice(data, start, end) == "[ro.product.model]: [Pixel ä]\n"
    assert decode_slice(data, 0, len(data) + 10) == "head\n[ro.product.model]: [Pixel ä]\ntail"


def test_a_few_bad_bytes_are_replaced_and_latin1_text_read_as_such() -> None:
    mostly_utf8 = bytearray(b"x" * 2000 + b"\xff" + "é".encode())
    assert decode_slice(mostly_utf8, 1990, len(mostly_utf8)) == "x" * 10 + "\ufffdé"
    latin1 = bytearray("usér è à ".encode("latin-1") * 10)
    assert decode_slice(latin1, 0, len(latin1)) == "usér è à " * 10


def test_the_input_can_still_grow_after_a_decode() -> None:
    """The view the text is decoded through is released: the bytearray is not locked."""
    data = bytearray(b"abc\n")
    assert decode_slice(data, 0, 4) == "abc\n"
    data += b"more"
    del data[:2]
    assert data == b"c\nmore"


# decode_lines: the lines of decode_slice's text, decoded a newline-aligned piece at a time.

_PIECES = [
    b"a",
    b"Package [com.x]:",
    b"\n",
    b"\r",
    b"\r\n",
    b" ",
    "é".encode(),
    "मराठी".encode(),
    "应用".encode(),
    "🙂".encode(),
    b"\xff",
    b"\xe0\xa4",  # a cut UTF-8 sequence
    "\u2028".encode(),
    b"\x1c",
]


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_PIECES), max_size=40),
    piece=st.integers(1, 9),
    cut=st.tuples(st.integers(0, 8), st.integers(0, 8)),
    kind=st.sampled_from([bytes, bytearray]),
)
def test_decode_lines_are_the_lines_of_the_decoded_slice(
    parts: list[bytes],
    piece: int,
    cut: tuple[int, int],
    kind: type[bytes] | type[bytearray],
) -> None:
    """Pieces of a few bytes, so that every piece boundary meets a newline, a wide
    character, a bad byte or a CR somewhere; a slice anywhere in the data."""
    data = kind(b"".join(parts))
    start, end = min(cut[0], len(data)), max(len(data) - cut[1], 0)
    assert decode_lines(data, start, end, piece) == split_lines(decode_slice(data, start, end))


def test_decode_lines_of_a_wide_text_are_each_as_narrow_as_their_own_characters() -> None:
    data = bytearray(("x" * 100 + "\n") * 2000 + "应用\n" + ("y" * 100 + "\n") * 2000, "utf-8")
    lines = decode_lines(data, 0, len(data))
    assert lines == decode_slice(data, 0, len(data)).split("\n")
    assert lines[0].isascii() and lines[-2].isascii() and lines[2000] == "应用"
    assert sys.getsizeof(lines[0]) == sys.getsizeof("x" * 100)  # one byte a character


def test_section_lines_are_its_text_lines_and_leave_it_readable() -> None:
    from handsetguard.evidence import Provenance, Section

    raw = "Packages:\n  Package [com.例子] (1):\n    userId=10001\n".encode()
    section = Section("dumpsys:package", Provenance("bugreport.txt", 3), bytearray(raw), owned=True)
    assert section.lines() == ["Packages:", "  Package [com.例子] (1):", "    userId=10001", ""]
    assert section.data == raw  # not decoded (and let go) for its lines
    assert section.text == raw.decode()
    assert section.lines() == section.text.split("\n")  # from the text once it is decoded
