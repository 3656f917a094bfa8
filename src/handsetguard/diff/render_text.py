"""The diff for a terminal: rich Text objects only (no markup strings), every report string
already made visible by :mod:`handsetguard.diff.present`."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from handsetguard.checks.model import Severity
from handsetguard.diff.model import Diff
from handsetguard.diff.present import FacetView, view

__all__ = ["render_text"]

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _facet(console: Console, facet: FacetView) -> None:
    line = Text()
    line.append(facet.title, style="bold")
    line.append(f"  {facet.note}", style="dim" if not facet.changes else "")
    console.print(line)
    for change in facet.changes:
        row = Text("  ")
        row.append(f"{change.word:<8}", style=_STYLE[change.severity])
        row.append(f" {change.label}: ", style="bold" if change.of_concern else "")
        row.append(change.detail)  # names the key (package, component, setting, check)
        console.print(row, overflow="fold")


def render_text(diff: Diff, console: Console) -> None:
    shown = view(diff)
    title = Text(shown.headline, style="bold red" if shown.of_concern else "bold green")
    console.print(title)
    for label, value in (("Old", shown.old), ("New", shown.new), ("Identity", shown.identity)):
        line = Text(f"{label:<9}", style="bold")
        line.append(value, style="bold red" if value.startswith("NOT ") else "")
        console.print(line, overflow="fold")
    unchanged = [f.title for f in shown.facets if f.comparable and not f.changes]
    for facet in shown.facets:
        if facet.changes or not facet.comparable:
            console.print()
            _facet(console, facet)
    if unchanged:
        console.print()
        line = Text("No change: ", style="bold")
        line.append(", ".join(unchanged))
        console.print(line)
