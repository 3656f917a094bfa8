"""``activation verify``: a signed activation checked offline (only ``cryptography`` is
needed), and with a revocation list that is fresh enough; and the bounded reading of the
files the service's commands are given."""

from __future__ import annotations

import argparse

from handsetguard.cli.common import EXIT_INVALID, EXIT_USAGE, say
from handsetguard.errors import HandsetGuardError

__all__ = ["activation_verify", "parse_age", "read_input"]

MAX_ACTIVATION_BYTES = 1024 * 1024
MAX_LIST_BYTES = 64 * 1024 * 1024


def read_input(path: str, what: str, limit: int) -> bytes:
    """A file given on the command line, bounded; errors name the file and what it is."""
    from pathlib import Path

    from handsetguard.boundedio import read_bounded
    from handsetguard.errors import UsageError

    try:
        return read_bounded(Path(path), limit, UsageError)
    except UsageError as exc:
        raise UsageError(f"{what} {exc.message}") from None


def activation_verify(
    file: str,
    public_key: str,
    revocations: str | None = None,
    as_json: bool = False,
    max_list_age: float = 7.0,
) -> int:
    """Verify a signed activation offline (and, with --revocations, that it is not revoked:
    the list must be younger than --max-list-age and than the activation)."""
    import json
    from datetime import timedelta

    from handsetguard.server.core.envelope import EnvelopeError
    from handsetguard.server.core.offline import (
        StaleListError,
        load_keys,
        read_activation_text,
        verify_activation,
    )
    from handsetguard.textsafe import json_text, visible

    try:
        keys = load_keys(read_input(public_key, "public key", MAX_ACTIVATION_BYTES))
        text = read_activation_text(read_input(file, "activation", MAX_ACTIVATION_BYTES))
        listed = (
            read_input(revocations, "revocation list", MAX_LIST_BYTES).decode("utf-8", "replace")
            if revocations
            else None
        )
    except HandsetGuardError as exc:
        from handsetguard.cli.server_env import fail

        raise fail(exc) from exc
    except EnvelopeError as exc:
        say(f"error: {visible(str(exc))}", err=True)
        return EXIT_USAGE
    try:
        verified = verify_activation(text, keys, listed, max_list_age=timedelta(days=max_list_age))
    except StaleListError as exc:
        say(f"error: {visible(str(revocations))}: {visible(str(exc))}", err=True)
        return EXIT_USAGE
    except EnvelopeError as exc:
        say(f"INVALID ({visible(str(exc.code))}): {visible(str(exc))}", err=True)
        return EXIT_INVALID
    if as_json:
        document = {
            "valid": verified.revoked is None,
            "kid": verified.kid,
            "revoked": verified.revoked,
            "payload": verified.payload,
        }
        say(json_text(json.dumps(document)))
    else:
        device = verified.payload.get("device", {})
        fields = (
            verified.kid,
            device.get("serial"),
            device.get("imei1"),
            device.get("model_code"),
            device.get("territory"),
            verified.payload.get("issued_at"),
        )
        kid, serial, imei, model, territory, issued = (visible(str(f)) for f in fields)
        say(
            f"VALID signature (key {kid}): device {serial} IMEI {imei} model {model} "
            f"territory {territory} issued {issued}"
        )
    if verified.revoked is not None:
        say(f"REVOKED: {visible(str(verified.revoked))}", err=True)
        return EXIT_INVALID
    return 0


def parse_age(text: str) -> float:
    """An age as days: ``7``, ``7d``, ``36h`` or ``90m`` (more than zero)."""
    units = {"d": 1.0, "h": 1 / 24, "m": 1 / 1440}
    scale = units.get(text[-1:].lower(), 0.0)
    number = text[:-1] if scale else text
    try:
        days = float(number) * (scale or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (e.g. 7d, 36h, 90m)") from None
    if not 0 < days < 100_000:
        raise argparse.ArgumentTypeError(f"not an age: {text!r} (more than zero)")
    return days
