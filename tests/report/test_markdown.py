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
    assert headings == [
        "# Security report: Google Pixel 7 (panther)",
        "## How secure is this phone?",
        "## What to fix first",
        "### ❌ fail: Bootloader is locked (`bootloader_locked`, critical)",
        "### ❌ fail: USB debugging is off (`usb_debugging`, high)",
        "### ⚠️ warn: Security patch level is recent (`os_patch_level`, high)",
        "## All checks",
        "## Which apps used your camera, microphone, location, contacts or messages?",
        "## What this report could not read",
    ]
    assert "**Rating: POOR** · 49/100" in text
    assert "Capped by: `bootloader_locked`, `usb_debugging`" in text
    assert "**How to fix:** Re-lock the bootloader with \\`fastboot flashing lock\\`" in text
    assert "<details><summary>Evidence</summary>" in text
    assert FORMULA.replace("_", "\\_") in text
    assert f"report schema `{SCHEMA_VERSION}`" in text
    assert "- **missing**: `dumpsys:lock_settings`" in text
    assert "- **could not be understood**: `dumpsys:device_policy`" in text


def test_tables_are_rectangular_and_escape_pipes(report: Report) -> None:
    text = render_markdown(report)
    tables = _tables(text)
    assert len(tables) == 3  # device facts, checks, apps
    for table in tables:
        width = len(_cells(table[0]))
        assert all(len(_cells(row)) == width for row in table), table
        assert set(_cells(table[1])) == {"---"}
    checks = tables[1]
    assert "adb\\_enabled=1 \\| adb over Wi-Fi is off" in checks[3]


def test_checks_table_failed_first(report: Report) -> None:
    rows = _tables(render_markdown(report))[1][2:]
    ids = [re.findall(r"\(`([a-z_]+)`\)", _cells(row)[2])[0] for row in rows]
    assert ids == [
        "bootloader_locked",
        "usb_debugging",
        "os_patch_level",
        "screen_lock",
        "encryption",
        "selinux_enforcing",
        "auto_time",
    ]
    assert "**Fix:** Re-lock" in rows[0]
    assert "Fix" not in rows[-1]


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
    assert _cells(table[2]) == [
        "`com.example.snapcam`",
        "3 (1 bg) · 2025-11-23 10:40",
        "2 (1 rej) · 2025-11-22 18:05",
        "–",
        "–",
        "–",
        "–",
        "`com.android.vending`",
        "no",
    ]
    assert _cells(table[3])[0] == "`com.whatsapp`"
    assert len(table) == 4


def test_hostile_text_is_escaped(make_report: MakeReport) -> None:
    check = CheckResult(
        CheckId("odd"),
        Status.FAIL,
        Severity.HIGH,
        "a | b *c* [x](y)",
        "# not a heading\n1. not a list\n<script>alert(1)</script>\nline | two",
        (EvidenceItem("key=`tick` | pipe", Provenance("f.txt", 3)),),
        "- not a list",
        (),
    )
    app = AppPrivacy(
        "com.pipe|name`x", None, True, (), {Category.SMS: CategoryAccess(1, None, 1, 0, 0)}
    )
    text = render_markdown(make_report(checks=(check,), apps=(app,)))
    assert not re.search(r"(?<!\\)<script", text)
    assert "\\<script>alert(1)\\</script>" in text
    assert "\\# not a heading\n1\\. not a list" in text
    assert "**How to fix:** \\- not a list" in text
    assert "- ``key=`tick` | pipe`` in `f.txt:3`" in text  # outside a table: pipes stay
    tables = _tables(text)
    checks, apps = tables[1], tables[2]
    row = _cells(checks[2])
    assert row[2] == "a \\| b \\*c\\* \\[x\\](y) (`odd`)"
    assert row[3].startswith("\\# not a heading<br>1\\. not a list<br>")
    assert "line \\| two" in row[3]
    assert _cells(apps[2])[0] == "``com.pipe\\|name`x``"
    assert _cells(apps[2])[-1] == "yes"
