"""The licensing and factory activation service (extra ``handsetguard[server]``).

Re-exports, resolved lazily: ``import handsetguard.server.core.envelope`` (used by the
offline verifier) must not pull in FastAPI or SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handsetguard.server.app import create_app
    from handsetguard.server.config import Settings
    from handsetguard.server.errors import ServiceError

__all__ = ["ServiceError", "Settings", "create_app"]

_WHERE = {
    "create_app": "handsetguard.server.app",
    "Settings": "handsetguard.server.config",
    "ServiceError": "handsetguard.server.errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'handsetguard.server' has no attribute {name!r}")
