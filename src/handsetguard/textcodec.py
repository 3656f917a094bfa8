"""Decoding of raw device output: UTF-8 first, UTF-16 when a BOM says so, Latin-1 as the fallback.

Dumps mix text with binary (ABX keystores inside ``dumpsys adb``), so a few undecodable bytes in
otherwise UTF-8 text are replaced rather than turning the whole slice into Latin-1 mojibake.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterable, Iterator

__all__ = ["Blob", "decode_lines", "decode_slice", "normalise_bytes", "split_lines", "utf8_chunks"]

Blob = bytes | bytearray
"""Raw file contents: bytes, or the bytearray a zip member is read into."""

# More than this share of undecodable bytes means the slice is not UTF-8 at all.
_MAX_BAD_UTF8_RATIO = 0.01
_TRANSCODE_CHUNK = 4 * 1024 * 1024
_LINES_PIECE = 64 * 1024  # decode_lines's pieces


def normalise_bytes(data: Blob) -> Blob:
    """Return ``data`` as UTF-8-or-compatible bytes: UTF-16 with a BOM is transcoded, a UTF-8 BOM
    dropped; CRLF is left alone (every parser and the section index accept ``\\r\\n``)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # In chunks: the whole text as a str and then as UTF-8 would be three copies at once.
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        view = memoryview(data)
        out = bytearray()
        for pos in range(0, len(data), _TRANSCODE_CHUNK):
            out += decoder.decode(view[pos : pos + _TRANSCODE_CHUNK]).encode("utf-8")
        out += decoder.decode(b"", final=True).encode("utf-8")
        return out
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :]
    return data


def utf8_chunks(chunks: Iterable[Blob]) -> Iterator[Blob]:
    """:func:`normalise_bytes` on a text read in chunks: the same bytes, chunk by chunk (UTF-16
    with a BOM transcoded as it streams, a UTF-8 BOM dropped)."""
    rest = iter(chunks)
    first = bytearray()
    for chunk in rest:
        first += chunk
        if len(first) >= len(codecs.BOM_UTF8):
            break
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        for chunk in itertools.chain((first,), rest):
            if out := decoder.decode(chunk).encode("utf-8"):
                yield out
        if out := decoder.decode(b"", final=True).encode("utf-8"):
            yield out
        return
    if first.startswith(codecs.BOM_UTF8):
        del first[: len(codecs.BOM_UTF8)]
    if first:
        yield first
    yield from rest


def decode_slice(data: Blob, start: int, end: int) -> str:
    """Decode ``data[start:end]`` as text; line endings are normalised to ``\\n``."""
    # Decoded through a view: slicing a bytearray (a kept section) would copy it first.
    with memoryview(data) as view, view[start:end] as chunk:
        try:
            text = str(chunk, "utf-8")
        except UnicodeDecodeError:
            text = str(chunk, "utf-8", "replace")
            if text.count("\ufffd") > max(16, len(text) * _MAX_BAD_UTF8_RATIO):
                text = str(chunk, "latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, each without a trailing ``\\r``. The common case, a text with no
    ``\\r`` at all (sections decode ``\\r\\n`` to ``\\n``), is one split, not a copy per line."""
    lines = text.split("\n")
    return lines if "\r" not in text else [line.rstrip("\r") for line in lines]


def decode_lines(data: Blob, start: int, end: int, piece: int = _LINES_PIECE) -> list[str]:
    """``split_lines(decode_slice(data, start, end))``, decoded a newline-aligned piece (of
    ``piece`` bytes, then to the next newline) at a time, never as one text. A str is as
    wide as its widest character: a few characters beyond Latin-1 (app labels in Devanagari
    or CJK in ``dumpsys package``) make a whole text two or four bytes a character, and its
    decoding, its split and every scan of it that much slower (the Meizu MX6's 2.2 MB package
    dump: 6.5 MB of pages touched for the text, against 1 MB of lines). Each line is the same
    str either way (a split gives every line the width of its own characters). A UTF-8
    sequence never holds a newline byte, so the pieces decode as the whole does; a slice
    holding ``\\r`` or that is not valid UTF-8 is decoded whole, by decode_slice's rules."""
    if data.find(b"\r", start, end) >= 0:
        return split_lines(decode_slice(data, start, end))
    lines: list[str] = []
    with memoryview(data) as view:
        pos = start
        while True:
            newline = data.find(b"\n", min(pos + piece, end), end)
            stop = end if newline < 0 else newline
            with view[pos:stop] as chunk:
                try:
                    lines += str(chunk, "utf-8").split("\n")
                except UnicodeDecodeError:
                    return split_lines(decode_slice(data, start, end))
            if newline < 0:
                return lines
            pos = newline + 1
