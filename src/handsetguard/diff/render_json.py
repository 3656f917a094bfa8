"""The diff as ``handsetguard.diff/1`` JSON (schema: docs/diff.schema.json): values as read,
DEL, C1 and invisible steering characters written as \\uXXXX escapes."""

from __future__ import annotations

import json

from handsetguard.diff.model import Diff
from handsetguard.textsafe import json_text

__all__ = ["render_json"]


def render_json(diff: Diff) -> str:
    return json_text(json.dumps(diff.to_json(), indent=2, ensure_ascii=False)) + "\n"
