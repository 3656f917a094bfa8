"""The public names of each module are pinned: changing them is a deliberate API change."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "handsetguard": ["__version__"],
    "handsetguard.errors": [
        "HandsetGuardError",
        "ParseError",
        "PolicyError",
        "SourceError",
        "UsageError",
    ],
    "handsetguard.sources": ["open_source"],
    "handsetguard.report": ["SCHEMA_VERSION", "Report", "app_to_dict", "render_json", "to_dict"],
    "handsetguard.engine": ["KNOWN_CHECKS", "evaluate", "evaluation_time", "run_check"],
    "handsetguard.diff": [
        "CONCERN",
        "DIFF_SCHEMA_VERSION",
        "FACETS",
        "Change",
        "ChangeKind",
        "Diff",
        "DiffError",
        "DifferentDevices",
        "Facet",
        "IdentityCheck",
        "Severity",
        "Side",
        "diff_documents",
    ],
    "handsetguard.profiles": [
        "BUILTIN_PROFILES",
        "Level",
        "Profile",
        "Rating",
        "load_profile",
        "rate",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_all_is_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(EXPECTED[module])
    for name in imported.__all__:
        assert hasattr(imported, name), name


@pytest.mark.parametrize("module", ["handsetguard.engine", "handsetguard.cli"])
def test_import_is_light(module: str) -> None:
    """Importing the check pipeline or the command line must not pull in the server, adb,
    attestation or browser stacks: every `check` would pay for them."""
    import subprocess
    import sys

    heavy = ("fastapi", "sqlalchemy", "adbutils", "playwright", "cryptography", "pyasn1", "rich")
    code = (
        f"import sys, {module}; "
        f"bad = [m for m in {heavy!r} if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
