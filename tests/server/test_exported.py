"""The public names of the service package are pinned (see tests/test_exported_members.py)."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "handsetguard.server": ["ServiceError", "Settings", "create_app"],
    "handsetguard.server.errors": [
        "AuthError",
        "ConflictError",
        "ForbiddenError",
        "InvalidInputError",
        "NotFoundError",
        "RateLimitedError",
        "RefusedError",
        "ServiceError",
        "UnavailableError",
    ],
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_all_is_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(EXPECTED[module])
    for name in imported.__all__:
        assert hasattr(imported, name), name


def test_service_errors_sit_under_the_project_root() -> None:
    from handsetguard.errors import HandsetGuardError
    from handsetguard.server.errors import RefusedError, ServiceError

    assert issubclass(ServiceError, HandsetGuardError)
    assert issubclass(RefusedError, ServiceError)
