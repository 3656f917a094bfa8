"""The bytes of the adb host protocol the fake server speaks: status replies, length-prefixed
strings, device listings, and shell output framed as shell v1 (raw) or shell protocol v2.

Pure functions of their arguments, so the framing can be read apart from the sockets. References:
AOSP packages/modules/adb ``SERVICES.TXT``, ``OVERVIEW.TXT`` and ``shell_protocol.h``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from tests.fakeadb.device import Reply

__all__ = [
    "OKAY",
    "ShellKind",
    "ShellRequest",
    "block",
    "device_line",
    "fail",
    "parse_length",
    "parse_shell_request",
    "shell_output",
]

OKAY = b"OKAY"
# adbd sends shell output in packets of at most this much data (shell_protocol.h kBufferSize is
# larger; smaller packets exercise the client's reassembly loop).
V2_CHUNK = 16 * 1024
# The v1 client appends this to learn the exit status (adbutils' BaseDevice._shell_v1, and
# handsetguard.adb.transport); the fake strips it and writes the mark itself.
_V1_EXIT_SUFFIX = re.compile(r";\s*echo X4EXIT:\$\?\s*\Z")
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")


class ShellKind(Enum):
    V1 = "shell"  # shell:CMD, stdout and stderr merged, then close
    V2 = "shell,v2"  # shell,v2:CMD, packets with the exit status
    EXEC = "exec"  # exec:CMD, raw stdout only


# shell_protocol.h packet ids
_STDOUT, _STDERR, _EXIT = 1, 2, 3


@dataclass(frozen=True)
class ShellRequest:
    kind: ShellKind
    command: str  # without the v1 exit-status suffix
    exit_mark: bool  # the client asked for X4EXIT:<status> at the end (v1 only)


def block(payload: str | bytes) -> bytes:
    """A length-prefixed string: 4 hex digits, then the bytes."""
    data = payload.encode() if isinstance(payload, str) else payload
    if len(data) > 0xFFFF:
        raise ValueError(f"{len(data)} bytes do not fit a 4-hex-digit length")
    return b"%04x" % len(data) + data


def fail(message: str) -> bytes:
    return b"FAIL" + block(message)


def parse_length(head: bytes) -> int | None:
    """The length of a request from its 4-hex-digit prefix (so at most 64 KiB, well under adb's
    1 MiB MAX_PAYLOAD); None if it is not 4 hex digits (no sign, space or ``0x``)."""
    if not _HEX4.fullmatch(head):
        return None
    return int(head, 16)


def _sanitize(value: str, *, alphanumeric: bool) -> str:
    # transport.cpp sanitize(): model keeps only [A-Za-z0-9], others only printable non-space.
    if alphanumeric:
        return "".join(c if c.isascii() and c.isalnum() else "_" for c in value)
    return "".join(c if c.isprintable() and not c.isspace() else "_" for c in value)


def device_line(
    serial: str,
    state: str,
    *,
    long: bool,
    transport_id: int,
    product: str = "",
    model: str = "",
    device: str = "",
) -> str:
    """One line of ``host:devices`` (``serial\\tstate``) or ``host:devices-l`` (transport.cpp
    append_transport: serial padded to 22, devpath, product/model/device when known, id last)."""
    if not long:
        return f"{serial}\t{state}\n"
    fields = [f"{serial:<22} {state}", f"usb:1-{transport_id}"]
    if product:
        fields.append("product:" + _sanitize(product, alphanumeric=False))
    if model:
        fields.append("model:" + _sanitize(model, alphanumeric=True))
    if device:
        fields.append("device:" + _sanitize(device, alphanumeric=False))
    fields.append(f"transport_id:{transport_id}")
    return " ".join(fields) + "\n"


def parse_shell_request(service: str) -> ShellRequest | None:
    """``shell[,opts]:CMD`` or ``exec:CMD``; None for any other device service."""
    if service.startswith("exec:"):
        return ShellRequest(ShellKind.EXEC, service.removeprefix("exec:"), exit_mark=False)
    head, colon, command = service.partition(":")
    name, *options = head.split(",")
    if not colon or name != "shell":
        return None
    if "v2" in options:
        return ShellRequest(ShellKind.V2, command, exit_mark=False)
    suffix = _V1_EXIT_SUFFIX.search(command)
    if suffix is None:
        return ShellRequest(ShellKind.V1, command, exit_mark=False)
    return ShellRequest(ShellKind.V1, command[: suffix.start()], exit_mark=True)


def _v2_packet(kind: int, data: bytes) -> bytes:
    return bytes([kind]) + len(data).to_bytes(4, "little") + data


def _v2_packets(kind: int, data: bytes, limit: int | None = None) -> bytes:
    """``data`` as packets; with ``limit``, only that many data bytes go out, the packet
    holding the cut announcing its full length (a drop mid-packet)."""
    out = bytearray()
    sent = 0
    for start in range(0, len(data), V2_CHUNK):
        chunk = data[start : start + V2_CHUNK]
        if limit is not None and sent + len(chunk) > limit:
            out += _v2_packet(kind, chunk)[: 5 + limit - sent]
            break
        out += _v2_packet(kind, chunk)
        sent += len(chunk)
    return bytes(out)


def shell_output(request: ShellRequest, reply: Reply) -> bytes:
    """Everything the device sends after OKAY. With ``reply.disconnect_after`` it is cut after
    that many stdout bytes; the caller then drops the connection."""
    limit = reply.disconnect_after
    if request.kind is ShellKind.V2:
        if limit is not None:
            return _v2_packets(_STDOUT, reply.stdout, limit)
        return (
            _v2_packets(_STDOUT, reply.stdout)
            + _v2_packets(_STDERR, reply.stderr)
            + _v2_packet(_EXIT, bytes([reply.exit_code]))
        )
    if limit is not None:
        return reply.stdout[:limit]
    if request.kind is ShellKind.EXEC:
        return reply.stdout
    # Without a pty, v1 sends stderr down the same socket as stdout.
    out = reply.stdout + reply.stderr
    if request.exit_mark:
        out += b"X4EXIT:%d\n" % reply.exit_code
    return out
