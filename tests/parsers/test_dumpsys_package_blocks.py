"""dumpsys package: where its blocks start. Lines before the first ``Packages:`` or ``Hidden
system packages:`` line are never package entries once the text has a ``Packages:`` block."""

from __future__ import annotations

from handsetguard.parsers.dumpsys_package import parse_dumpsys_package

_HIDDEN = "Hidden system packages:\n  Package [com.hidden] (1):\n    userId=1000\n"
_MAIN = "Packages:\n  Package [com.main] (2):\n    userId=10001\n"
_BEFORE = "Shared users:\n  Package [com.not.an.entry] (3):\n    userId=99\n"


def test_entries_before_the_first_block_are_not_read() -> None:
    dump = parse_dumpsys_package(_BEFORE + _MAIN)
    assert [(p.name, p.uid, p.line) for p in dump.packages] == [("com.main", 10001, 4)]


def test_hidden_block_before_the_main_block_is_read() -> None:
    dump = parse_dumpsys_package(_BEFORE + _HIDDEN + _MAIN)
    assert [(p.name, p.line, p.updated_system_app) for p in dump.packages] == [
        ("com.main", 7, False),
        ("com.hidden", 4, True),
    ]


def test_hidden_block_after_the_main_block_is_read() -> None:
    dump = parse_dumpsys_package(_MAIN + _HIDDEN)
    assert [(p.name, p.line) for p in dump.packages] == [("com.main", 1), ("com.hidden", 4)]
