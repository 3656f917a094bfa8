"""Build a ``FakeDevice`` from recorded outputs: a mapping of exact command text to the bytes
the phone printed (or a full ``Reply`` where the exit status, stderr or timing matter).

    outputs = {
        "getprop": (FIXTURES / "live" / "ks60-android14" / "getprop.txt").read_bytes(),
        "dumpsys package": Reply(stdout=b"...", exit_code=0, delay=0.2),
    }
    phone = device_from_outputs("KS60A1234", outputs, latency=0.01)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict, Unpack

from tests.fakeadb.device import FakeDevice, Reply, ReplySource

__all__ = ["DeviceOptions", "device_from_outputs"]


class DeviceOptions(TypedDict, total=False):
    """The keyword arguments of ``FakeDevice`` other than ``replies``."""

    state: str
    model: str
    product: str
    device: str
    features: str
    default: Reply | None
    latency: float


def device_from_outputs(
    serial: str, outputs: Mapping[str, bytes | Reply], **options: Unpack[DeviceOptions]
) -> FakeDevice:
    """A device answering each command in ``outputs``: bytes become stdout with exit status 0.

    Unknown commands get ``options["default"]``, else mksh's "inaccessible or not found" (127).
    """
    replies: dict[str, ReplySource] = {
        command: output if isinstance(output, Reply) else Reply(stdout=output)
        for command, output in outputs.items()
    }
    return FakeDevice(serial, replies=replies, **options)
