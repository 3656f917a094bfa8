"""The text (fixed-width, colourless console) and Markdown renderings of one diff, pinned:
the Pixel 8.1 report (adb set off) against a copy in which a device admin and an accessibility
service appeared, adb was on (as in the dump), the bootloader unlocked and the patch level
went back.
Regenerate with HANDSETGUARD_UPDATE_GOLDEN=1 after a deliberate change, and read the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from handsetguard.diff import Diff, diff_documents
from handsetguard.diff.render_markdown import render_markdown
from handsetguard.diff.render_text import render_text
from tests.diff.conftest import PIXEL1_81_BUGREPORT, report

GOLDEN = Path(__file__).resolve().parent / "golden"


def _diff() -> Diff:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    old["source"]["path"] = "gate.json"
    new["source"]["path"] = "support-desk.zip"
    new["acquired_at"] = "2018-05-01T10:00:00-07:00"
    inventory = new["inventory"]
    inventory["device_admins"]["items"].append("com.example.tracker/.Admin")
    inventory["accessibility_services"]["items"].append("com.example.tracker/.Reader")
    settings = old["inventory"]["settings"]["items"]
    next(s for s in settings if s["key"] == "global:adb_enabled")["value"] = "0"
    bootloader = next(c for c in new["checks"] if c["id"] == "bootloader_locked")
    bootloader.update(status="fail", title="Bootloader is unlocked")
    new["device"]["security_patch"] = "2017-12-05"
    return diff_documents(old, new)


def _text(result: Diff) -> str:
    console = Console(width=100, color_system=None, highlight=False)
    with console.capture() as captured:
        render_text(result, console)
    return captured.get()


@pytest.mark.parametrize(("name", "render"), [("diff.txt", _text), ("diff.md", render_markdown)])
def test_rendering_is_pinned(name: str, render: object) -> None:
    got = render(_diff())  # type: ignore[operator]
    path = GOLDEN / name
    if os.environ.get("HANDSETGUARD_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
