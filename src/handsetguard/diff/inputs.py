"""One side of ``handsetguard diff``: a saved JSON report as it is, or any input ``check``
accepts (bugreport, AndroidQF collection, snapshot folder) run through the same engine call
``check`` makes, giving the same document ``check --format json`` would print."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from handsetguard.boundedio import loads_bounded, read_bounded
from handsetguard.diff.document import REPORT_SCHEMA
from handsetguard.diff.model import DiffError
from handsetguard.errors import SourceError

if TYPE_CHECKING:
    from handsetguard.threats.model import IndicatorMatcher

__all__ = ["MAX_REPORT_BYTES", "is_json_report", "load_document"]

MAX_REPORT_BYTES = 64 * 1024 * 1024
"""Largest JSON report read (a report of a busy phone is well under 1 MiB)."""


def is_json_report(path: Path) -> bool:
    """A regular file whose first non-blank byte opens a JSON object (no dump starts so)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with path.open("rb") as stream:
            head = stream.read(256)
    except OSError:
        return False  # the source opener says what is wrong with it
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _read_report(path: Path) -> dict[str, object]:
    data = loads_bounded(read_bounded(path, MAX_REPORT_BYTES, DiffError), str(path), DiffError)
    if not isinstance(data, dict):
        raise DiffError(f"{path}: not a HandsetGuard JSON report (not an object)")
    schema = data.get("schema")
    if schema != REPORT_SCHEMA:
        raise DiffError(
            f"{path}: not a HandsetGuard JSON report (schema {schema!r}, expected "
            f"{REPORT_SCHEMA!r})"
        )
    return data


def load_document(
    source: str | Path,
    *,
    profile: str = "consumer",
    indicators: IndicatorMatcher | None = None,
) -> dict[str, object]:
    """The ``handsetguard.report/1`` document of ``source``: read from a JSON report, or made
    by checking the input under ``profile`` with ``indicators`` (``check`` passes the bundled
    and installed sets)."""
    path = Path(source)
    if not path.exists() and not path.is_symlink():
        raise SourceError(f"{path}: no such file or folder")
    if is_json_report(path):
        return _read_report(path)
    from handsetguard.engine import KNOWN_CHECKS, run_check
    from handsetguard.profiles.profile import load_profile
    from handsetguard.report.json_report import to_dict

    return to_dict(run_check(path, load_profile(profile, KNOWN_CHECKS), indicators=indicators))
