"""``handsetguard attest`` and ``handsetguard attest-status-refresh``: parse arguments, call the
library, print the verdict and the decoded fields, return the exit code — nothing else.

Exit codes of ``attest``: 0 valid, 1 invalid (the verdict says why), 2 unusable input or options.
"""

from __future__ import annotations

import base64
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from handsetguard.attest.errors import AttestPolicyError
from handsetguard.attest.inputs import read_chain
from handsetguard.attest.policy import AllOf, ExpectedChallenge, Policy, UnsafeNoOp
from handsetguard.attest.policy_file import load_policy, parse_hex
from handsetguard.attest.revocation import (
    STATUS_URL,
    MissingListPolicy,
    RevocationPolicy,
    RevocationResult,
    StatusList,
    SuspendedPolicy,
    default_cache_path,
    load_status_list,
    refresh_status_list,
)
from handsetguard.attest.roots import RootKind, TrustStore, load_roots
from handsetguard.attest.serialize import (
    authorization_list_to_dict,
    render_verdict_json,
    verdict_to_dict,
)
from handsetguard.attest.verify import Verdict, Verifier
from handsetguard.errors import HandsetGuardError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "EXIT_INVALID",
    "EXIT_UNUSABLE",
    "EXIT_VALID",
    "attest_command",
    "parse_time",
    "status_refresh_command",
]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2


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
    if path is not None:
        return load_status_list(path)
    cached = default_cache_path()
    return load_status_list(cached) if cached.is_file() else None


def _trust(roots: str | None, unsafe_trust_root: str | None) -> TrustStore:
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


def _age(revocation: RevocationResult) -> str:
    if revocation.fetched_at is None or revocation.age is None:
        return "fetch time unknown"
    days = revocation.age.total_seconds() / 86400
    when = f"fetched {revocation.fetched_at:%Y-%m-%d %H:%M} UTC"
    if days >= 0:
        return f"{when}, {days:.1f} days before the verification time"
    return f"{when}, {-days:.1f} days after the verification time"


def render_text(verdict: Verdict, console: Console) -> None:
    """The verdict for people: outcome, reasons, chain, revocation, then the decoded fields."""
    from rich.markup import escape

    data = verdict_to_dict(verdict)
    head = "[bold green]VALID[/]" if verdict.ok else "[bold red]INVALID[/]"
    console.print(f"{head} attestation: {escape(verdict.source)}")
    console.print(f"verified at {verdict.at.isoformat()}; policy: {escape(verdict.policy)}")
    for failure in data["failures"]:
        _reason(console, "[red]✘[/]", failure)
    for notice in data["notices"]:
        _reason(console, "[yellow]•[/]", notice)
    chain = data["chain"]
    root = chain["root"]
    anchor = f"root {escape(root['name'])} ({root['kind']})" if root else "no trusted root"
    console.print(
        f"chain: {len(chain['certificates'])} certificates, {anchor}, "
        f"provisioning {chain['provisioning']}"
    )
    revocation = verdict.revocation
    if revocation.source is None:
        console.print("status list: none")
    else:
        used = "" if revocation.checked else " (not used)"
        console.print(f"status list: {escape(revocation.source)}, {_age(revocation)}{used}")
    if verdict.provisioning_info is not None:
        info = verdict.provisioning_info
        maker = f", manufacturer {escape(info.manufacturer)}" if info.manufacturer else ""
        console.print(
            f"RKP provisioning info: {info.certificates_issued} certificates issued{maker}"
        )
    _key_description(verdict, console)


def _reason(console: Console, mark: str, reason: dict[str, Any], depth: int = 0) -> None:
    from rich.markup import escape

    where = "" if reason["certificate"] is None else f" (certificate {reason['certificate']})"
    console.print(f"{'  ' * depth}{mark} {reason['code']}: {escape(reason['message'])}{where}")
    for cause in reason.get("causes", []):
        _reason(console, mark, cause, depth + 1)


_BYTES_FIELDS = frozenset({"verifiedBootKey", "verifiedBootHash", "moduleHash", "applicationId"})


def _hex(value: str) -> str:
    return base64.b64decode(value).hex() or "(empty)"


def _rows(fields: dict[str, Any]) -> dict[str, str]:
    """Flatten rootOfTrust and attestationApplicationId into one row per sub-field."""
    rows: dict[str, str] = {}
    for name, value in fields.items():
        if name == "attestationApplicationId":
            for index, package in enumerate(value["packages"]):
                rows[f"{name}.package[{index}]"] = (
                    f"{package['name']} (version {package['version']})"
                )
            for index, digest in enumerate(value["signatures"]):
                rows[f"{name}.signature[{index}]"] = _hex(digest)
        elif isinstance(value, dict):
            for sub, item in value.items():
                if isinstance(item, bool):
                    rows[f"{name}.{sub}"] = str(item).lower()
                else:
                    rows[f"{name}.{sub}"] = _hex(item) if sub in _BYTES_FIELDS else str(item)
        elif name in _BYTES_FIELDS:
            rows[name] = _hex(value)
        elif isinstance(value, list):
            rows[name] = ", ".join(str(item) for item in value)
        else:
            rows[name] = "true" if value is True else str(value)
    return rows


def _key_description(verdict: Verdict, console: Console) -> None:
    kd = verdict.key_description
    if kd is None:
        console.print("KeyDescription: not available")
        return
    from rich.table import Table

    console.print(
        f"KeyDescription{'' if verdict.ok else ' (UNVERIFIED)'}: attestation "
        f"v{kd.attestation_version} {kd.attestation_security_level.name}, KeyMint "
        f"v{kd.keymint_version} {kd.keymint_security_level.name}, challenge "
        f"{kd.attestation_challenge.hex()}"
        + (f", uniqueId {kd.unique_id.hex()}" if kd.unique_id else "")
    )
    table = Table()
    table.add_column("field")
    table.add_column("hardware-enforced", overflow="fold")
    table.add_column("software-enforced", overflow="fold")
    hw = _rows(authorization_list_to_dict(kd.hardware_enforced))
    sw = _rows(authorization_list_to_dict(kd.software_enforced))
    for name in [*hw, *(k for k in sw if k not in hw)]:
        table.add_row(name, hw.get(name, ""), sw.get(name, ""))
    console.print(table)


def status_refresh_command(
    output: str | None = None,
    url: str = STATUS_URL,
    timeout: float = 15.0,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Download Google's status list into the cache (or ``output``); 0 on success, 2 if not."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    destination = Path(output) if output is not None else default_cache_path()
    try:
        status = refresh_status_list(destination, url=url, timeout=timeout)
    except HandsetGuardError as exc:
        err.write(f"error: {exc.message}\n")
        if exc.remediation:
            err.write(f"  hint: {exc.remediation}\n")
        return EXIT_UNUSABLE
    out.write(f"saved {len(status.entries)} status entries to {destination}\n")
    return EXIT_VALID
