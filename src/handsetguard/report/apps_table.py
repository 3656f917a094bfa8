"""``handsetguard apps`` for people: a table of apps × categories when it fits the console,
else one block per app — package names and times are never cut or broken mid-word. Names
from the phone go through :func:`~handsetguard.report.present.visible` (controls shown)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from handsetguard.privacy import AppPrivacy, Category, CategoryAccess
from handsetguard.report.present import access_notes, format_time, plural, select_apps, visible

__all__ = ["access_cell", "render_apps_table"]

_LEGEND = "count (bg = background, rej = refused) · last access, device time"
_INDENT = "  "
_UNBOUNDED = 100_000


def access_cell(access: CategoryAccess) -> Text:
    """``3 (1 bg, 2 rej) · 2025-11-23 10:40``, background use highlighted."""
    text = Text(str(access.count))
    notes = [
        Text(note, style="bold magenta" if note.endswith(" bg") else "")
        for note in access_notes(access)
    ]
    if notes:
        text.append(" (")
        text.append(Text(", ").join(notes))
        text.append(")")
    if access.last is not None:
        text.append(f" · {format_time(access.last, minutes=True)}")
    return text


def _system(app: AppPrivacy) -> str:
    return "unknown" if app.system is None else ("yes" if app.system else "no")


def _table(rows: Sequence[AppPrivacy], shown: Sequence[Category]) -> Table:
    table = Table(
        title=plural(len(rows), "app"),
        title_justify="left",
        caption=_LEGEND,
        caption_justify="left",
    )
    # Only used when it fits: no cell is ever wrapped or cut.
    table.add_column("Package", no_wrap=True)
    for category in shown:
        table.add_column(category.value, no_wrap=True)
    table.add_column("Installer", no_wrap=True)
    table.add_column("System", no_wrap=True)
    for app in rows:
        cells = [
            access_cell(app.access[c]) if c in app.access else Text("–", style="dim") for c in shown
        ]
        table.add_row(
            Text(visible(app.package)), *cells, Text(visible(app.installer or "–")), _system(app)
        )
    return table


def break_at_dots(name: str, width: int) -> list[str]:
    """``name`` in lines of at most ``width``, broken only after a dot (a part longer than
    the width, which no real package has, is left whole for the console to fold)."""
    lines: list[str] = []
    line = ""
    for part in name.split(".")[:-1]:
        piece = part + "."
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    last = name.split(".")[-1]
    if line and len(line) + len(last) > width:
        lines.append(line)
        line = ""
    lines.append(line + last)
    return lines


def _blocks(rows: Sequence[AppPrivacy], shown: Sequence[Category], console: Console) -> list[Text]:
    label_width = max(len(c.value) for c in shown) + 2
    out = [Text(plural(len(rows), "app"), style="italic"), Text(_LEGEND, style="dim"), Text()]
    for app in rows:
        out.extend(
            Text(part, style="bold") for part in break_at_dots(visible(app.package), console.width)
        )
        installer = visible(app.installer) if app.installer else "not recorded"
        out.append(Text(f"{_INDENT}installer: {installer} · system app: {_system(app)}"))
        for category in shown:
            if category in app.access:
                line = Text(f"{_INDENT}{category.value:<{label_width}}")
                line.append(access_cell(app.access[category]))
                out.append(line)
        out.append(Text())
    return out


def render_apps_table(
    apps: Sequence[AppPrivacy],
    console: Console,
    *,
    categories: Sequence[Category] | None,
    sort: str = "last",
) -> None:
    """The apps with access in ``categories`` (all categories any app used when ``None``,
    and then apps without access too), in ``sort`` order: a table when every cell fits the
    console whole, else a block per app."""
    shown = (
        list(categories)
        if categories is not None
        else [c for c in Category if any(c in app.access for app in apps)]
    )
    rows = select_apps(apps, shown, sort=sort, only_with_access=categories is not None)
    if not rows:
        names = ", ".join(c.value for c in shown) or "any category"
        console.print(Text(f"No app has recorded access to {names}."))
        return
    table = _table(rows, shown)
    # Measured without the console's limit: the natural width of the table, nothing folded.
    natural = Measurement.get(console, console.options.update(max_width=_UNBOUNDED), table)
    if shown and natural.maximum <= console.width:
        console.print(table)
        return
    for line in _blocks(rows, shown or list(Category), console):
        console.print(line)
