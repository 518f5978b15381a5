#!/usr/bin/env python3
"""The engine's cost per message: the criterion micro-benchmarks of
benches/engine.rs (parse and plan a request, write its response; the user
function excluded), run through cargo and read back from criterion's files.

    python bench/engine_bench.py [--quick] [--json out.json]

run.py runs this too, after the loads. Needs cargo (the repository's Rust
toolchain); the first run compiles the engine with the release profile.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import targets
from server import Skip

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--warm-up-time", "1", "--measurement-time", "2"]


def criterion_dir():
    # cargo runs in ROOT, so a relative CARGO_TARGET_DIR is relative to it.
    return ROOT / (os.environ.get("CARGO_TARGET_DIR") or "target") / "criterion"


def measure(quick=False):
    """Runs `cargo bench --bench engine`; one row per benchmark, in µs."""
    cargo = shutil.which("cargo")
    if cargo is None:
        raise Skip("cargo not found (install the Rust toolchain)")
    started = time.time()
    done = subprocess.run(
        [cargo, "bench", "--bench", "engine", "--", *(QUICK if quick else [])], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"cargo bench failed (exit {done.returncode}):\n{tail}")
    rows = []
    for new in sorted(criterion_dir().glob("*/new")):
        bench, estimates = new / "benchmark.json", new / "estimates.json"
        # Criterion keeps every benchmark it ever ran: only this run's count.
        if not estimates.exists() or estimates.stat().st_mtime < started - 1:  # coarse file times
            continue
        mean = json.loads(estimates.read_text())["mean"]
        ci = mean["confidence_interval"]
        rows.append(
            {
                "benchmark": json.loads(bench.read_text())["full_id"],
                "mean_us": mean["point_estimate"] / 1000,
                "ci_low_us": ci["lower_bound"] / 1000,
                "ci_high_us": ci["upper_bound"] / 1000,
            }
        )
    if not rows:
        raise RuntimeError(f"cargo bench ran but left no results under {criterion_dir()}")
    return rows


def target_results(rows):
    """The per-message target for the tools/call benchmarks, in run.py's form."""
    return [
        targets.result("engine", f"µs per message, {r['benchmark']}", "<=", targets.ENGINE_US_PER_MESSAGE, r["mean_us"])
        for r in rows
        if r["benchmark"] in targets.ENGINE_MESSAGES
    ]


def print_table(rows):
    w = max([9] + [len(r["benchmark"]) for r in rows])
    print(f"{'benchmark':<{w}} {'mean µs':>8}   95% interval")
    for r in rows:
        print(f"{r['benchmark']:<{w}} {r['mean_us']:>8.2f}   {r['ci_low_us']:.2f}–{r['ci_high_us']:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="1 s warm-up and 2 s of samples per benchmark")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = p.parse_args()
    try:
        rows = measure(args.quick)
    except Skip as e:
        sys.exit(f"not measured: {e}")
    print_table(rows)
    results = target_results(rows)
    for t in results:
        print(targets.line(t))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": rows}, f, indent=2)
    return 0 if all(t["verdict"] == "PASS" for t in results) else 1


if __name__ == "__main__":
    sys.exit(main())
