"""Loading and validating policy profiles: TOML files shipped in this package or the user's own."""

from __future__ import annotations

import json
from pathlib import Path

from handsetguard.boundedio import read_bounded
from handsetguard.checks.model import Severity
from handsetguard.errors import PolicyError
from handsetguard.records import field, record

__all__ = ["BUILTIN_PROFILES", "CoverageFloor", "Profile", "load_profile"]

BUILTIN_PROFILES = ("consumer", "enterprise", "factory")

_LEVEL_NAMES = ("excellent", "good", "fair", "poor")
_MAX_PROFILE_BYTES = 1024 * 1024


@record
class Profile:
    name: str
    description: str
    source: str
    weights: dict[Severity, int]
    levels: dict[str, int]
    caps: dict[Severity, str]
    severities: dict[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    params: dict[str, dict[str, object]] = field(default_factory=dict)
    enabled: frozenset[str] = frozenset()  # checks that are off unless a profile turns them on
    default_format: str | None = None  # [output] format, e.g. "verdict" for the factory line
    not_assessed_fails: bool = False  # [gate] not_assessed = "fail": unknown counts as failed
    has_gate: bool = False  # a [gate] table: reports lead with the PASS / FAIL / ERROR verdict
    floor: CoverageFloor = field(default_factory=lambda: CoverageFloor())


@record
class CoverageFloor:
    """How much of the profile must be assessed for a level to be given ([coverage] table):
    every critical check (``critical = "all"``, or ``"any"`` to not require it) and at least
    ``min_weight`` percent of the profile's weight."""

    all_critical: bool = True
    min_weight: int = 60


def _table(data: dict[str, object], key: str, where: str) -> dict[str, object]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise PolicyError(f"{where}: [{key}] must be a table")
    return value


def _severity(value: object, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise PolicyError(f"{where}: unknown severity {value!r} (use {names})") from None


def _weights(data: dict[str, object], where: str) -> dict[Severity, int]:
    weights = dict(zip(Severity, (10, 6, 3, 1, 0), strict=True))
    for key, value in _table(data, "weights", where).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise PolicyError(f"{where}: weights.{key} must be a non-negative integer")
        weights[_severity(key, f"{where}: weights")] = value
    return weights


def _levels(data: dict[str, object], where: str) -> dict[str, int]:
    levels = {"excellent": 90, "good": 75, "fair": 50}
    for key, value in _table(data, "levels", where).items():
        if key not in levels:
            raise PolicyError(f"{where}: levels.{key} is not one of excellent, good, fair")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            raise PolicyError(f"{where}: levels.{key} must be an integer 0-100")
        levels[key] = value
    if not levels["excellent"] >= levels["good"] >= levels["fair"]:
        raise PolicyError(f"{where}: levels must satisfy excellent >= good >= fair")
    return levels


def _caps(data: dict[str, object], where: str) -> dict[Severity, str]:
    caps: dict[Severity, str] = {}
    for key, value in _table(data, "caps", where).items():
        if value not in _LEVEL_NAMES:
            raise PolicyError(f"{where}: caps.{key} must be one of {', '.join(_LEVEL_NAMES)}")
        caps[_severity(key, f"{where}: caps")] = str(value)
    return caps


def _parse(data: dict[str, object], where: str, known_checks: frozenset[str]) -> Profile:
    severities: dict[str, Severity] = {}
    disabled: set[str] = set()
    enabled: set[str] = set()
    params: dict[str, dict[str, object]] = {}
    for check_id, table in _table(data, "checks", where).items():
        if check_id not in known_checks:
            raise PolicyError(f"{where}: [checks.{check_id}] names no known check")
        if not isinstance(table, dict):
            raise PolicyError(f"{where}: [checks.{check_id}] must be a table")
        table = dict(table)
        if "severity" in table:
            severities[check_id] = _severity(table.pop("severity"), f"{where}: {check_id}")
        switch = table.pop("enabled", None)
        if switch is False:
            disabled.add(check_id)
        elif switch is True:
            enabled.add(check_id)
        elif switch is not None:
            raise PolicyError(f"{where}: checks.{check_id}.enabled must be true or false")
        params[check_id] = table
    name = data.get("name", Path(where).stem)
    description = data.get("description", "")
    return Profile(
        str(name),
        str(description),
        where,
        _weights(data, where),
        _levels(data, where),
        _caps(data, where),
        severities,
        frozenset(disabled),
        params,
        frozenset(enabled),
        _output_format(data, where),
        _not_assessed_fails(data, where),
        "gate" in data,
        _floor(data, where),
    )


def _floor(data: dict[str, object], where: str) -> CoverageFloor:
    table = _table(data, "coverage", where)
    unknown = set(table) - {"critical", "min_weight"}
    if unknown:
        raise PolicyError(f"{where}: [coverage] has unknown keys: {', '.join(sorted(unknown))}")
    critical = table.get("critical", "all")
    if critical not in ("all", "any"):
        raise PolicyError(f"{where}: coverage.critical must be 'all' or 'any'")
    weight = table.get("min_weight", 60)
    if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
        raise PolicyError(f"{where}: coverage.min_weight must be an integer percentage 0-100")
    return CoverageFloor(critical == "all", weight)


_FORMATS = ("text", "json", "html", "md", "verdict")


def _output_format(data: dict[str, object], where: str) -> str | None:
    value = _table(data, "output", where).get("format")
    if value is None:
        return None
    if value not in _FORMATS:
        raise PolicyError(f"{where}: output.format must be one of {', '.join(_FORMATS)}")
    return str(value)


def _not_assessed_fails(data: dict[str, object], where: str) -> bool:
    value = _table(data, "gate", where).get("not_assessed", "ignore")
    if value not in ("fail", "ignore"):
        raise PolicyError(f"{where}: gate.not_assessed must be 'fail' or 'ignore'")
    return value == "fail"


def _builtin(name: str) -> dict[str, object]:
    """A built-in profile's document, from builtin.json (the TOML files beside it, derived by
    tools/derive_builtin_profiles.py: JSON loads without importing tomllib, ~20 ms)."""
    documents = json.loads(Path(__file__).with_name("builtin.json").read_text(encoding="utf-8"))
    document: dict[str, object] = documents[name]
    return document


def load_profile(name_or_path: str, known_checks: frozenset[str]) -> Profile:
    """Load a built-in profile by name, or a TOML file by path."""
    if name_or_path in BUILTIN_PROFILES:
        return _parse(_builtin(name_or_path), f"built-in profile {name_or_path}", known_checks)
    import tomllib

    path = Path(name_or_path)
    where = str(path)
    if not path.is_file():
        raise PolicyError(f"{path}: no such profile (built-in: {', '.join(BUILTIN_PROFILES)})")
    blob = read_bounded(path, _MAX_PROFILE_BYTES, PolicyError)
    text = blob.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: not valid TOML ({exc})") from exc
    return _parse(data, where, known_checks)
