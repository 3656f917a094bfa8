"""Package names other dumps mention (parsers/package_mentions.py): each name with the line it
is first mentioned on, whichever pattern of the section finds it first. Synthetic excerpts in
the layouts of Android 10's dumpsys package, dbinfo and platform_compat."""

from __future__ import annotations

from handsetguard.parsers.package_mentions import parse_package_mentions


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
