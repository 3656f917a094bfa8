"""The choke point between the report and every renderer for people: a copy of the Report in
which every string that may have come from the input has passed :func:`textsafe.visible`.

Renderers for people (terminal, HTML, Markdown, the verdict line) take their report from
:func:`safe_report`; JSON keeps the values as read and escapes them at serialisation
(:func:`textsafe.json_text`). Free text keeps its line breaks only where a line break can be
data (a check's detail, an evidence fact such as a multi-line setting value, a coverage note);
names, identifiers, paths and titles are single-line, so data can never forge a line of the
report.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import TypeVar

from handsetguard.report.model import Report
from handsetguard.textsafe import visible

__all__ = ["safe_report", "safe_value"]

T = TypeVar("T")

_MULTILINE_FIELDS = frozenset({"detail", "fact", "remediation", "summary"})


def _clean(value: object, multiline: bool) -> object:
    if isinstance(value, str):
        return visible(value, multiline=multiline)
    if value is None or isinstance(value, bool | int | float | enum.Enum | datetime | date):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _clean(getattr(value, f.name), f.name in _MULTILINE_FIELDS)
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_clean(item, multiline) for item in value)
    if isinstance(value, list):
        return [_clean(item, multiline) for item in value]
    if isinstance(value, frozenset):
        return frozenset(_clean(item, multiline) for item in value)
    if isinstance(value, dict):
        return {_clean(k, False): _clean(v, multiline) for k, v in value.items()}
    return value


def safe_value(value: T) -> T:
    """Any report part (dataclasses, tuples, dicts of them) with every string made visible."""
    cleaned = _clean(value, False)
    assert type(cleaned) is type(value)
    return cleaned


def safe_report(report: Report) -> Report:
    """The report with every string shown, never obeyed (idempotent: safe to apply twice)."""
    return safe_value(report)
