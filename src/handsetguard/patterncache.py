"""The compiled programs of the engine's own regular expressions, kept between runs.

Compiling a pattern is pure Python in CPython (``re._parser`` builds a tree, ``re._compiler``
turns it into the program ``_sre`` runs): the 50-60 patterns a check uses cost ~26 M
instructions, 8% of ``check --example`` (callgrind). Only the last step, ``_sre.compile``, is
C. This module keeps each program (the list of integers ``re._compiler`` makes, with its
group names) in a JSON file in the user's cache folder, keyed by the exact interpreter, and
hands it straight to ``_sre.compile`` on the next run.

What it takes and trusts: only patterns written in this package (:func:`lazyre.lazy_compile`'s
module-level literals; never text from an input or an indicator file). A program is made by
the same steps as ``re.compile`` and kept only when ``_sre`` holds it equal to what
``re.compile`` returns (``Pattern.__eq__`` compares the flags and the whole program), so a
changed ``re`` in some interpreter is never copied wrong. The file is the user's own, like the
indicator cache beside it: one that is missing, of another interpreter, damaged (a CRC-32 over
it), of the wrong shape, or that ``_sre``'s own validation of a program refuses, is ignored
entry by entry and the pattern compiled as ``re.compile`` would; nothing in it is executed as
Python (JSON, never pickle or marshal).
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from binascii import crc32
from collections.abc import Mapping

from handsetguard.userdirs import user_folder

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import Any, Literal

__all__ = ["MAX_FILE_BYTES", "cache_file", "compile_pattern", "save_programs"]

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest cache file read (the package's ~120 patterns make ~40 KB)."""
MAX_ENTRIES = 1024
"""Past this many programs (patterns of older versions pile up), only those this run used are
written back."""

# A C unsigned int: _sre's code word (SRE_CODE) on every CPython platform.
_CODE_FORMAT: Literal["I"] = "I"
try:
    import _sre  # type: ignore[import-not-found]  # CPython's regex engine (no stubs)
    from re import _compiler, _parser  # type: ignore[attr-defined]

    # The whole version string (codegen may change in a bugfix release), the code word's size
    # and byte order (a home folder shared between machines).
    _KEY: str | None = f"{sys.version} {_sre.MAGIC} {_sre.CODESIZE} {sys.byteorder}"
    if memoryview(bytes(_sre.CODESIZE)).cast(_CODE_FORMAT).itemsize != _sre.CODESIZE:
        _KEY = None  # pragma: no cover
except ImportError:  # pragma: no cover - not CPython: plain re.compile
    _KEY = None

_Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]
_loaded: dict[tuple[bool, str, int], list[Any]] | None = None  # as read, checked on use
_used: dict[tuple[bool, str, int], list[Any]] = {}  # this run's, as they will be written
_changed = False


def cache_file(env: Mapping[str, str] | None = None) -> str | None:
    """The cache file: ``$XDG_CACHE_HOME/handsetguard/patterns-<tag>.json`` (else ``~/.cache``),
    as the indicator cache's folder is chosen; None (no cache) when neither gives an absolute
    folder (no home: never a folder relative to where the command runs)."""
    folder = user_folder("XDG_CACHE_HOME", ".cache", os.environ if env is None else env)
    if folder is None:
        return None
    # One file per interpreter build (the key's CRC-32 in the name): two Pythons in turn do
    # not rewrite each other's.
    name = f"patterns-{sys.implementation.cache_tag}-{crc32((_KEY or '').encode()):08x}.json"
    return os.path.join(folder, name)


def _read(path: str) -> bytes | None:
    """The file's bytes if it is a regular file of at most MAX_FILE_BYTES (a FIFO never blocks
    the run: opened non-blocking, refused by its type)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _load(path: str | None) -> dict[tuple[bool, str, int], list[Any]]:
    data = None if path is None else _read(path)
    if data is None or _KEY is None:
        return {}
    header, _, body = data.partition(b"\n")
    try:
        head = json.loads(header)
        if head != {"key": _KEY, "crc": crc32(body)}:
            return {}
        entries = json.loads(body)
    except ValueError:  # JSON or UTF-8 (UnicodeDecodeError is a ValueError)
        return {}
    if not isinstance(entries, list):
        return {}
    table = {}
    for entry in entries:
        if (
            isinstance(entry, list)
            and len(entry) == 8
            and isinstance(entry[0], bool)
            and isinstance(entry[1], str)
            and type(entry[2]) is int
        ):
            table[entry[0], entry[1], entry[2]] = entry
    return table


def _from_entry(entry: list[Any]) -> re.Pattern[Any] | None:
    """The pattern an entry holds, or None when it is not a program ``_sre`` accepts."""
    is_bytes, text, _flags, final, code_hex, groups, groupindex, indexgroup = entry
    if not (
        type(final) is int
        and isinstance(code_hex, str)
        and type(groups) is int
        and isinstance(groupindex, dict)
        and all(type(n) is int for n in groupindex.values())
        and isinstance(indexgroup, list)
        and all(name is None or isinstance(name, str) for name in indexgroup)
    ):
        return None
    try:
        code = _code_of(code_hex)
        source = text.encode("latin-1") if is_bytes else text
        # _sre validates the program (RuntimeError "invalid SRE code") before it is used.
        made: re.Pattern[Any] = _sre.compile(
            source, final, code, groups, groupindex, tuple(indexgroup)
        )
    except (RuntimeError, TypeError, ValueError, OverflowError):  # UnicodeError is a ValueError
        return None
    return made


def _code_of(code_hex: str) -> list[int]:
    """The program's integers from their hex text (native-order code words: a JSON list of
    numbers costs ~800 instructions per number to decode, this a few)."""
    with memoryview(bytes.fromhex(code_hex)) as raw, raw.cast(_CODE_FORMAT) as words:
        code: list[int] = words.tolist()
    return code


def _hex_of(code: list[int]) -> str:
    return b"".join(op.to_bytes(_sre.CODESIZE, sys.byteorder) for op in code).hex()


def _program(source: str | bytes, flags: int) -> _Program:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` for ``source``."""
    tree = _parser.parse(source, flags)
    code = [int(op) for op in _compiler._code(tree, flags)]  # opcodes are int subclasses
    groupindex = dict(tree.state.groupdict)
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    return int(flags | tree.state.flags), code, tree.state.groups - 1, groupindex, tuple(indexgroup)


def compile_pattern(source: str | bytes, flags: int = 0) -> re.Pattern[Any]:
    """``re.compile(source, flags)``, from the cached program when there is a usable one.

    For the package's own literal patterns only (see the module docstring)."""
    global _loaded, _changed
    flags = int(flags)
    if _KEY is None or flags & re.DEBUG:
        return re.compile(source, flags)
    is_bytes = isinstance(source, bytes)
    key = (is_bytes, source.decode("latin-1") if isinstance(source, bytes) else source, flags)
    if _loaded is None:
        _loaded = _load(cache_file())
    entry = _loaded.get(key)
    if entry is not None:
        made = _from_entry(entry)
        if made is not None:
            _used[key] = entry
            return made
    compiled = re.compile(source, flags)  # raises re.error for an invalid pattern, as before
    try:
        final, code, groups, groupindex, indexgroup = _program(source, flags)
        made = _sre.compile(source, final, code, groups, groupindex, indexgroup)
    except (re.error, RuntimeError, TypeError, ValueError, OverflowError, AttributeError):
        return compiled
    if made == compiled:  # the same flags and program: safe to keep
        _used[key] = [*key, final, _hex_of(code), groups, groupindex, list(indexgroup)]
        _changed = True
    return compiled


def save_programs(path: str | None = None) -> None:
    """Write the programs compiled this run into the cache file, if any was new (atomically:
    a temporary file beside it, then a rename; a folder that cannot be written is left)."""
    global _changed
    if not _changed or _KEY is None:
        return
    target = cache_file() if path is None else path
    if target is None:
        return
    kept = dict(_loaded or {})
    if len(kept) + len(_used) > MAX_ENTRIES:
        kept = {}
    kept.update(_used)
    body = json.dumps(list(kept.values()), separators=(",", ":")).encode("ascii")
    header = json.dumps({"key": _KEY, "crc": crc32(body)}).encode("ascii")
    from handsetguard.atomicfile import replace_file  # only when the file is (re)written

    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        replace_file(target, header + b"\n" + body, durable=False)
        _changed = False
    except OSError:
        pass
