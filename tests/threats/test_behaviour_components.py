"""The icon facts the behaviour score reads from ``dumpsys package``: MAIN activities of the
Activity Resolver Table's Non-Data Actions, per-user ``disabledComponents``, and the lines of
the install chain — on the corpus bugreports (Android 14 TV emulator, Pixel 1 Android 8.1,
Meizu MX6 Flyme 7.1.1) and the project's fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsetguard.parsers.package_components import Component, parse_package_components
from handsetguard.sources import open_source

CORPUS = Path("/work/shared/corpus/device")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# dump: (packages with a MAIN activity, package records, disabled entries, the packages every
# MAIN activity of which is disabled for user 0 — all system apps: setup wizards, STK, …)
CORPUS_FACTS = {
    "emulator-atv64-android14-bugreport": (14, 141, 68, ["com.android.tv.provision"]),
    "google-pixel1-sailfish-android8.1-bugreport": (
        113,
        232,
        179,
        ["com.android.stk", "com.google.android.inputmethod.pinyin"],
    ),
    "meizu-mx6-android7.1-bugreport": (
        140,
        234,
        60,
        ["com.flyme.systemuitools", "com.mediatek.schpwronoff", "com.meizu.powersave"],
    ),
}


@pytest.mark.parametrize("dump", sorted(CORPUS_FACTS))
def test_corpus_dumps(dump: str) -> None:
    folder = CORPUS / dump
    if not folder.is_dir():
        pytest.skip(f"corpus not present: {folder}")
    [archive] = folder.glob("*.zip")
    section = open_source(archive).get("dumpsys:package")
    assert section is not None
    facts = parse_package_components(section.text)
    assert facts.main_activities is not None
    disabled = sum(len(r.disabled) for r in facts.packages.values())
    hidden = sorted(
        package
        for package, mains in facts.main_activities.items()
        if all(a.name in facts.disabled(package) for a in mains)
    )
    assert (len(facts.main_activities), len(facts.packages), disabled, hidden) == CORPUS_FACTS[dump]


def test_only_non_data_main_entries_count() -> None:
    """Meizu (Android 7.1): ``android.intent.action.MAIN:`` appears under Non-Data Actions and
    again under MIME Typed Actions; the second list's activities take data, not a launch."""
    folder = CORPUS / "meizu-mx6-android7.1-bugreport"
    if not folder.is_dir():
        pytest.skip(f"corpus not present: {folder}")
    text = open_source(folder / "bugreport.zip").get("dumpsys:package")
    assert text is not None
    lines = text.text.split("\n")
    facts = parse_package_components(text.text)
    assert facts.main_activities is not None
    mime = lines.index("  MIME Typed Actions:")
    assert all(a.line < mime for acts in facts.main_activities.values() for a in acts)


def test_a_pixel8_record_with_its_launcher_disabled() -> None:
    """Pixel 1 Android 8.1 layout: short names in the table (``pkg/.Cls`` or full), the
    ``disabledComponents:`` list after ``overlay paths:``; no installer line (adb)."""
    text = (FIXTURES / "behaviour" / "pixel8_hidden_icon.txt").read_text(encoding="utf-8")
    start = text.index("DUMP OF SERVICE package:")
    facts = parse_package_components(text[start:])
    main = "com.udacity.gradle.builditbigger.MainActivity"
    assert facts.main_activities is not None
    assert facts.main_activities["com.joke.free"] == (Component("com.joke.free", main, None, 9),)
    assert facts.disabled("com.joke.free") == {main}
    record = facts.packages["com.joke.free"]
    assert record.value("installerPackageName") is None
    assert dict(record.facts) == {"firstInstallTime": (29, "2017-10-16 13:09:03")}


def test_disabled_components_are_per_user() -> None:
    """Android 10 fixture with users 0 and 11: the widget is disabled for user 11 only; the
    table's entry carries a ``filter <hash>`` suffix and a short ``pkg/.Main`` name."""
    text = (FIXTURES / "dumpsys_package" / "android10_two_users.txt").read_text(encoding="utf-8")
    facts = parse_package_components(text)
    assert dict(facts.main_activities or {}) == {
        "com.example.notes": (Component("com.example.notes", "com.example.notes.Main", None, 3),)
    }
    assert facts.disabled("com.example.notes") == frozenset()
    assert facts.disabled("com.example.notes", user=11) == {"com.example.notes.Widget"}


def test_text_without_either_block() -> None:
    facts = parse_package_components("garbage\n  Package [x] (1):\n")
    assert facts.main_activities is None and dict(facts.packages) == {}


def test_an_empty_packages_block_gives_way_to_the_next() -> None:
    """Synthetic: the first ``Packages:`` block has no entry (a dump cut and restarted); the
    entries of the next one are read, and only the first resolver table counts."""
    text = (
        "Activity Resolver Table:\n  Non-Data Actions:\n      android.intent.action.MAIN:\n"
        "        1a2b3c com.example.a/.Main\n"
        "Packages:\n"
        "Activity Resolver Table:\n  Non-Data Actions:\n      android.intent.action.MAIN:\n"
        "        4d5e6f com.example.b/.Main\n"
        "Packages:\n  Package [com.example.b] (4d5e6f):\n    installerPackageName=null\n"
    )
    facts = parse_package_components(text)
    assert dict(facts.main_activities or {}) == {
        "com.example.a": (Component("com.example.a", "com.example.a.Main", None, 3),)
    }
    assert list(facts.packages) == ["com.example.b"]
    assert facts.packages["com.example.b"].line == 10
    assert dict(facts.packages["com.example.b"].facts) == {"installerPackageName": (11, "null")}


def test_a_disabled_list_ends_at_its_first_other_line() -> None:
    """Synthetic Android 10 layout: the list's names start with any letter; a line with a
    space, or one as shallow as the list's header, ends it, and a name after that is not
    a disabled component (nor are names under enabledComponents)."""
    text = (
        "Packages:\n"
        "  Package [com.example.a] (1a2b3c):\n"
        "    User 0: ceDataInode=1 installed=true\n"
        "      disabledComponents:\n"
        "        com.example.a.Widget\n"
        "        zz.Other\n"
        "      enabledComponents:\n"
        "        com.example.a.Main\n"
        "    User 10: ceDataInode=2 installed=true\n"
        "      disabledComponents:\n"
        "        xy.Tile\n"
        "        gids=[3003, 3004]\n"
        "        com.example.a.Late\n"
        "    firstInstallTime=2020-01-01 00:00:00\n"
    )
    record = parse_package_components(text).packages["com.example.a"]
    assert [(c.name, c.user, c.line) for c in record.disabled] == [
        ("com.example.a.Widget", 0, 4),
        ("zz.Other", 0, 5),
        ("xy.Tile", 10, 10),
    ]
    assert dict(record.facts) == {"firstInstallTime": (13, "2020-01-01 00:00:00")}
