"""The ``handsetguard`` command line (entry point ``handsetguard.cli:main``)."""

from handsetguard.cli.root import build_parser, main

__all__ = ["build_parser", "main"]
