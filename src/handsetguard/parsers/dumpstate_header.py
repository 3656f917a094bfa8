"""The dumpstate header: build line, fingerprint, kernel command line and bootconfig.

The ``androidboot.*`` parameters there (verifiedbootstate, flash.locked, selinux, …) are the
bootloader's own statement and survive where ``getprop`` lacks them (AOSP
``frameworks/native/cmds/dumpstate/dumpstate.cpp``, ``PrintHeader``).
"""

from __future__ import annotations

from handsetguard.lazyre import lazy_compile
from handsetguard.records import record

__all__ = ["DumpstateHeader", "parse_dumpstate_header"]

_BOOTCONFIG = lazy_compile(r'^\s*(androidboot\.[\w.\-]+)\s*=\s*"?(.*?)"?\s*$')


@record
class DumpstateHeader:
    build: str | None
    fingerprint: str | None
    boot_params: dict[str, str]
    boot_params_line: int | None


def _cmdline_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for token in value.split():
        name, sep, val = token.partition("=")
        if sep and name.startswith("androidboot."):
            params[name] = val
    return params


def parse_dumpstate_header(text: str) -> DumpstateHeader:
    """Parse the header block; missing lines leave their fields ``None``/empty."""
    build = fingerprint = None
    params: dict[str, str] = {}
    params_line: int | None = None
    in_bootconfig = False
    for index, line in enumerate(text.split("\n")):
        if line.startswith("Build: "):
            build = line[7:].strip()
        elif line.startswith("Build fingerprint: "):
            fingerprint = line[19:].strip().strip("'")
        elif line.startswith("Command line: "):
            params.update(_cmdline_params(line[14:]))
            params_line = params_line if params_line is not None else index
        elif line.startswith("Bootconfig: "):
            in_bootconfig = True
            line = line[12:]
            params_line = params_line if params_line is not None else index
        if in_bootconfig:
            match = _BOOTCONFIG.match(line)
            if match is None:
                in_bootconfig = False
            else:
                params[match.group(1)] = match.group(2)
    return DumpstateHeader(build, fingerprint, params, params_line)
