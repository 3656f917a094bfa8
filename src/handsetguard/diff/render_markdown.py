"""The diff as GitHub-flavoured Markdown, built with the report's escaping rules
(:mod:`handsetguard.report.markdown_safe`): data can neither close a code span nor start markup."""

from __future__ import annotations

from handsetguard.diff.model import DIFF_SCHEMA_VERSION, Diff
from handsetguard.diff.present import view
from handsetguard.report.markdown_safe import code, table, text

__all__ = ["render_markdown"]


def render_markdown(diff: Diff) -> str:
    shown = view(diff)
    lines = [
        f"# {'⚠️' if shown.of_concern else '✅'} {text(shown.headline)}",
        "",
        f"- **Old:** {text(shown.old)}",
        f"- **New:** {text(shown.new)}",
        f"- **Identity:** {text(shown.identity)}",
        "",
    ]
    unchanged = [f.title for f in shown.facets if f.comparable and not f.changes]
    for facet in shown.facets:
        if facet.comparable and not facet.changes:
            continue
        lines += [f"## {text(facet.title)}", "", text(facet.note), ""]
        if facet.changes:
            rows = [
                (
                    f"**{c.word}**" if c.of_concern else c.word,
                    text(c.label),
                    code(c.key),
                    text(c.detail),
                )
                for c in facet.changes
            ]
            lines += [*table(("severity", "change", "key", "detail"), rows), ""]
    if unchanged:
        lines += [f"**No change:** {text(', '.join(unchanged))}", ""]
    lines.append(f"<sub>{text(DIFF_SCHEMA_VERSION)} · handsetguard diff</sub>")
    return "\n".join(lines) + "\n"
