"""The compiled-pattern cache: a program read back from the file is the pattern ``re.compile``
makes (``Pattern.__eq__`` compares flags and the whole program), for every lazy pattern of the
package; a file that is damaged, of another interpreter, tampered with (a valid CRC over a
program ``_sre`` refuses), not a regular file or too large is never used; a folder that cannot
be written costs nothing."""

from __future__ import annotations

import json
import os
import re
from binascii import crc32
from pathlib import Path

import pytest

from handsetguard import lazyre, patterncache
from handsetguard.patterncache import cache_file, compile_pattern, save_programs

SAMPLES: list[tuple[str | bytes, int]] = [
    (r"(?P<key>\w+)=(\d+)", 0),
    (r"^(\w+)-(\d+)$", re.IGNORECASE | re.MULTILINE),
    (rb"(?:------ (?P<title>[^\n]{0,1024}?) ------|DUMP OF SERVICE (?P<s>[^\s:]{1,256}):)", 0),
    (rb"[\x80-\xff]", 0),
    ("[\\x00-\\x1f\u202a-\u202e\u2066-\u2069]", 0),
    (r"([A-Za-z][A-Za-z0-9_]{0,80}+(?:\(-?\d{1,9}+\))?): mode=([^\s;]{1,20})(.*)", 0),
    (r"(?<!past )signatures:\[([^\]]*)\]", re.ASCII),
]


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh cache state whose file is in tmp_path (as a new process would start)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    new_run(monkeypatch)
    path = cache_file()
    assert path is not None
    return Path(path)


def new_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patterncache, "_loaded", None)
    monkeypatch.setattr(patterncache, "_used", {})
    monkeypatch.setattr(patterncache, "_changed", False)


def counting_compile(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every re.compile the cache makes from here on."""
    calls: list[object] = []
    real = re.compile

    def counting(source: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(source)
        return real(source, flags)

    monkeypatch.setattr(re, "compile", counting)
    return calls


def test_a_saved_program_is_read_back_as_re_compile_makes_it(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for source, flags in SAMPLES:
        assert compile_pattern(source, flags) == re.compile(source, flags)
    save_programs()
    assert cache.name.startswith("patterns-") and cache.exists()
    assert cache.stat().st_mode & 0o077 == 0  # mkstemp's 0600
    new_run(monkeypatch)
    calls = counting_compile(monkeypatch)
    made = [compile_pattern(source, flags) for source, flags in SAMPLES]
    assert calls == []  # read from the file, not compiled
    for pattern, (source, flags) in zip(made, SAMPLES, strict=True):
        real = re.compile(source, flags)
        assert pattern == real
        assert (pattern.pattern, pattern.flags, pattern.groups, pattern.groupindex) == (
            real.pattern,
            real.flags,
            real.groups,
            real.groupindex,
        )
    match = compile_pattern(*SAMPLES[0]).search("x b=3")
    assert match is not None and match.group("key") == "b" and match.groups() == ("b", "3")


@pytest.mark.usefixtures("cache")
def test_every_lazy_pattern_of_the_package_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    """The package's own patterns (those lazy_compile hands to the cache): each, read back
    from the file, is the program re.compile makes."""
    import importlib
    import pkgutil

    import handsetguard

    patterns: list[tuple[str | bytes, int]] = []
    for info in pkgutil.walk_packages(handsetguard.__path__, "handsetguard."):
        if info.name.startswith(("handsetguard.server", "handsetguard.cli")):
            continue
        for value in vars(importlib.import_module(info.name)).values():
            candidates = value.values() if isinstance(value, dict) else [value]
            for each in candidates:
                items = each if isinstance(each, tuple) else (each,)
                patterns.extend(
                    (item.pattern, item._flags)
                    for item in items
                    if isinstance(item, lazyre._LazyPattern)
                )
    assert len(patterns) > 80
    for source, flags in patterns:
        compile_pattern(source, flags)
    save_programs()
    new_run(monkeypatch)
    calls = counting_compile(monkeypatch)
    made = [compile_pattern(source, flags) for source, flags in patterns]
    assert calls == []
    for pattern, (source, flags) in zip(made, patterns, strict=True):
        assert pattern == re.compile(source, flags), source


def _rewrite(path: Path, entries: list[list[object]], key: str | None = None) -> None:
    body = json.dumps(entries).encode()
    head = json.loads(path.read_bytes().partition(b"\n")[0])
    header = {"key": head["key"] if key is None else key, "crc": crc32(body)}
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)


def _entries(path: Path) -> list[list[object]]:
    loaded: list[list[object]] = json.loads(path.read_bytes().partition(b"\n")[2])
    return loaded


@pytest.mark.parametrize(
    "damage",
    ["crc", "key", "truncated", "tampered program", "wrong shape", "not json"],
)
def test_a_bad_file_is_not_used(cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    source, flags = SAMPLES[0]
    compile_pattern(source, flags)
    save_programs()
    data = cache.read_bytes()
    entries = _entries(cache)
    if damage == "crc":
        at = data.index(b'"', data.index(b"\n")) + 1  # the first pattern's first character
        cache.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    elif damage == "key":
        _rewrite(cache, entries, key="another interpreter")
    elif damage == "truncated":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "tampered program":
        # A valid CRC over a program that jumps out of itself: _sre's validation refuses it.
        code = entries[0][4]
        assert isinstance(code, str)
        entries[0][4] = "ffffffff" * (len(code) // 8)
        _rewrite(cache, entries)
    elif damage == "wrong shape":
        entries[0][4] = [1, 2, 3]
        entries.append(["x"])
        _rewrite(cache, entries)
    else:
        cache.write_bytes(b'{"key": 1}\n\xff\xfe')
    new_run(monkeypatch)
    calls = counting_compile(monkeypatch)
    made = compile_pattern(source, flags)
    assert calls == [source]  # compiled as re.compile does, the file not trusted
    assert made == re.compile(source, flags)
    save_programs()  # and the file is mended
    new_run(monkeypatch)
    calls.clear()
    assert compile_pattern(source, flags) == re.compile(source, flags) and calls == [source]
    calls.clear()
    new_run(monkeypatch)
    compile_pattern(source, flags)
    assert calls == []


def test_a_fifo_or_a_large_file_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.parent.mkdir(parents=True)
    os.mkfifo(cache)  # would block a plain open() for reading forever
    source, flags = SAMPLES[1]
    assert compile_pattern(source, flags) == re.compile(source, flags)
    os.unlink(cache)
    cache.write_bytes(b" " * (patterncache.MAX_FILE_BYTES + 1))
    new_run(monkeypatch)
    calls = counting_compile(monkeypatch)
    compile_pattern(source, flags)
    assert calls == [source]


@pytest.mark.usefixtures("cache")
def test_an_unwritable_folder_costs_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    compile_pattern(*SAMPLES[0])
    save_programs(str(blocker / "sub" / "patterns.json"))  # its folder cannot be made
    assert list(tmp_path.iterdir()) == [blocker]


def test_an_invalid_pattern_still_raises(cache: Path) -> None:
    with pytest.raises(re.error):
        compile_pattern(r"(unclosed")
    save_programs()
    assert not cache.exists()  # nothing new to keep


def test_no_home_means_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither $XDG_CACHE_HOME nor a home folder: nothing is read or written (never a folder
    relative to the working directory)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "relative-home")
    assert cache_file() is None
    new_run(monkeypatch)
    assert compile_pattern(*SAMPLES[0]) == re.compile(*SAMPLES[0])
    save_programs()
    assert list(tmp_path.iterdir()) == []
