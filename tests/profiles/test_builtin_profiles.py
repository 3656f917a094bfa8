"""The built-in profiles are loaded from builtin.json, derived from their TOML files: the two
must say the same, and loading a built-in profile must not need the TOML reader."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from handsetguard.profiles.profile import BUILTIN_PROFILES

PROFILES = Path(__file__).resolve().parents[2] / "src" / "handsetguard" / "profiles"


def test_builtin_json_is_derived_from_the_toml_files() -> None:
    derived = json.loads((PROFILES / "builtin.json").read_text(encoding="utf-8"))
    sources = {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in PROFILES.glob("*.toml")
    }
    assert derived == sources, "run: python tools/derive_builtin_profiles.py"
    assert sorted(derived) == sorted(BUILTIN_PROFILES)


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_a_builtin_profile_loads_without_tomllib(name: str) -> None:
    code = (
        "import sys\n"
        "from handsetguard.checks.registry import ALL_CHECKS\n"
        "from handsetguard.profiles.profile import load_profile\n"
        f"profile = load_profile({name!r}, frozenset(c.id for c in ALL_CHECKS))\n"
        "print('tomllib' in sys.modules, profile.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", name]
