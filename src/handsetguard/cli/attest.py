"""``attest`` and ``attest-status-refresh``: parse arguments, call the verifier, print the
verdict and the decoded fields, return the exit code — nothing else.

The commands are registered without importing the verifier: cryptography loads only
when ``attest`` actually runs (they would add ~80 ms and 10 MB to every ``check``).
Exit codes of ``attest``: 0 valid, 1 invalid (the verdict says why), 2 unusable input or options.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from handsetguard.cli.common import (
    EXIT_INVALID,
    EXIT_USAGE,
    STDOUT,
    Commands,
    add_format,
    check_output_target,
    describe,
    summary,
)
from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    import argparse
    from datetime import datetime

    from rich.console import Console

    from handsetguard.attest.policy import Policy
    from handsetguard.attest.revocation import StatusList
    from handsetguard.attest.roots import TrustStore

__all__ = ["attest_command", "parse_time", "register", "status_refresh_command"]

EXIT_VALID = 0
EXIT_UNUSABLE = EXIT_USAGE


def parse_time(value: str | None) -> datetime:
    """``None``/``now``, a date (00:00 UTC) or an ISO date-time (UTC when no offset)."""
    from datetime import UTC, date, datetime

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
    from handsetguard.attest.challenges import ExpectedChallenge
    from handsetguard.attest.errors import AttestPolicyError
    from handsetguard.attest.policy import AllOf, UnsafeNoOp
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
    strict: bool = False,
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
        from datetime import timedelta

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
            strict=strict,
        )
        verdict = verifier.verify(read_chain(chain), _policy(challenge, policy), at=when)
    except HandsetGuardError as exc:
        _error(exc, err)
        return EXIT_UNUSABLE
    if fmt == "json":
        out.write(render_verdict_json(verdict))
    else:
        render_text(verdict, _console(out))
    if "revocation.unavailable" in verdict.codes:
        err.write(
            "hint: run `handsetguard attest-status-refresh` to fetch Google's attestation status "
            "list, or pass one with --status-list FILE\n"
        )
    return EXIT_VALID if verdict.ok else EXIT_INVALID


def _error(exc: HandsetGuardError, err: TextIO) -> None:
    from handsetguard.textsafe import visible

    err.write(f"error: {visible(exc.message)}\n")  # messages quote file names and input
    if exc.remediation:
        err.write(f"  hint: {visible(exc.remediation)}\n")


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
    cache (or ``output``; ``-`` prints it); 0 on success, 2 if not. A target that is a link
    or not a regular file is refused before anything is downloaded."""
    from pathlib import Path

    from handsetguard.attest.revocation import STATUS_URL, default_cache_path, refresh_status_list
    from handsetguard.textsafe import json_text

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        if output == STDOUT:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="handsetguard-status-") as folder:
                saved = Path(folder) / "status.json"
                status = refresh_status_list(saved, url=url or STATUS_URL, timeout=timeout)
                # The same JSON value, with invisible and control characters escaped.
                out.write(json_text(saved.read_text(encoding="utf-8")))
            err.write(f"downloaded {len(status.entries)} status entries\n")
            return EXIT_VALID
        destination = Path(output) if output is not None else default_cache_path()
        check_output_target(destination, "status list")
        status = refresh_status_list(destination, url=url or STATUS_URL, timeout=timeout)
    except HandsetGuardError as exc:
        _error(exc, err)
        return EXIT_UNUSABLE
    out.write(f"saved {len(status.entries)} status entries to {destination}\n")
    return EXIT_VALID


CHAIN_HELP = (
    "Attestation chain, leaf first: PEM bundle, DER file, directory of DER/PEM files, "
    "x5c JSON array, or WebAuthn android-key attestation object / response JSON."
)
FORMATS = ("text", "json")


def _attest(args: argparse.Namespace) -> int:
    """Verify an Android Key Attestation chain: exit 0 valid, 1 invalid, 2 unusable input."""
    return attest_command(
        args.chain,
        args.challenge,
        args.policy,
        args.status_list,
        args.at,
        args.fmt,
        args.unsafe_trust_root,
        roots=args.roots,
        unsafe_allow_missing_status_list=args.unsafe_allow_missing_status_list,
        fail_on_suspended=args.fail_on_suspended,
        status_max_age_days=args.status_max_age_days,
        strict=args.strict,
    )


def _attest_status_refresh(args: argparse.Namespace) -> int:
    """Download Google's attestation status (revocation) list into the local cache."""
    return status_refresh_command(args.output, args.url, args.timeout)


def register(commands: Commands) -> None:
    """Add ``attest`` and ``attest-status-refresh`` to the HandsetGuard command line."""
    parser = commands.add_parser("attest", help=summary(_attest), description=describe(_attest))
    parser.add_argument("chain", metavar="CHAIN", help=CHAIN_HELP)
    parser.add_argument("--challenge", metavar="HEX", help="Expected attestation challenge, hex.")
    parser.add_argument("--policy", metavar="FILE", help="Policy file (TOML or JSON).")
    parser.add_argument(
        "--status-list",
        metavar="FILE",
        help="Attestation status list JSON (default: the refreshed cached copy).",
    )
    parser.add_argument(
        "--at", metavar="TIME", help="Verification time: now, YYYY-MM-DD or ISO date-time."
    )
    add_format(parser, FORMATS, "text or json.", default="text")
    parser.add_argument(
        "--roots", metavar="FILE", help="Replace the bundled Google roots with this file."
    )
    parser.add_argument(
        "--unsafe-trust-root",
        metavar="FILE",
        help="UNSAFE, tests only: also trust the root(s) in this file.",
    )
    parser.add_argument(
        "--unsafe-allow-missing-status-list",
        action="store_true",
        help="UNSAFE: accept chains when no status list is available (fail open).",
    )
    parser.add_argument(
        "--fail-on-suspended",
        action="store_true",
        help="Fail chains with a SUSPENDED certificate (default: report).",
    )
    parser.add_argument(
        "--status-max-age-days",
        type=float,
        metavar="DAYS",
        help="Treat an older status list as missing.",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="Refuse expired intermediates of factory-provisioned chains too (RFC 5280 "
        "validity for every certificate but the leaf and the anchor).",
    )
    parser.set_defaults(run=_attest)

    refresh = _attest_status_refresh
    parser = commands.add_parser(
        "attest-status-refresh", help=summary(refresh), description=describe(refresh)
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="Where to save (default: the cache; '-': standard output).",
    )
    parser.add_argument("--url", help="Status list URL (default: Google's published list).")
    parser.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="Network timeout, seconds."
    )
    parser.set_defaults(run=_attest_status_refresh)
