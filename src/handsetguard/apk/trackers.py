"""Trackers found by their code signatures in an APK's class names, from the εxodus tracker
list (``--trackers FILE``: the JSON of https://reports.exodus-privacy.eu.org/api/trackers;
its data licence is not stated, so it is not bundled). Each tracker's ``code_signature`` is a
regular expression (package prefixes joined by ``|``) searched in every package name, as
εxodus searches it."""

from __future__ import annotations

import re
from pathlib import Path

from handsetguard.boundedio import loads_bounded, read_bounded
from handsetguard.errors import SourceError
from handsetguard.records import record

__all__ = ["MAX_TRACKER_FILE", "Tracker", "TrackerHit", "find_trackers", "load_trackers"]

MAX_TRACKER_FILE = 16 << 20
MAX_SIGNATURE = 2048


@record
class Tracker:
    name: str
    signature: re.Pattern[str]
    website: str | None


@record
class TrackerHit:
    name: str
    website: str | None
    example: str  # one package name that matched (from the APK: untrusted)


def load_trackers(path: Path) -> tuple[Tracker, ...]:
    """The trackers of an εxodus JSON file (``{"trackers": {id: {...}}}`` or a list); one
    clear error naming the file and the tracker when something does not fit."""
    data = loads_bounded(read_bounded(path, MAX_TRACKER_FILE, SourceError), str(path), SourceError)
    raw = data.get("trackers", data) if isinstance(data, dict) else data
    items = list(raw.values()) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise SourceError(f"{path}: expected εxodus tracker JSON ({{'trackers': {{…}}}})")
    trackers = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise SourceError(f"{path}: tracker #{number} is not an object")
        name, code = item.get("name"), item.get("code_signature")
        if not isinstance(name, str) or not isinstance(code, str):
            raise SourceError(f"{path}: tracker #{number} lacks a name or code_signature")
        if not code.strip():
            continue  # εxodus lists some trackers by network signature only
        if len(code) > MAX_SIGNATURE:
            raise SourceError(
                f"{path}: tracker {name!r}: code_signature over {MAX_SIGNATURE} chars"
            )
        try:
            pattern = re.compile(code)
        except re.error as exc:
            raise SourceError(f"{path}: tracker {name!r}: bad code_signature ({exc})") from None
        website = item.get("website")
        trackers.append(Tracker(name, pattern, website if isinstance(website, str) else None))
    return tuple(trackers)


def find_trackers(class_names: list[str], trackers: tuple[Tracker, ...]) -> tuple[TrackerHit, ...]:
    """The trackers whose signature matches a package of ``class_names`` (one hit each)."""
    packages = sorted({name.rpartition(".")[0] + "." for name in class_names if "." in name})
    text = "\n".join(packages)
    hits = []
    for tracker in trackers:
        found = tracker.signature.search(text)
        if found is None:
            continue
        line_start = text.rfind("\n", 0, found.start()) + 1
        line_end = text.find("\n", found.end())
        example = text[line_start : line_end if line_end >= 0 else len(text)]
        hits.append(TrackerHit(tracker.name, tracker.website, example))
    return tuple(hits)
