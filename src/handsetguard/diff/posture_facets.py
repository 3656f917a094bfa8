"""The posture facets: check outcomes (with the bootloader and verified boot named), threat
findings, patch levels, the build, and the rating's level and score."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from handsetguard.checks.model import Severity
from handsetguard.diff.document import Doc
from handsetguard.diff.model import Change, ChangeKind, DiffError, Facet

__all__ = ["posture_facets"]

Item = Mapping[str, object]

_BADNESS = {"pass": 0, "warn": 1, "fail": 2}
_SEVERITIES = {severity.value: severity for severity in Severity}
_LEVELS = {"excellent": 0, "good": 1, "fair": 2, "poor": 3}


def _sort(changes: list[Change]) -> tuple[Change, ...]:
    order = {severity: index for index, severity in enumerate(Severity)}
    return tuple(sorted(changes, key=lambda c: (order[c.severity], c.key, c.kind.value)))


def _by_id(doc: Doc, key: str, name_field: str) -> dict[str, Item] | None:
    records = doc.records(key)
    if records is None:
        return None
    found: dict[str, Item] = {}
    for index, record in enumerate(records):
        name = record.get(name_field)
        if not isinstance(name, str):
            raise DiffError(f"{doc.name} report: {key}[{index}].{name_field} is not a string")
        found[name] = record
    return found


def _status(doc: Doc, record: Item, check: str) -> str:
    status = record.get("status")
    if status not in ("pass", "warn", "fail", "not_assessed"):
        raise DiffError(f"{doc.name} report: check {check!r} has status {status!r}")
    return str(status)


def _check_change(check: str, b: Item, was: str, now: str) -> Change:
    severity = _SEVERITIES.get(str(b.get("severity")), Severity.MEDIUM)
    title = b.get("title") if isinstance(b.get("title"), str) else check
    detail = f"{check}: {was} -> {now} ({title})"
    if was == "not_assessed":
        return Change(
            "checks",
            check,
            ChangeKind.CHECK_NOW_ASSESSED,
            Severity.LOW if now != "pass" else Severity.INFO,
            was,
            now,
            detail,
        )
    if now == "not_assessed":
        return Change(
            "checks", check, ChangeKind.CHECK_NOW_UNASSESSED, Severity.LOW, was, now, detail
        )
    worse = _BADNESS[now] > _BADNESS[was]
    if check == "bootloader_locked":
        kind = ChangeKind.BOOTLOADER_UNLOCKED if now == "fail" else ChangeKind.BOOTLOADER_LOCKED
        return Change(
            "checks", check, kind, Severity.CRITICAL if worse else Severity.INFO, was, now, detail
        )
    if check == "verified_boot":
        return Change(
            "checks",
            check,
            ChangeKind.VERIFIED_BOOT_CHANGED,
            severity if worse else Severity.INFO,
            was,
            now,
            detail,
        )
    kind = ChangeKind.CHECK_REGRESSED if worse else ChangeKind.CHECK_IMPROVED
    return Change("checks", check, kind, severity if worse else Severity.INFO, was, now, detail)


def _checks_facet(old: Doc, new: Doc) -> Facet:
    a, b = _by_id(old, "checks", "id"), _by_id(new, "checks", "id")
    if a is None or b is None:
        side = "old" if a is None else "new"
        return Facet("checks", "Check outcomes", False, f"the {side} report has no checks")
    changes = []
    for check in sorted(a.keys() | b.keys()):
        if check not in b:
            changes.append(
                Change(
                    "checks",
                    check,
                    ChangeKind.CHECK_DROPPED,
                    Severity.INFO,
                    _status(old, a[check], check),
                    None,
                    f"{check} is not in the newer report (another profile?)",
                )
            )
        elif check not in a:
            changes.append(
                Change(
                    "checks",
                    check,
                    ChangeKind.CHECK_ADDED,
                    Severity.INFO,
                    None,
                    _status(new, b[check], check),
                    f"{check} is not in the older report (another profile?)",
                )
            )
        else:
            was, now = _status(old, a[check], check), _status(new, b[check], check)
            if was != now:
                changes.append(_check_change(check, b[check], was, now))
    return Facet("checks", "Check outcomes", True, None, _sort(changes))


def _threat_key(record: Item) -> str:
    package = record.get("package")
    if isinstance(package, str):
        return package
    matches = record.get("matches")
    first = matches[0] if isinstance(matches, list) and matches else {}
    value = first.get("value") if isinstance(first, Mapping) else None
    return f"(device) {value}" if isinstance(value, str) else "(device)"


def _threat_summary(record: Item) -> dict[str, object]:
    return {k: record.get(k) for k in ("kind", "confidence", "score", "summary")}


def _threats_facet(old: Doc, new: Doc) -> Facet:
    ra, rb = old.records("threats"), new.records("threats")
    if ra is None or rb is None:
        side = "old" if ra is None else "new"
        return Facet(
            "threats",
            "Threat findings",
            False,
            f"the {side} report has no threats section (an older report)",
        )
    a = {_threat_key(r): r for r in ra}
    b = {_threat_key(r): r for r in rb}
    changes = []
    for key in sorted(b.keys() - a.keys()):
        certain = b[key].get("kind") == "indicator" and b[key].get("confidence") == "certain"
        changes.append(
            Change(
                "threats",
                key,
                ChangeKind.THREAT_NEW,
                Severity.CRITICAL if certain else Severity.HIGH,
                None,
                _threat_summary(b[key]),
                f"{key}: {b[key].get('summary') or 'found'}",
            )
        )
    changes += [
        Change(
            "threats",
            key,
            ChangeKind.THREAT_GONE,
            Severity.INFO,
            _threat_summary(a[key]),
            None,
            f"{key} is no longer found",
        )
        for key in sorted(a.keys() - b.keys())
    ]
    for key in sorted(a.keys() & b.keys()):
        was, now = _threat_summary(a[key]), _threat_summary(b[key])
        if (was["kind"], was["confidence"], was["score"]) != (
            now["kind"],
            now["confidence"],
            now["score"],
        ):
            rose = _score(now) > _score(was)
            changes.append(
                Change(
                    "threats",
                    key,
                    ChangeKind.THREAT_CHANGED,
                    Severity.MEDIUM if rose else Severity.INFO,
                    was,
                    now,
                    f"{key}: score {was['score']} -> {now['score']}, "
                    f"{was['confidence']} -> {now['confidence']}",
                )
            )
    return Facet("threats", "Threat findings", True, None, _sort(changes))


def _score(summary: Mapping[str, object]) -> int:
    score = summary.get("score")
    return score if isinstance(score, int) else 0


def _date(value: str | None) -> date | None:
    """A patch level as a date (``YYYY-MM-DD``, as ro.build.version.security_patch); None
    when it is not one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _patch_facet(old: Doc, new: Doc) -> Facet:
    changes = []
    known = False
    for field, label in (("security_patch", "OS"), ("vendor_security_patch", "vendor")):
        was, now = old.text("device", field) or None, new.text("device", field) or None
        known = known or (was is not None and now is not None)
        if was == now or (was is None and now is None):
            continue
        key = f"{label} patch level"
        then, today = _date(was), _date(now)
        if today is None:
            changes.append(
                Change(
                    "patch_levels",
                    key,
                    ChangeKind.PATCH_UNKNOWN,
                    Severity.LOW,
                    was,
                    now,
                    f"{key} {was} -> " + ("unknown" if now is None else f"{now} (not a date)"),
                )
            )
        elif then is None:
            continue
        elif today < then:
            changes.append(
                Change(
                    "patch_levels",
                    key,
                    ChangeKind.PATCH_BACKWARDS,
                    Severity.HIGH,
                    was,
                    now,
                    f"{key} went back: {was} -> {now}",
                )
            )
        else:
            changes.append(
                Change(
                    "patch_levels",
                    key,
                    ChangeKind.PATCH_ADVANCED,
                    Severity.INFO,
                    was,
                    now,
                    f"{key} {was} -> {now}",
                )
            )
    if not known and not changes:
        return Facet(
            "patch_levels", "Patch levels", False, "neither patch level is recorded in both reports"
        )
    return Facet("patch_levels", "Patch levels", True, None, _sort(changes))


def _build_facet(old: Doc, new: Doc) -> Facet:
    was = old.text("device", "build_fingerprint")
    now = new.text("device", "build_fingerprint")
    if was is None or now is None:
        return Facet("build", "Build", False, "the build fingerprint is not in both reports")
    if was == now:
        return Facet("build", "Build", True, None)
    sdk_a, sdk_b = old.text("device", "sdk"), new.text("device", "sdk")
    older = (
        sdk_a is not None
        and sdk_b is not None
        and sdk_a.isdigit()
        and sdk_b.isdigit()
        and int(sdk_b) < int(sdk_a)
    )
    detail = f"build {was} -> {now}" + (" (an older Android release)" if older else "")
    return Facet(
        "build",
        "Build",
        True,
        None,
        (
            Change(
                "build",
                "build_fingerprint",
                ChangeKind.BUILD_CHANGED,
                Severity.HIGH if older else Severity.INFO,
                was,
                now,
                detail,
            ),
        ),
    )


def _rating_facet(old: Doc, new: Doc) -> Facet:
    la, lb = old.text("rating", "level"), new.text("rating", "level")
    if la is None or lb is None:
        return Facet("rating", "Rating", False, "the rating is not in both reports")
    changes = []
    if la != lb and la in _LEVELS and lb in _LEVELS:
        dropped = _LEVELS[lb] > _LEVELS[la]
        severity = (
            (Severity.HIGH if lb == "poor" else Severity.MEDIUM) if dropped else Severity.INFO
        )
        changes.append(
            Change(
                "rating",
                "level",
                ChangeKind.LEVEL_DROPPED if dropped else ChangeKind.LEVEL_ROSE,
                severity,
                la,
                lb,
                f"rating {la} -> {lb}",
            )
        )
    elif la != lb:
        changes.append(
            Change(
                "rating",
                "level",
                ChangeKind.LEVEL_DROPPED
                if lb in ("incomplete", "not_rated")
                else ChangeKind.LEVEL_ROSE,
                Severity.LOW if lb in ("incomplete", "not_rated") else Severity.INFO,
                la,
                lb,
                f"rating {la} -> {lb}",
            )
        )
    sa, sb = old.text("rating", "score"), new.text("rating", "score")
    if sa is not None and sb is not None and sa.isdigit() and sb.isdigit() and sa != sb:
        dropped = int(sb) < int(sa)
        changes.append(
            Change(
                "rating",
                "score",
                ChangeKind.SCORE_DROPPED if dropped else ChangeKind.SCORE_ROSE,
                Severity.LOW if dropped else Severity.INFO,
                int(sa),
                int(sb),
                f"score {sa} -> {sb}",
            )
        )
    return Facet("rating", "Rating", True, None, _sort(changes))


def posture_facets(old: Doc, new: Doc) -> list[Facet]:
    return [
        _checks_facet(old, new),
        _threats_facet(old, new),
        _patch_facet(old, new),
        _build_facet(old, new),
        _rating_facet(old, new),
    ]
