"""Package names that other dumps mention (not the package list itself): the resolver tables of
``dumpsys package`` (receivers, activities), ``dumpsys dbinfo`` (databases by process and data
folder), ``dumpsys batterystats`` (history events, daily install/update records) and
``dumpsys platform_compat`` (per-package overrides). An app that was uninstalled, or hides from
the package list, can still be named there; the indicator matcher probes each name once."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from handsetguard.lazyre import lazy_compile
from handsetguard.records import field, record
from handsetguard.textcodec import Blob

__all__ = ["SECTIONS", "PackageMentions", "parse_package_mentions", "parse_table_mentions"]

# Possessive repeats: what follows a name (]/"= or the end) is never a name character.
_NAME = r"[A-Za-z][A-Za-z0-9_]*+(?:\.[A-Za-z0-9_]++)++"
_RESOLVER = r"\n ++[0-9a-f]{1,16}+ ([A-Za-z][\w.]*+)/"
_PATTERNS = {
    # "        417c3b3 com.android.storagemanager/.automatic.NotificationController"
    # (a loose first character, checked after: twice as fast on a 2 MB dump; possessive
    # repeats, as none can give back a character the next item could match: a quarter less)
    "resolver": lazy_compile(_RESOLVER),
    # "** Database info for pid 8817 [com.wssyncmldm] **", "/data/user/0/com.x/databases/…"
    "process": lazy_compile(rf"\*\* Database info for pid [0-9]+ \[({_NAME})\]"),
    "data_dir": lazy_compile(rf"/data/(?:user(?:_de)?/[0-9]+|data)/({_NAME})/"),
    # "+job=u0a94:"com.samsung.android.app.reminder/…"", "+pkginst=10123:"com.x""
    "history": lazy_compile(rf'=(?:u[0-9]++a[0-9]++|[0-9]++):"({_NAME})[/"]'),
    # "      Update com.facebook.system vers=385230279": the line before each " vers=" (found
    # by str.find: a multi-line ^ pattern tried at every line start is 15x slower)
    "daily": lazy_compile(rf"[ \t]++(?:Update|Install|Uninstall) ({_NAME})"),
    # "packageOverrides={org.torproject.torbrowser=false}; rawOverrides={…}"
    "overrides": lazy_compile(r"(?:package|raw)Overrides=\{([^}]{0,100000})\}"),
}
# The same pattern over the bytes of the text (parse_table_mentions).
_RESOLVER_BYTES = lazy_compile(_RESOLVER.encode("ascii"))
_OVERRIDE_NAME = lazy_compile(rf"({_NAME})=")
_NAME_ONLY = lazy_compile(_NAME)

SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "dumpsys:package": ("resolver",),
        "dumpsys:dbinfo": ("process", "data_dir"),
        "dumpsys:batterystats": ("history", "daily"),
        "dumpsys:platform_compat": ("overrides",),
    }
)
"""Section → the patterns read in it."""


def _no_names() -> Mapping[str, int]:
    return MappingProxyType({})


@record
class PackageMentions:
    """Each package name mentioned, with the 0-based line it is first mentioned on."""

    names: Mapping[str, int] = field(default_factory=_no_names)


def _daily(text: str) -> Iterator[re.Match[str]]:
    pattern = _PATTERNS["daily"]
    at = text.find(" vers=")
    while at >= 0:
        match = pattern.fullmatch(text, text.rfind("\n", 0, at) + 1, at)
        if match is not None:
            yield match
        at = text.find(" vers=", at + 6)


def parse_package_mentions(text: str, section: str) -> PackageMentions:
    """The package names ``section``'s patterns find in ``text`` (never raises)."""
    first: dict[str, int] = {}
    for kind in SECTIONS.get(section, ()):
        line, last = 0, 0
        # Names this kind has met: a later mention (on a later line) changes nothing, so it
        # is skipped before its line is counted (resolver tables name each package many times).
        met: set[str] = set()
        # The whole text: the resolver tables usually come before "Packages:", not always
        # (MVT's Samsung excerpt has its receivers after the package entries).
        matches = _daily(text) if kind == "daily" else _PATTERNS[kind].finditer(text)
        for match in matches:
            if kind == "overrides":
                names = [n for n in _OVERRIDE_NAME.findall(match.group(1)) if n not in met]
            elif match.group(1) in met:
                continue
            else:
                names = [match.group(1)]
            line += text.count("\n", last, match.start())
            last = match.start()
            for name in names:
                met.add(name)
                prior = first.get(name)
                if prior is not None and prior <= line:
                    continue  # met first by an earlier kind, on an earlier line
                if kind == "resolver" and _NAME_ONLY.fullmatch(name) is None:
                    continue
                first[name] = line
    return PackageMentions(MappingProxyType(first))


def parse_table_mentions(data: Blob, start: int, end: int) -> PackageMentions:
    """``parse_package_mentions(text, "dumpsys:package")`` of the text decoded from
    ``data[start:end]``, read from those bytes: the section is not decoded for it (its
    packages and components are read from its lines, Section.lines). The same names on the
    same lines: a name the pattern can take is ASCII, a newline is the same byte in UTF-8,
    Latin-1 and the text, and a non-ASCII character stops a name in both (the text's
    ``\\w`` takes it, but then the name is refused as not a package name)."""
    first: dict[str, int] = {}
    met: set[bytes] = set()
    line, last = 0, start
    for match in _RESOLVER_BYTES.finditer(data, start, end):
        raw = match.group(1)
        if raw in met:
            continue
        met.add(raw)
        line += data.count(b"\n", last, match.start())
        last = match.start()
        name = raw.decode("ascii")
        if _NAME_ONLY.fullmatch(name) is not None:
            first[name] = line
    return PackageMentions(MappingProxyType(first))
