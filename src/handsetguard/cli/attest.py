"""The ``attest`` commands' arguments, registered on the main command line without importing
the verifier: cryptography and pyasn1 load only when ``attest`` actually runs (they would add
~80 ms and 10 MB to every ``check``)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


ChainArg = Annotated[
    str,
    typer.Argument(
        help="Attestation chain, leaf first: PEM bundle, DER file, directory of DER/PEM files, "
        "x5c JSON array, or WebAuthn android-key attestation object / response JSON.",
        show_default=False,
    ),
]


def _attest(
    chain: ChainArg,
    challenge: Annotated[
        str | None, typer.Option(help="Expected attestation challenge, hex.")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Policy file (TOML or JSON).")] = None,
    status_list: Annotated[
        str | None,
        typer.Option(help="Attestation status list JSON (default: the refreshed cached copy)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="Verification time: now, YYYY-MM-DD or ISO date-time.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    roots: Annotated[
        str | None, typer.Option(help="Replace the bundled Google roots with this file.")
    ] = None,
    unsafe_trust_root: Annotated[
        str | None,
        typer.Option(help="UNSAFE, tests only: also trust the root(s) in this file."),
    ] = None,
    unsafe_allow_missing_status_list: Annotated[
        bool,
        typer.Option(
            "--unsafe-allow-missing-status-list",
            help="UNSAFE: accept chains when no status list is available (fail open).",
        ),
    ] = False,
    fail_on_suspended: Annotated[
        bool,
        typer.Option(
            "--fail-on-suspended",
            help="Fail chains with a SUSPENDED certificate (default: report).",
        ),
    ] = False,
    status_max_age_days: Annotated[
        float | None, typer.Option(help="Treat an older status list as missing.")
    ] = None,
) -> None:
    """Verify an Android Key Attestation chain: exit 0 valid, 1 invalid, 2 unusable input."""
    from handsetguard.attest.cli import attest_command

    raise typer.Exit(
        attest_command(
            chain,
            challenge,
            policy,
            status_list,
            at,
            fmt,
            unsafe_trust_root,
            roots=roots,
            unsafe_allow_missing_status_list=unsafe_allow_missing_status_list,
            fail_on_suspended=fail_on_suspended,
            status_max_age_days=status_max_age_days,
        )
    )


def _attest_status_refresh(
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Where to save (default: the cache).")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Status list URL (default: Google's published list).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Network timeout, seconds.")] = 15.0,
) -> None:
    """Download Google's attestation status (revocation) list into the local cache."""
    from handsetguard.attest.cli import status_refresh_command
    from handsetguard.attest.revocation import STATUS_URL

    raise typer.Exit(status_refresh_command(output, url or STATUS_URL, timeout))


def register(app: typer.Typer) -> None:
    """Add ``attest`` and ``attest-status-refresh`` to the HandsetGuard command line."""
    app.command("attest")(_attest)
    app.command("attest-status-refresh")(_attest_status_refresh)
