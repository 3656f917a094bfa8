"""The web dashboard (``/ui/``): server-rendered pages with their own assets (re-exports)."""

from handsetguard.server.ui.install import install
from handsetguard.server.ui.pages import router

__all__ = ["install", "router"]
