"""The ``handsetguard`` command line: one Typer app with every command group on it.

Groups, one module each: check and apps (:mod:`.check`); live phones — devices, collect, watch,
and the adb side of check (:mod:`.live`); attestation (:mod:`.attest`); the licensing service —
server, activation, royalty (:mod:`.server`). The library never imports this package.
"""

from __future__ import annotations

import typer

from handsetguard import __version__
from handsetguard.cli import attest, check, live, server

__all__ = ["app", "main"]

app = typer.Typer(
    name="handsetguard",
    help="HandsetGuard: grade an Android phone's security posture and show which apps used "
    "its camera, microphone, location, contacts and SMS.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def version() -> None:
    """Print the HandsetGuard version."""
    typer.echo(f"handsetguard {__version__}")


check.register(app)
app.command()(version)
live.register(app)
attest.register(app)
server.register(app)


def main() -> None:
    app()
