"""decode_slice: a slice of the raw bytes as text (UTF-8, a few bad bytes replaced, Latin-1
when the slice is not UTF-8 at all, CRLF as LF), from bytes or a kept section's bytearray."""

from __future__ import annotations

import pytest

from handsetguard.textcodec import decode_slice


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
