"""The audit commands of ``server``: ``audit verify [--checkpoint FILE]`` and ``audit
checkpoint [-o FILE]`` (see services/checkpoints.py for what a checkpoint proves)."""

from __future__ import annotations

from handsetguard.cli.common import EXIT_INVALID, EXIT_USAGE, say
from handsetguard.errors import HandsetGuardError

__all__ = ["audit_checkpoint", "audit_verify"]

MAX_CHECKPOINT_BYTES = 64 * 1024


def audit_verify(database_url: str | None = None, checkpoint: str | None = None) -> int:
    """Recompute the audit log's hash chain and, with --checkpoint, check that the log still
    holds every entry that signed checkpoint saw, unchanged; exit 1 if it was tampered with."""
    from handsetguard.cli.activation import read_input
    from handsetguard.cli.server_env import database, fail
    from handsetguard.server.core.envelope import EnvelopeError
    from handsetguard.server.services import checkpoints
    from handsetguard.server.services.audit import verify_chain
    from handsetguard.textsafe import visible

    text = None
    if checkpoint is not None:
        try:
            data = read_input(checkpoint, "checkpoint", MAX_CHECKPOINT_BYTES)
        except HandsetGuardError as exc:
            raise fail(exc) from exc
        text = data.decode("utf-8", "replace")
    with database(database_url) as db, db.read() as session:
        if text is None:
            report, seen = verify_chain(session), None
        else:
            try:
                seen, report = checkpoints.verify_against(session, text)
            except EnvelopeError as exc:
                say(f"error: checkpoint {visible(str(checkpoint))}: {visible(str(exc))}", err=True)
                return EXIT_USAGE
    if report.ok:
        anchored = (
            ""
            if seen is None
            else f"; holds the {seen.tree_size} entries of the checkpoint of {seen.issued_at}"
        )
        say(f"audit log OK: {report.entries} entries, head {report.head_hash}{visible(anchored)}")
        return 0
    say(
        f"audit log BROKEN at entry {report.first_bad_seq}: {visible(str(report.problem))}",
        err=True,
    )
    return EXIT_INVALID


def audit_checkpoint(database_url: str | None = None, output: str | None = None) -> int:
    """Sign a checkpoint of the audit log (size, head hash, time) with the audit key; keep
    it outside the database, and check the log against it with audit verify --checkpoint."""
    from handsetguard.cli.common import write_atomic
    from handsetguard.cli.server_env import database, fail, vault
    from handsetguard.server.clock import SystemClock
    from handsetguard.server.services import checkpoints

    keys = vault(database_url)
    with database(database_url) as db:
        text = checkpoints.issue_checkpoint(db, keys, SystemClock().now())
    try:
        write_atomic(output or "-", text + "\n", "checkpoint")
    except HandsetGuardError as exc:
        raise fail(exc) from exc
    return 0
