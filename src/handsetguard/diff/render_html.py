"""The diff as one self-contained HTML page (inline CSS, no script, no external resource; a
Content-Security-Policy forbids them), Jinja2 autoescaped over already-visible strings."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined

from handsetguard import __version__
from handsetguard.diff.model import DIFF_SCHEMA_VERSION, Diff
from handsetguard.diff.present import view

__all__ = ["render_html"]


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("handsetguard.diff", "templates"),
        autoescape=True,  # .html.j2 is not matched by select_autoescape: always on
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(diff: Diff) -> str:
    return (
        _environment()
        .get_template("diff.html.j2")
        .render(diff=view(diff), version=__version__, schema=DIFF_SCHEMA_VERSION)
    )
