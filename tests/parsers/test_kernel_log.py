"""SELinux records of the kernel log: lines as the Pixel 1 Android 8.1 and Android 9 emulator
kernels print them (real text from the corpus in tests/test_evidence_gaps.py), mode switches."""

from __future__ import annotations

import pytest

from handsetguard.parsers import kernel_log
from handsetguard.parsers.kernel_log import (
    KernelSelinux,
    SelinuxEvent,
    SelinuxEventKind,
    parse_kernel_selinux,
)

# Pixel 1, Android 8.1 (kernel 3.18): CPU and pid columns before the audit record.
PIXEL_DENIAL = (
    "<36>[165630.237842] c1    487 type=1400 audit(1522714016.507:14899): avc: denied { read } "
    'for pid=10005 comm="dumpstate" name="zram0" dev="sysfs" ino=33743 '
    "scontext=u:r:dumpstate:s0 tcontext=u:object_r:sysfs_zram:s0 tclass=dir permissive=0"
)
# Meizu MX6, Android 7.1.1: a permissive domain's denial (says nothing about the global mode).
PERMISSIVE_DENIAL = (
    "<5>[   12.345678] type=1400 audit(1262304012.100:3): avc: denied { read } for pid=412 "
    "scontext=u:r:vendor_daemon:s0 tcontext=u:object_r:block_device:s0 tclass=blk_file "
    "permissive=1"
)
SWITCH_PERMISSIVE = (
    "<5>[  300.000001] type=1404 audit(1522714100.000:15000): enforcing=0 old_enforcing=1 "
    "auid=4294967295 ses=4294967295"
)
SWITCH_ENFORCING = (
    "<5>[  400.000001] type=1404 audit(1522714200.000:15001): enforcing=1 old_enforcing=0 "
    "auid=4294967295 ses=4294967295"
)


def test_exported_members() -> None:
    assert kernel_log.__all__ == [
        "KernelSelinux",
        "SelinuxEvent",
        "SelinuxEventKind",
        "parse_kernel_selinux",
    ]


CORE_DENIAL = (
    "<5>[ 13.000001] type=1400 audit(1262304013.200:4): avc: denied { write } for pid=413 "
    'comm="untrusted" scontext=u:r:untrusted_app:s0:c512,c768 tcontext=u:object_r:sysfs:s0 '
    "tclass=file permissive=1"
)


def _unenforced(
    line: int,
    text: str | None = None,
    kind: SelinuxEventKind = SelinuxEventKind.UNENFORCED_DENIAL,
) -> SelinuxEvent:
    text = PERMISSIVE_DENIAL if text is None else text
    return SelinuxEvent(kind, text[text.index("avc:") :].strip(), line)


def _denial(line: int) -> SelinuxEvent:
    return SelinuxEvent(
        SelinuxEventKind.ENFORCED_DENIAL, PIXEL_DENIAL[PIXEL_DENIAL.index("avc:") :], line
    )


@pytest.mark.parametrize(
    ("lines", "expected", "latest"),
    [
        ([], KernelSelinux(None, None, 0), None),
        (
            [PERMISSIVE_DENIAL, PERMISSIVE_DENIAL],
            KernelSelinux(None, None, 2, None, _unenforced(1)),
            None,
        ),
        (
            [PERMISSIVE_DENIAL, PIXEL_DENIAL],
            KernelSelinux(_denial(1), None, 1, None, _unenforced(0)),
            1,
        ),
        # A core domain (untrusted_app) is never permissive: its unenforced denial is proof.
        (
            [PIXEL_DENIAL, CORE_DENIAL],
            KernelSelinux(
                _denial(0),
                None,
                1,
                _unenforced(1, CORE_DENIAL, SelinuxEventKind.UNENFORCED_CORE_DENIAL),
                _unenforced(1, CORE_DENIAL),
            ),
            1,
        ),
        (
            [PIXEL_DENIAL, SWITCH_PERMISSIVE],
            KernelSelinux(
                _denial(0),
                SelinuxEvent(
                    SelinuxEventKind.SWITCHED_PERMISSIVE,
                    SWITCH_PERMISSIVE[SWITCH_PERMISSIVE.index("enforcing=") :],
                    1,
                ),
                0,
            ),
            1,
        ),
        (
            [SWITCH_PERMISSIVE, SWITCH_ENFORCING, PIXEL_DENIAL.replace("\n", "") + "\r"],
            KernelSelinux(
                _denial(2),
                SelinuxEvent(
                    SelinuxEventKind.SWITCHED_ENFORCING,
                    SWITCH_ENFORCING[SWITCH_ENFORCING.index("enforcing=") :],
                    1,
                ),
                0,
            ),
            2,
        ),
        # "enforcing=1 old_enforcing=1" (a reload, no change) is not a switch
        (
            ["type=1404 audit(1:2): enforcing=1 old_enforcing=1 auid=0"],
            KernelSelinux(None, None, 0),
            None,
        ),
    ],
)
def test_kernel_selinux_records(
    lines: list[str], expected: KernelSelinux, latest: int | None
) -> None:
    result = parse_kernel_selinux("\n".join(lines))
    assert result == expected
    assert (None if result.latest is None else result.latest.line) == latest


def test_long_record_is_cut() -> None:
    result = parse_kernel_selinux(PIXEL_DENIAL.replace('name="zram0"', 'name="' + "z" * 500 + '"'))
    assert result.last_enforced_denial is not None
    assert len(result.last_enforced_denial.text) == 240
    assert result.last_enforced_denial.text.endswith("…")
