"""The ``handsetguard`` command line (entry point ``handsetguard.cli:main``)."""

from handsetguard.cli.root import app, main

__all__ = ["app", "main"]
