"""Mount the dashboard and the offline API docs on an app: pages, their static assets, and
the Swagger UI / ReDoc assets from the installed package."""

from __future__ import annotations

from fastapi import FastAPI

from handsetguard.server.routes import docs
from handsetguard.server.ui.pages import STATIC, router

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """``app`` must be built with ``docs_url=None, redoc_url=None`` (these replace them)."""
    app.include_router(router)
    app.include_router(docs.router)
    app.mount("/ui/static", STATIC, name="ui-static")
    app.mount(docs.ASSETS_PATH, docs.assets(), name="docs-assets")
