#!/usr/bin/env python3
"""The bench's one command: tools/call throughput, memory per session, engine time.

Throughput and latency of MCP servers, one uvicorn worker each, then memory
per idle session and the engine's time per message.

    python bench/run.py [--quick] [--duration S] [--only NAME,...]
                        [--rounds N] [--sessions N] [--json out.json] [--python PATH]

Every system is started, checked, loaded with wrk at 1 and 32 connections and
stopped in one sitting, so the ratios to the floor are taken on the same
(noisy, 2-core) machine state. After the loads it measures KiB per idle
session in stateful mode (sessions.py) and runs the engine's criterion
benchmarks (engine_bench.py, through cargo), and prints every target's
verdict. `--only` picks systems and, by the names `sessions` and `engine`,
those two parts; without it everything runs. Only this script's stdlib is
needed here; the servers run under --python, which must have
bench/requirements.txt installed.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import engine_bench
import sessions as session_bench
import targets
from load import require_wrk, wrk
from mcp_http import check_add
from server import Server, Skip, importable
from systems import SYSTEMS, floor_for, select

CONNECTIONS = (1, 32)
VERSIONS = """
import importlib.metadata as m, json, sys
out = {"python": sys.version.split()[0]}
for d in ("uvicorn", "uvloop", "httptools", "mcp", "fastmcp", "Django", "django-mcp"):
    try: out[d] = m.version(d)
    except m.PackageNotFoundError: pass
print(json.dumps(out))
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--quick", action="store_true", help="2 s per load, 1 s warm-up, 2 s of samples per engine benchmark"
    )
    p.add_argument("--duration", type=int, help="seconds per load (default 5, --quick 2)")
    p.add_argument(
        "--only",
        help="comma-separated systems: "
        + ",".join(s.name for s in SYSTEMS)
        + ", and the parts "
        + ",".join(PARTS)
        + " (default: the default systems and both parts)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the loads N times and keep each row's best round: other "
        "processes only ever slow a system down, so the best is the least noisy",
    )
    p.add_argument(
        "--sessions",
        type=int,
        default=1000,
        metavar="N",
        help="idle sessions opened per stateful server for KiB per session (default 1000)",
    )
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the servers")
    args = p.parse_args()
    if args.sessions < 1:
        p.error("--sessions must be at least 1 (leave the part out with --only instead)")
    return args


#: What runs besides the loads, by its --only name.
PARTS = ("sessions", "engine")


def split_only(only):
    """--only as (the systems' part of it, or None for the defaults; the parts to run)."""
    if not only:
        return None, set(PARTS)
    wanted = only.split(",")
    systems = [w for w in wanted if w not in PARTS]
    return ",".join(systems), set(wanted) & set(PARTS)


def measure(python, system, seconds, warmup):
    with Server(python, system) as srv:
        check_add(srv.url, system.tool, system.revision)
        wrk(srv.url, system.tool, max(CONNECTIONS), warmup, revision=system.revision)  # lazy imports, caches; discarded
        rows = []
        for conns in CONNECTIONS:
            row = {"system": system.name, **wrk(srv.url, system.tool, conns, seconds, revision=system.revision)}
            row["rss_mib"] = srv.rss_kib() / 1024
            rows.append(row)
            print(
                f"   {conns:>2} conns: {row['rps']:9,.0f} req/s  p99 {row['p99_ms']:.2f} ms  errors {row['errors']}",
                flush=True,
            )
        return rows


def cpu_busy(seconds=1.0):
    """Fraction of all CPUs busy over `seconds` (from /proc/stat): other work
    on this 2-core machine is the main source of noise."""

    def sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def best_rounds(rows):
    """Per (system, connections), the round with the highest req/s."""
    best = {}
    for r in rows:
        key = (r["system"], r["connections"])
        if key not in best or r["rps"] > best[key]["rps"]:
            best[key] = r
    return list(best.values())


def add_ratios(rows):
    by = {(r["system"], r["connections"]): r for r in rows}
    measured = {}  # connections -> the systems measured at that count
    for name, conns in by:
        measured.setdefault(conns, set()).add(name)
    for r in rows:
        floor = by.get((floor_for(r["system"], measured[r["connections"]]), r["connections"]))
        sdk = by.get(("sdk", r["connections"]))
        r["rps_vs_floor"] = r["rps"] / floor["rps"] if floor else None
        r["rps_vs_sdk"] = r["rps"] / sdk["rps"] if sdk else None
        r["p99_vs_floor"] = r["p99_ms"] / floor["p99_ms"] if floor and floor["p99_ms"] else None


def print_table(rows):
    def ratio(v):
        return f"{v:.2f}" if v is not None else "-"

    w = max([18] + [len(r["system"]) for r in rows])
    print(
        f"\n{'system':<{w}} {'conns':>5} {'req/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'RSS MiB':>7} {'x floor':>7} {'x sdk':>6}"
    )
    for r in rows:
        print(
            f"{r['system']:<{w}} {r['connections']:>5} {r['rps']:>9,.0f} {r['p50_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {r['errors']:>6} {r['rss_mib']:>7.1f} "
            f"{ratio(r['rps_vs_floor']):>7} {ratio(r['rps_vs_sdk']):>6}"
        )
    for r in rows:
        if r["errors"]:
            print(
                f"!! {r['system']} @{r['connections']}: {r['http_errors']} HTTP >= 400, "
                f"{r['socket_errors']} socket errors (connect/read/write/timeout)"
            )


def check_targets(rows):
    by = {r["system"]: r for r in rows if r["connections"] == targets.TARGET_CONNECTIONS}
    out = []
    for system, what, op, bound in targets.THROUGHPUT:
        if system not in by:
            continue  # not in this run (--only)
        out.append(targets.result(system, what, op, bound, by[system].get(what)))
    return out


def main():
    args = parse_args()
    only_systems, parts = split_only(args.only)
    systems = select(SYSTEMS, only_systems) if only_systems != "" else []
    if systems:
        require_wrk()
    if importable(args.python, "uvicorn"):
        sys.exit(f"{args.python} has no uvicorn: pip install -r bench/requirements.txt")
    seconds = args.duration or (2 if args.quick else 5)
    warmup = 1 if args.quick else 2
    versions = json.loads(subprocess.check_output([args.python, "-c", VERSIONS], text=True))
    busy = cpu_busy()
    loads = f"{seconds} s per load, {warmup} s warm-up, {args.rounds} round(s), " if systems else ""
    print(
        f"{loads}{os.cpu_count()} CPUs {busy:.0%} busy before start; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    if busy > 0.15:
        print("!! the machine is busy: expect noise, consider --rounds 3")

    runs, skipped, failed = [], {}, {}
    for round_ in range(1, args.rounds + 1):
        for system in [s for s in systems if s.name not in skipped and s.name not in failed]:
            print(f"== {system.name}" + (f" (round {round_})" if args.rounds > 1 else ""), flush=True)
            try:
                runs += [{**r, "round": round_} for r in measure(args.python, system, seconds, warmup)]
            except Skip as e:
                skipped[system.name] = str(e)
                print(f"   skipped: {e}")
            except (RuntimeError, OSError, ValueError) as e:
                failed[system.name] = str(e)
                print(f"   FAILED: {e}")

    rows = best_rounds(runs)
    add_ratios(rows)
    if rows:
        print_table(rows)
    results = check_targets(rows) if any(r["system"].startswith("django-") for r in rows) else []

    session_rows, engine_rows = [], []
    if "sessions" in parts:
        print(f"\n== sessions: {args.sessions} idle sessions per stateful server", flush=True)
        session_rows, not_measured = session_bench.measure_all(args.python, args.sessions)
        skipped.update({f"sessions ({name})": why for name, why in not_measured.items()})
        if session_rows:
            session_bench.print_table(session_rows)
        results += session_bench.target_results(session_rows)
    if "engine" in parts:
        print("\n== engine: cargo bench --bench engine" + (" (quick)" if args.quick else ""), flush=True)
        try:
            engine_rows = engine_bench.measure(args.quick)
            engine_bench.print_table(engine_rows)
            results += engine_bench.target_results(engine_rows)
        except Skip as e:
            skipped["engine"] = str(e)
        except (RuntimeError, OSError) as e:
            failed["engine"] = str(e)

    if results:
        print(
            "\ntargets"
            + (
                f" (throughput and p99 at {targets.TARGET_CONNECTIONS} connections, against the "
                "floor and the SDK of this run)"
                if rows
                else ""
            )
            + ":"
        )
        for t in results:
            print("  " + targets.line(t))
    for name, why in {**skipped, **failed}.items():
        print(f"not measured: {name}: {why}")

    if args.json:
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": seconds,
            "warmup": warmup,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "cpu_busy_at_start": busy,
            "versions": versions,
        }
        with open(args.json, "w") as f:
            json.dump(
                {
                    "meta": meta,
                    "results": rows,
                    "sessions": session_rows,
                    "engine": engine_rows,
                    "targets": results,
                    "runs": runs,
                    "skipped": skipped,
                    "failed": failed,
                },
                f,
                indent=2,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
