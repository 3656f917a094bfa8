"""``attest`` and ``attest-status-refresh``: parse arguments, call the verifier, print the
verdict and the decoded fields, return the exit code — nothing else.

The commands are registered without importing the verifier: cryptography and pyasn1 load only
when ``attest`` actually runs (they would add ~80 ms and 10 MB to every ``check``).
Exit codes of ``attest``: 0 valid, 1 invalid (the verdict says why), 2 unusable input or options.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from handsetguard.cli.common import EXIT_INVALID, EXIT_USAGE
from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from handsetguard.attest.policy import Policy
    from handsetguard.attest.revocation import StatusList
    from handsetguard.attest.roots import TrustStore

__all__ = ["attest_command", "parse_time", "register", "status_refresh_command"]

EXIT_VALID = 0
EXIT_UNUSABLE = EXIT_USAGE


def parse_time(value: str | None) -> datetime:
    """``None``/``now``, a date (00:00 UTC) or an ISO date-time (UTC when no offset)."""
    if value is None or value.strip().lower() == "now":
        return datetime.now(UTC)
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--at {value!r}: expected 'now', YYYY-MM-DD or an ISO date-time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _policy(challenge: str | None, policy_file: str | None) -> Policy:
    from handsetguard.attest.errors import AttestPolicyError
    from handsetguard.attest.policy import AllOf, ExpectedChallenge, UnsafeNoOp
    from handsetguard.attest.policy_file import load_policy, parse_hex

    parts: list[Policy] = []
    if challenge is not None:
        try:
            parts.append(ExpectedChallenge(parse_hex(challenge, "--challenge")))
        except AttestPolicyError as exc:
            raise UsageError(exc.message) from None
    if policy_file is not None:
        parts.append(load_policy(policy_file))
    if not parts:
        return UnsafeNoOp()
    return parts[0] if len(parts) == 1 else AllOf(parts)


def _status_list(path: str | None) -> StatusList | None:
    from handsetguard.attest.revocation import default_cache_path, load_status_list

    if path is not None:
        return load_status_list(path)
    cached = default_cache_path()
    return load_status_list(cached) if cached.is_file() else None


def _trust(roots: str | None, unsafe_trust_root: str | None) -> TrustStore:
    from handsetguard.attest.roots import RootKind, TrustStore, load_roots

    trust = TrustStore.from_file(roots) if roots is not None else TrustStore.bundled()
    if unsafe_trust_root is not None:
        extra, _ = load_roots(unsafe_trust_root, RootKind.UNSAFE_EXTRA)
        trust = trust.with_unsafe_roots(extra)
    return trust


def attest_command(
    chain: str,
    challenge: str | None = None,
    policy: str | None = None,
    status_list: str | None = None,
    at: str | None = None,
    fmt: str = "text",
    unsafe_trust_root: str | None = None,
    *,
    roots: str | None = None,
    unsafe_allow_missing_status_list: bool = False,
    fail_on_suspended: bool = False,
    status_max_age_days: float | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Verify ``chain`` and print the verdict (``fmt``: text or json); return the exit code."""
    from handsetguard.attest.inputs import read_chain
    from handsetguard.attest.render import render_text
    from handsetguard.attest.revocation import MissingListPolicy, RevocationPolicy, SuspendedPolicy
    from handsetguard.attest.serialize import render_verdict_json
    from handsetguard.attest.verify import Verifier

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        if fmt not in ("text", "json"):
            raise UsageError(f"--format {fmt!r}: expected text or json")
        when = parse_time(at)
        revocation = RevocationPolicy(
            when_missing=MissingListPolicy.UNSAFE_FAIL_OPEN
            if unsafe_allow_missing_status_list
            else MissingListPolicy.FAIL_CLOSED,
            suspended=SuspendedPolicy.FAIL if fail_on_suspended else SuspendedPolicy.REPORT,
            max_age=None if status_max_age_days is None else timedelta(days=status_max_age_days),
        )
        verifier = Verifier(
            trust=_trust(roots, unsafe_trust_root),
            status_list=_status_list(status_list),
            revocation=revocation,
        )
        verdict = verifier.verify(read_chain(chain), _policy(challenge, policy), at=when)
    except HandsetGuardError as exc:
        err.write(f"error: {exc.message}\n")
        if exc.remediation:
            err.write(f"  hint: {exc.remediation}\n")
        return EXIT_UNUSABLE
    if fmt == "json":
        out.write(render_verdict_json(verdict))
    else:
        render_text(verdict, _console(out))
    return EXIT_VALID if verdict.ok else EXIT_INVALID


def _console(stream: TextIO) -> Console:
    from rich.console import Console

    # Lines are never hard-wrapped (paths and hex stay searchable); tables fit the width,
    # 110 columns when not printing to a terminal.
    width = None if stream.isatty() else 110
    return Console(file=stream, highlight=False, soft_wrap=True, width=width)


def status_refresh_command(
    output: str | None = None,
    url: str | None = None,
    timeout: float = 15.0,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Download Google's status list (from ``url``, default Google's published one) into the
    cache (or ``output``); 0 on success, 2 if not."""
    from handsetguard.attest.revocation import STATUS_URL, default_cache_path, refresh_status_list

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    destination = Path(output) if output is not None else default_cache_path()
    try:
        status = refresh_status_list(destination, url=url or STATUS_URL, timeout=timeout)
    except HandsetGuardError as exc:
        err.write(f"error: {exc.message}\n")
        if exc.remediation:
            err.write(f"  hint: {exc.remediation}\n")
        return EXIT_UNUSABLE
    out.write(f"saved {len(status.entries)} status entries to {destination}\n")
    return EXIT_VALID


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
    raise typer.Exit(status_refresh_command(output, url, timeout))


def register(app: typer.Typer) -> None:
    """Add ``attest`` and ``attest-status-refresh`` to the HandsetGuard command line."""
    app.command("attest")(_attest)
    app.command("attest-status-refresh")(_attest_status_refresh)
