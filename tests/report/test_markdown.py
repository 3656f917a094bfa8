"""The markdown report: sections, ordering, and escaping inside and outside GFM tables."""

from __future__ import annotations

import re
from collections.abc import Callable

from handsetguard.checks.model import CheckId, CheckResult, EvidenceItem, Severity, Status
from handsetguard.evidence import Provenance
from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.profiles.rating import FORMULA
from handsetguard.report.markdown import render_markdown
from handsetguard.report.model import SCHEMA_VERSION, Report

MakeReport = Callable[..., Report]
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in _UNESCAPED_PIPE.split(row)[1:-1]]


def test_sections_in_order(report: Report) -> None:
    text = render_markdown(report)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    # The level leads (no gate here); outcome titles, no ids, in every heading.
    assert headings == [
        "# Rating: POOR · 49/100",
        "## What could not be checked, and why",
        "## What to fix first",
        "### ❌ Problem: Bootloader is unlocked",
        "### ❌ Problem: USB debugging is on",
        "### ⚠️ Worth a look: Security patch is getting old",
        "## All checks",
        "## About the phone",
        "## Which apps used your camera, microphone, location, contacts or messages?",
        "## What this report could not read",
    ]
    for heading in headings:
        assert not any(c.id in heading for c in report.checks), heading
    assert "Bootloader is locked" not in text
    assert "**Assessed 6 of 7 checks, 81% of the weight.** Profile consumer." in text
    assert "Rated on partial evidence" in text
    assert "- **Screen lock** (high): dumpsys lock_settings is missing from the input." in text
    assert "The rating is held down by **Bootloader is unlocked**, **USB debugging is on**" in text
    assert "**How to fix:** Re-lock the bootloader with \\`fastboot flashing lock\\`" in text
    assert (
        "<sub>Check: Bootloader lock · seriousness: critical · id `bootloader_locked`</sub>" in text
    )
    assert "<details><summary>Evidence</summary>" in text
    assert FORMULA in text
    assert f"report schema `{SCHEMA_VERSION}`" in text
    assert "- **missing**: `dumpsys:lock_settings`" in text
    assert "- **could not be understood**: `dumpsys:device_policy`" in text


def test_tables_are_rectangular_and_escape_pipes(report: Report) -> None:
    text = render_markdown(report)
    tables = _tables(text)
    assert len(tables) == 3  # checks, device facts, apps
    for table in tables:
        width = len(_cells(table[0]))
        assert all(len(_cells(row)) == width for row in table), table
        assert set(_cells(table[1])) == {"---"}
    checks = tables[0]
    assert "adb_enabled=1 \\| adb over Wi-Fi is off" in checks[3]


def test_checks_table_failed_first(report: Report) -> None:
    rows = _tables(render_markdown(report))[0][2:]
    ids = [re.findall(r"id `([a-z_]+)`</sub>", _cells(row)[1])[0] for row in rows]
    assert ids == [
        "bootloader_locked",
        "usb_debugging",
        "os_patch_level",
        "screen_lock",
        "encryption",
        "selinux_enforcing",
        "auto_time",
    ]
    assert _cells(rows[0])[:2] == [
        "❌ Problem",
        "Bootloader is unlocked<br><sub>Check: Bootloader lock · seriousness: critical · "
        "id `bootloader_locked`</sub>",
    ]
    assert _cells(rows[3])[0] == "❔ Could not check"
    assert "**How to fix:** Re-lock" in rows[0]
    assert "How to fix" not in rows[-1]


def test_apps_table(report: Report) -> None:
    table = _tables(render_markdown(report))[2]
    assert _cells(table[0]) == [
        "App",
        "Camera",
        "Microphone",
        "Location",
        "Contacts",
        "SMS",
        "Calendar",
        "Installed by",
        "System app",
    ]
    # Units in words, never "3 (1 bg)".
    assert _cells(table[2]) == [
        "`com.example.snapcam`",
        "3 times, 1 in the background<br>last used 2025-11-23 10:40",
        "2 times, 1 refused<br>last used 2025-11-22 18:05",
        "–",
        "–",
        "–",
        "–",
        "`com.android.vending`",
        "no",
    ]
    assert _cells(table[3]) == [
        "`com.whatsapp`",
        "–",
        "–",
        "5 times, 3 in the background<br>last used 2025-11-23 09:12",
        "once",
        "–",
        "once<br>last used 2025-11-01 08:00",
        "not recorded",
        "unknown",
    ]
    assert len(table) == 4


def test_hostile_text_is_escaped(make_report: MakeReport) -> None:
    check = CheckResult(
        CheckId("odd"),
        Status.FAIL,
        Severity.HIGH,
        "a | b *c* [x](y) ~~s~~ &lt;",
        "# not a heading\n1. not a list\n<script>alert(1)</script>\n\nline | two",
        (EvidenceItem("key=`tick` | pipe\n\n<b>x</b>", Provenance("f.txt", 3)),),
        "- not a list",
        (),
        "Odd check",
    )
    app = AppPrivacy(
        "com.pipe|name`x", None, True, (), {Category.SMS: CategoryAccess(1, None, 1, 0, 0)}
    )
    text = render_markdown(make_report(checks=(check,), apps=(app,)))
    assert not re.search(r"(?<!\\)<script", text)
    assert "\\<script>alert(1)\\</script>" in text
    # A line break in the data is a <br>: a blank line cannot end the paragraph or item.
    assert "\\# not a heading<br>1\\. not a list<br>\\<script>" in text
    assert "</script><br><br>line | two" in text
    assert "### ❌ Problem: a | b \\*c\\* \\[x\\](y) \\~\\~s\\~\\~ \\&lt;" in text
    assert "**How to fix:** \\- not a list" in text
    # Outside a table pipes stay; a line break inside a code span is a space.
    assert "- ``key=`tick` | pipe  <b>x</b>`` in `f.txt:3`" in text
    tables = _tables(text)
    checks, apps = tables[0], tables[2]
    row = _cells(checks[2])
    assert row[1].startswith("a \\| b \\*c\\* \\[x\\](y) ")
    assert row[2].startswith("\\# not a heading<br>1\\. not a list<br>")
    assert "line \\| two" in row[2]
    assert _cells(apps[2])[0] == "``com.pipe\\|name`x``"
    assert _cells(apps[2])[-1] == "yes"
