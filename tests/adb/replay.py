"""Replay data for live tests: what each collector command prints, taken from a recorded dump.

Outputs come from a dump's own sections (getprop, dumpsys services, ps); `settings list` files
are rendered from the dump's `dumpsys settings` rows, since a bugreport has no `settings list`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from handsetguard.adb.collect import BASE_PLAN, settings_commands
from handsetguard.evidence import Evidence
from handsetguard.parsers.settings import Namespace, parse_dumpsys_settings
from handsetguard.sources import open_source
from tests.fakeadb import Reply

__all__ = ["EXAMPLE_PATH", "example_outputs", "outputs_from_evidence"]

EXAMPLE_PATH = Path(str(resources.files("handsetguard.examples").joinpath("example-bugreport.txt")))

_USERS = b"Users:\n\tUserInfo{0:Owner:c13} running\n"
_MOUNTS = (
    b"/dev/block/dm-4 / ext4 ro,seclabel,relatime 0 0\n"
    b"tmpfs /dev tmpfs rw,seclabel,nosuid,relatime,mode=755 0 0\n"
    b"/dev/block/dm-40 /data f2fs rw,lazytime,seclabel,nosuid,nodev,noatime 0 0\n"
)


def _section_bytes(evidence: Evidence, name: str) -> bytes | None:
    section = evidence.get(name)
    if section is None:
        return None
    end = len(section.data) if section.end is None else section.end
    return bytes(section.data[section.start : end])


def _settings_outputs(evidence: Evidence) -> dict[str, bytes]:
    section = evidence.get("dumpsys:settings")
    if section is None:
        return {}
    settings = parse_dumpsys_settings(section.text)
    outputs: dict[str, bytes] = {}
    for command in settings_commands(0):
        namespace = Namespace(command.section.split(":")[1])
        rows = [s for s in settings if s.namespace is namespace and s.user == 0]
        text = "".join(f"{s.name}={'null' if s.value is None else s.value}\n" for s in rows)
        outputs[command.command] = text.encode()
    return outputs


def outputs_from_evidence(
    evidence: Evidence,
    *,
    date: bytes = b"2025-11-20T14:02:11+0530\n",
    extra: Mapping[str, bytes | Reply] | None = None,
) -> dict[str, bytes | Reply]:
    """Command text → output for every collector command the dump can answer; the rest are
    left to the fake device's default ("inaccessible or not found", exit 127)."""
    outputs: dict[str, bytes | Reply] = {
        "pm list users": _USERS,
        "cat /proc/mounts": _MOUNTS,
        "getenforce": b"Enforcing\n",
    }
    outputs["date +%Y-%m-%dT%H:%M:%S%z"] = date
    for command in BASE_PLAN:
        data = _section_bytes(evidence, command.section)
        if data is not None:
            outputs[command.command] = data
    root_probe = next(c for c in BASE_PLAN if c.name == "root_probe")
    outputs[root_probe.command] = b""
    outputs.update(_settings_outputs(evidence))
    outputs.update(extra or {})
    return outputs


def example_outputs(extra: Mapping[str, bytes | Reply] | None = None) -> dict[str, bytes | Reply]:
    """Replay outputs of the bundled example device, with ``extra`` replies on top."""
    return outputs_from_evidence(open_source(EXAMPLE_PATH), extra=extra)
