"""Time the indicator index: building it from every corpus indicator set (the bundled Echap set,
Echap's STIX2 bundle and YAML, MVT's test bundles, the mvt-indicators feeds), loading it from
the disk cache, and matching it against a corpus bugreport's device state; with the targets
(build <= 1 s, cached load <= 30 ms, match <= 30 ms) and whether each is met.

Usage: python benchmarks/bench_iocs.py [--runs 7] [--corpus ../shared/corpus]

Each figure is the median of --runs runs in this process (the first, cold cached load, is
reported apart: it pays for the imports and the regex compiles once per process). A
scaling probe matches the same state against the index of the bundled set alone and of
every set: the cost must not grow with the number of indicators.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from handsetguard.sources import open_source  # noqa: E402
from handsetguard.state import build_state  # noqa: E402
from handsetguard.threats.indicators import IndicatorIndex, Places, load_indicators  # noqa: E402

ATV = "device/emulator-atv64-android14-bugreport"
TARGET_BUILD = 1.0
TARGET_CACHED = 0.030
TARGET_MATCH = 0.030


def _median(runs: int, step: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _line(what: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("  ok" if seconds <= target else "  OVER TARGET")
    goal = "" if target is None else f"  (target <= {target * 1000:.0f} ms)"
    print(f"{what:<58} {seconds * 1000:8.1f} ms{goal}{verdict}")  # noqa: T201


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    iocs = args.corpus / "iocs"
    bugreport = next((args.corpus / ATV).glob("*.zip"))
    with tempfile.TemporaryDirectory() as tmp:
        places = Places(Path(tmp) / "data", Path(tmp) / "cache")
        no_cache = Places(Path(tmp) / "data", None)

        def build() -> IndicatorIndex:
            return load_indicators([iocs], places=no_cache, env={})

        index = build()
        print(f"{len(index)} indicators in {len(index.sets)} sets from {iocs}")  # noqa: T201
        _line("index build, every corpus set (no cache)", _median(args.runs, build), TARGET_BUILD)
        load_indicators([iocs], places=places, env={})  # writes the cache
        start = time.perf_counter()
        load_indicators([iocs], places=places, env={})
        _line("cached load, first in this process", time.perf_counter() - start)
        cached = _median(args.runs, lambda: load_indicators([iocs], places=places, env={}))
        _line("cached load (file digests from the stat-checked memo)", cached, TARGET_CACHED)
        memo = places.cache / "iocs-digests.json"  # type: ignore[operator]

        def rehash() -> None:
            memo.unlink(missing_ok=True)
            load_indicators([iocs], places=places, env={})

        _line("cached load, every file read and hashed again", _median(args.runs, rehash))
        state = build_state(open_source(bugreport))
        bundled = load_indicators(places=no_cache, env={})
        match = _median(args.runs, lambda: index.match(state))
        _line(f"match, every set, on {bugreport.name[:30]}…", match, TARGET_MATCH)
        small = _median(args.runs, lambda: bundled.match(state))
        _line(f"match, bundled set alone ({len(bundled)} indicators)", small)
        print(  # noqa: T201
            f"scaling: {len(index) / len(bundled):.1f}x the indicators, "
            f"{match / small:.2f}x the match time"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
