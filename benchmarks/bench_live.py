"""Time a full live `check adb` against fake phones that answer every command after 50 ms:
one device (target ≤ 2 s wall) and `check adb --all` on 10 devices (target ≤ 4 s), printing
the adb round trips. Uses the test suite's protocol-level fake adb server and the real
adbutils client, in this process (the CLI's own code path, via tests/cli_runner.py).

Usage: python benchmarks/bench_live.py [--latency 0.05] [--devices 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.adb.replay import example_outputs  # noqa: E402
from tests.cli_runner import run as invoke  # noqa: E402
from tests.fakeadb import FakeAdbServer, FakeDevice, Reply  # noqa: E402


def fake_phone(serial: str, latency: float) -> FakeDevice:
    replies = {
        cmd: out if isinstance(out, Reply) else Reply(stdout=out)
        for cmd, out in example_outputs().items()
    }
    return FakeDevice(serial, replies=replies, model="KS_60_Secure", latency=latency)


def run(args: list[str]) -> tuple[float, int, str]:
    start = time.perf_counter()
    result = invoke(*args)
    return time.perf_counter() - start, result.exit_code, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--devices", type=int, default=10)
    options = parser.parse_args()
    os.environ["ADBUTILS_ADB_PATH"] = "false"  # never start a real adb server
    os.environ["ANDROID_USER_HOME"] = tempfile.mkdtemp()
    with FakeAdbServer([fake_phone("KS60IN0042", options.latency)]) as server:
        os.environ["ANDROID_ADB_SERVER_PORT"] = str(server.port)
        wall, code, _ = run(["check", "adb", "--format", "json"])
        trips = server.round_trips
    print(
        f"check adb, 1 device, {options.latency * 1000:.0f} ms per command: "
        f"{wall:.2f} s wall, {trips} adb round trips, exit {code}  (target <= 2 s)"
    )
    phones = [fake_phone(f"UNIT{i:04d}", options.latency) for i in range(options.devices)]
    with FakeAdbServer(phones) as server:
        os.environ["ANDROID_ADB_SERVER_PORT"] = str(server.port)
        wall, code, out = run(["check", "--all", "--profile", "factory", "--format", "verdict"])
        trips = server.round_trips
    print(
        f"check --all, {options.devices} devices: {wall:.2f} s wall, {trips} adb round trips, "
        f"{len(out.splitlines())} verdicts, exit {code}  (target <= 4 s)"
    )


if __name__ == "__main__":
    main()
