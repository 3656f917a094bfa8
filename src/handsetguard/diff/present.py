"""The words every people-facing diff rendering shares (headline, identity, each side), with
every string from a report made visible first: a renderer gets only shown text, never data
that could steer a terminal, a page or a Markdown viewer."""

from __future__ import annotations

from handsetguard.checks.model import Severity
from handsetguard.diff.model import Change, Diff, Facet, Side
from handsetguard.records import record
from handsetguard.textsafe import visible

__all__ = ["ChangeView", "DiffView", "FacetView", "view"]

SEVERITY_WORD = {
    Severity.CRITICAL: "CRITICAL",
    Severity.HIGH: "HIGH",
    Severity.MEDIUM: "MEDIUM",
    Severity.LOW: "LOW",
    Severity.INFO: "INFO",
}


@record
class ChangeView:
    severity: Severity
    word: str  # CRITICAL, HIGH, …
    label: str  # the class in words: "new device admin"
    kind: str  # its id: admin_added
    key: str
    detail: str
    of_concern: bool


@record
class FacetView:
    name: str
    title: str
    comparable: bool
    note: str  # "3 changes", "no change", or why not comparable
    changes: tuple[ChangeView, ...]


@record
class DiffView:
    headline: str
    verdict: str  # "no change", "changes, none of concern", "N changes of concern"
    of_concern: int
    identity: str
    old: str
    new: str
    facets: tuple[FacetView, ...]


def _shown(value: str | None, unknown: str = "unknown") -> str:
    return unknown if value is None or value == "" else visible(value)


def side_text(side: Side) -> str:
    parts = [
        f"{_shown(side.source_kind)} {_shown(side.source_path)}",
        f"acquired {_shown(side.acquired_at)}",
        f"{_shown(side.model, 'model unknown')} serial {_shown(side.serial)}",
    ]
    if side.build_fingerprint:
        parts.append(f"build {visible(side.build_fingerprint)}")
    return " · ".join(parts)


def identity_text(diff: Diff) -> str:
    known = [c for c in diff.identity if c.match is not None]
    if not diff.same_device:
        differ = ", ".join(
            f"{c.field} {_shown(c.old)} vs {_shown(c.new)}"
            for c in diff.identity
            if c.match is False
        )
        return f"NOT the same device (compared with --force): {differ}"
    if not known:
        return "same device not established: no identity field (serial, IMEI, model) in both"
    return "same device: " + ", ".join(f"{c.field} {_shown(c.new)}" for c in known)


def _change(change: Change) -> ChangeView:
    return ChangeView(
        severity=change.severity,
        word=SEVERITY_WORD[change.severity],
        label=change.kind.label,
        kind=change.kind.value,
        key=visible(change.key),
        detail=visible(change.detail),
        of_concern=change.of_concern,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _facet(facet: Facet) -> FacetView:
    if not facet.comparable:
        note = f"not comparable: {_shown(facet.reason)}"
    elif not facet.changes:
        note = "no change"
    else:
        concern = sum(c.of_concern for c in facet.changes)
        note = _plural(len(facet.changes), "change") + (
            f", {concern} of concern" if concern else ""
        )
    changes = tuple(_change(c) for c in facet.changes)
    return FacetView(facet.name, facet.title, facet.comparable, note, changes)


def view(diff: Diff) -> DiffView:
    """What a person reads, in the order they read it."""
    concern = len(diff.of_concern)
    total = len(diff.changes)
    if total == 0:
        verdict = "no change"
    elif concern == 0:
        verdict = f"{_plural(total, 'change')}, none of concern"
    else:
        verdict = f"{_plural(concern, 'change')} of concern (of {total})"
    return DiffView(
        headline=f"HandsetGuard diff: {verdict}",
        verdict=verdict,
        of_concern=concern,
        identity=identity_text(diff),
        old=side_text(diff.old),
        new=side_text(diff.new),
        facets=tuple(_facet(f) for f in diff.facets),
    )
