"""``lazy_compile``: nothing compiled at import, then exactly ``re.compile``'s pattern; and every
module-level lazy pattern of the package compiles (an invalid one would otherwise surface only
when an input first needs it)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import handsetguard
from handsetguard import lazyre
from handsetguard.lazyre import lazy_compile


def test_nothing_is_compiled_until_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[object] = []
    real = re.compile

    def counting(source: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(source)
        return real(source, flags)

    monkeypatch.setattr(re, "compile", counting)  # the module lazyre calls
    pattern = lazy_compile(r"(?P<key>\w+)=(\d+)", re.ASCII)
    assert pattern.pattern == r"(?P<key>\w+)=(\d+)" and compiled == []
    match = pattern.fullmatch("a=12")
    assert match is not None and match.groups() == ("a", "12") and compiled == [pattern.pattern]
    assert pattern.search("x b=3").group("key") == "b"  # type: ignore[union-attr]
    assert len(compiled) == 1  # compiled once, then its methods are read from the slots


@pytest.mark.parametrize("flags", [0, re.IGNORECASE | re.MULTILINE])
def test_it_behaves_as_the_compiled_pattern(flags: int) -> None:
    source = r"^(\w+)-(\d+)$"
    lazy, real = lazy_compile(source, flags), re.compile(source, flags)
    text = "Ab-1\nab-22\nno"
    assert [m.groups() for m in lazy.finditer(text)] == [m.groups() for m in real.finditer(text)]
    assert lazy.findall(text) == real.findall(text)
    assert lazy.sub(r"\2", text) == real.sub(r"\2", text)
    assert lazy.subn("x", text) == real.subn("x", text)
    assert lazy.split(text) == real.split(text)
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (real.flags, real.groups, real.groupindex)
    assert lazy_compile(rb"\d+").findall(b"a1b22") == [b"1", b"22"]


def test_an_invalid_pattern_raises_on_first_use() -> None:
    pattern = lazy_compile(r"(unclosed")
    with pytest.raises(re.error):
        pattern.match("x")


def test_every_lazy_pattern_of_the_package_compiles() -> None:
    found = 0
    for info in pkgutil.walk_packages(handsetguard.__path__, "handsetguard."):
        if info.name.startswith(("handsetguard.server", "handsetguard.cli")):
            continue  # the service's extras may be absent; neither uses lazy patterns
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else [value]
            for each in candidates:
                items = each if isinstance(each, tuple) else (each,)
                for item in items:
                    if isinstance(item, lazyre._LazyPattern):
                        assert isinstance(item.groups, int)  # the first read compiles it
                        found += 1
    assert found > 80
