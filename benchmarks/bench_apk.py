"""Time `handsetguard apk --format json` against androguard's `AnalyzeAPK` and `apksigner
verify --print-certs` on corpus APKs and on a large synthetic APK: wall clock and peak RSS of
each whole command, side by side, in one run, with the ratios and the issue's targets
(>= 20x faster than androguard, <= 1/10 of its peak RSS, faster than apksigner).

Usage: python benchmarks/bench_apk.py [--runs 3] [--corpus ../shared/corpus] [--no-androguard]
                                      [--synthetic-mb 48]

androguard is installed in a throwaway venv (/tmp/handsetguard-bench-androguard) from PyPI
the first time. The interpreter's own start-up and androguard's import are printed first: on
small APKs both tools spend most of their time starting. The synthetic APK is
app-prod-debug.apk with 8 more copies of its classes.dex and a large stored random asset (its
v1/v2 signatures then fail: every tool still reads and hashes the whole file).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from process_stats import byte_compile, measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ANDROGUARD_VERSION = "4.1.4"
VENV = Path("/tmp/handsetguard-bench-androguard")
TARGET_SPEEDUP = 20.0
TARGET_RSS_SHARE = 0.10
PICKS = (
    "androguard/app-prod-debug.apk",
    "androguard/CertChain.apk",
    "androguard/com.teleca.jamendo_35.apk",
    "apkinspector/minimal_orig.apk",
    "androguard-apksig/v1v2v3-with-rsa-2048-lineage-3-signers.apk",
    "androguard-apksig/v2-only-max-sized-eocd-comment.apk",
)


def ensure_androguard() -> Path | None:
    python = VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"installing androguard=={ANDROGUARD_VERSION} into {VENV} …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    done = subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", f"androguard=={ANDROGUARD_VERSION}"],
        check=False,
    )
    return python if done.returncode == 0 else None


def synthetic(base: Path, target: Path, megabytes: int, dex_copies: int = 8) -> Path:
    """``base`` plus ``dex_copies`` more copies of its classes.dex (real classes, many of
    them) and a stored random asset that brings the file to about ``megabytes``."""
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(target, "w") as out:
        dex = b""
        names = source.namelist()
        for info in source.infolist():
            data = source.read(info)
            dex = data if info.filename == "classes.dex" else dex
            out.writestr(info, data)
        first = 1 + sum(n.startswith("classes") and n.endswith(".dex") for n in names)
        for number in range(first, first + dex_copies):
            out.writestr(f"classes{number}.dex", dex, zipfile.ZIP_DEFLATED)
        out.writestr("assets/blob.bin", os.urandom(megabytes << 20), zipfile.ZIP_STORED)
    return target


def best(cmd: list[str], runs: int) -> tuple[float, float, int]:
    results = [measure(cmd) for _ in range(runs)]
    return min(r[0] for r in results), statistics.median(r[1] for r in results), results[0][2]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--no-androguard", action="store_true")
    parser.add_argument("--synthetic-mb", type=int, default=48)
    parser.add_argument(
        "--make-synthetic", nargs=2, metavar=("BASE", "TARGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.make_synthetic:
        synthetic(Path(args.make_synthetic[0]), Path(args.make_synthetic[1]), args.synthetic_mb)
        return 0
    byte_compile()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    floor = best([str(ROOT / ".venv" / "bin" / "python"), "-c", "pass"], args.runs)
    print(f"the interpreter alone (python -c pass): {floor[0]:.3f} s, {floor[1]:.1f} MiB")
    apks = [args.corpus / "apk" / p for p in PICKS if (args.corpus / "apk" / p).exists()]
    androguard = None if args.no_androguard else ensure_androguard()
    if androguard is not None:
        alone = best([str(androguard), "-c", "import androguard.misc"], args.runs)
        print(f"androguard's import alone: {alone[0]:.3f} s, {alone[1]:.1f} MiB")
    ours = [str(ROOT / ".venv" / "bin" / "handsetguard"), "apk", "--format", "json"]
    with tempfile.TemporaryDirectory(prefix="handsetguard-bench-apk-") as folder:
        if apks and args.synthetic_mb:
            # Built by a child process: a forked child's peak RSS counts what the parent held
            # before exec, so the parent never holds the synthetic file's bytes.
            target = Path(folder) / f"synthetic-{args.synthetic_mb}mb.apk"
            subprocess.run(
                [sys.executable, __file__, "--make-synthetic", str(apks[0]), str(target)],
                check=True,
            )
            apks.append(target)
        print(f"{'apk':<46} {'tool':<11} {'wall s':>8} {'RSS MiB':>8} {'rc':>3}")
        for apk in apks:
            rows = {"handsetguard": best([*ours, str(apk)], args.runs)}
            rows["apksigner"] = best(["apksigner", "verify", "--print-certs", str(apk)], args.runs)
            if androguard is not None:
                code = "import sys; from androguard.misc import AnalyzeAPK; AnalyzeAPK(sys.argv[1])"
                rows["androguard"] = best([str(androguard), "-c", code, str(apk)], 1)
            for tool, (wall, rss, rc) in rows.items():
                print(f"{apk.name[:46]:<46} {tool:<11} {wall:8.3f} {rss:8.1f} {rc:3d}")
            ours_wall, ours_rss, _ = rows["handsetguard"]
            if "androguard" in rows:
                speedup = rows["androguard"][0] / ours_wall
                share = ours_rss / rows["androguard"][1]
                print(
                    f"{'':<46} vs androguard: {speedup:.1f}x faster "
                    f"({'meets' if speedup >= TARGET_SPEEDUP else 'misses'} {TARGET_SPEEDUP:g}x), "
                    f"RSS {share:.2f} ({'meets' if share <= TARGET_RSS_SHARE else 'misses'} "
                    f"{TARGET_RSS_SHARE:g})"
                )
            print(f"{'':<46} vs apksigner: {rows['apksigner'][0] / ours_wall:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
