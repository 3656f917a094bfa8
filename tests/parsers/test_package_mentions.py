"""Package names other dumps mention (parsers/package_mentions.py): each name with the line it
is first mentioned on, whichever pattern of the section finds it first. Synthetic excerpts in
the layouts of Android 10's dumpsys package, dbinfo and platform_compat."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.parsers.package_mentions import parse_package_mentions, parse_table_mentions
from handsetguard.sources import open_source
from handsetguard.textcodec import decode_slice
from tests.conftest import corpus_path

CORPUS = [
    "device/meizu-mx6-android7.1-bugreport/bugreport.zip",
    "device/emulator-sdkgphone-x86-android9-bugreport/bugreport.zip",
]


def test_resolver_names_keep_their_first_line() -> None:
    """A resolver entry's line is counted from the newline that opens it (the line above);
    a name printed again later, or one that is not a package name, adds nothing."""
    text = (
        "Receiver Resolver Table:\n"
        "  Non-Data Actions:\n"
        "      android.intent.action.BOOT_COMPLETED:\n"
        "        417c3b3 com.example.sync/.Boot\n"
        "        52d1e0a com.example.notes/.Boot\n"
        "      android.intent.action.USER_PRESENT:\n"
        "        9a0b1c2 com.example.sync/.Unlock\n"
        "        9a0b1c3 nodots/.Unlock\n"
        "        9a0b1c4 com.example.notes/.Unlock\n"
    )
    names = parse_package_mentions(text, "dumpsys:package").names
    assert dict(names) == {"com.example.sync": 2, "com.example.notes": 3}


def test_a_later_pattern_can_give_an_earlier_line() -> None:
    """dbinfo: the data folder pattern runs after the process pattern; a folder printed above
    the process header moves the name's first line up, one printed below does not."""
    text = (
        "Applications Database Info:\n"
        "    /data/user/0/com.example.early/databases/a.db\n"
        "** Database info for pid 100 [com.example.early] **\n"
        "** Database info for pid 200 [com.example.late] **\n"
        "    /data/user/0/com.example.late/databases/b.db\n"
        "    /data/user/0/com.example.early/databases/c.db\n"
    )
    names = parse_package_mentions(text, "dumpsys:dbinfo").names
    assert dict(names) == {"com.example.early": 1, "com.example.late": 3}


def test_overrides_name_every_package_once() -> None:
    text = (
        "ChangeId(143937733; name=X; enableSinceTargetSdk=31)\n"
        "  packageOverrides={org.example.a=false, org.example.b=true}; rawOverrides={}\n"
        "ChangeId(143937734; name=Y)\n"
        "  packageOverrides={org.example.b=false, org.example.c=true}; rawOverrides={}\n"
    )
    names = parse_package_mentions(text, "dumpsys:platform_compat").names
    assert dict(names) == {"org.example.a": 1, "org.example.b": 1, "org.example.c": 3}


def test_other_sections_mention_nothing() -> None:
    assert dict(parse_package_mentions("com.example.x/.Main\n", "dumpsys:window").names) == {}


# parse_table_mentions: the resolver names of dumpsys package read from its bytes.

_TABLE_PIECES = [
    "\n",
    "\r\n",
    "        417c3b3 ",
    "  1a ",
    "0123456789abcdef0 ",  # 17 hex digits: not an entry
    "com.example.sync",
    "com.exämple",
    "nodots",
    "com.应用.x",
    "/.Boot",
    "/",
    ".",
    "_9",
    " ",
]


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_TABLE_PIECES), max_size=30),
    bad=st.sampled_from([b"", b"\xff", b"\xff" * 40]),  # a few bad bytes, or Latin-1 text
)
def test_table_mentions_from_the_bytes_are_those_of_the_text(parts: list[str], bad: bytes) -> None:
    data = bytearray(b"head\n" + "".join(parts).encode() + bad + b"\n")
    start, end = 5, len(data)
    text = decode_slice(data, start, end)
    expected = parse_package_mentions(text, "dumpsys:package").names
    assert dict(parse_table_mentions(data, start, end).names) == dict(expected)
    assert list(parse_table_mentions(data, start, end).names) == list(expected)


@pytest.mark.parametrize("name", CORPUS)
def test_table_mentions_on_the_corpus_dumps(name: str) -> None:
    """Both readings of the real package dumps (the Meizu MX6's holds CJK labels)."""
    section = open_source(corpus_path(name)).get("dumpsys:package")
    assert section is not None
    table = parse_table_mentions(section.data, section.start, section.end).names
    assert len(table) > 50
    assert dict(table) == dict(parse_package_mentions(section.text, "dumpsys:package").names)
