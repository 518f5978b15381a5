#!/usr/bin/env python3
"""Throughput ratios to the floor that the machine's noise cannot move much:
each system and the floor are loaded at the same time, on one shared core.

    python bench/paired.py [--only NAME,...] [--rounds N] [--restarts N] [--duration S]
                           [--connections C] [--json out.json] [--python PATH]
                           [--baseline DIR_OR_GIT_REVISION]

run.py loads one system after the other, and on this shared 2-core machine
the floor alone moved by 30% between two sittings a few minutes apart, which
makes "x floor" swing as much. Here a system and the floor run side by side:
both servers (every thread) are pinned to CPU 0 and both wrk processes to
CPU 1, and the two loads run during the same seconds. The kernel shares CPU 0
fairly between two busy single-threaded processes, so each server gets half
of whatever the core gives in those seconds, and the ratio of their req/s is
the ratio of their costs per request, kernel work included. A second copy of
the floor paired with the floor measures the method's own error (it should
read 1.00).

Each server process hashes strings with its own random seed and lays out
its memory its own way, which moves its cost per request by 1-3% for as
long as it runs: rounds against the same two processes share that offset.
--restarts N starts both servers N times and pools the rounds of all, so
the median is taken over N draws of it as well.

Sync systems use worker threads, and the kernel shares the core per thread:
such a server can get more than half of it. "x CPU" (CPU time per request,
floor's over the system's, from /proc) does not depend on the sharing; read
that one for them.

--baseline pairs each system with itself from another django-mcp (a
directory, or a git revision built once: bench/baseline.py) instead of with
the floor: "x baseline" is then this tree's req/s over the baseline's, the
way to tell whether a change made django-mcp faster by more than the noise.

Needs 2 CPUs, wrk and taskset (util-linux), like run.py.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import baseline as baselines
from load import LUA, require_wrk, wrk
from mcp_http import check_add
from server import Server, Skip, importable, server_env
from systems import SYSTEMS, select

SERVER_CPU, LOAD_CPU = "0", "1"


def parse_args():
    names = [s.name for s in SYSTEMS if s.name != "floor"]
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--only",
        help="comma-separated systems to pair with the floor: "
        + ",".join(names)
        + " (default: floor, django-json-async, django-json-sync)",
    )
    p.add_argument("--rounds", type=int, default=5, help="paired loads per system (default 5); the median is reported")
    p.add_argument("--duration", type=int, default=4, help="seconds per paired load (default 4)")
    p.add_argument(
        "--restarts",
        type=int,
        default=1,
        help="start both servers this many times per system, --rounds each time, and pool the rounds (default 1)",
    )
    p.add_argument("--connections", type=int, default=32, help="wrk connections per server (default 32)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the servers")
    p.add_argument(
        "--baseline",
        metavar="DIR_OR_REV",
        help="pair each system with itself from this django-mcp (a directory holding django_mcp, "
        "a checkout, or a git revision to export and build) instead of with the floor",
    )
    return p.parse_args()


def pin(pid, cpus, tries=5):
    """Every thread of `pid`, present and future, onto `cpus`. taskset fails
    when a thread ends while it walks them (a server starting its worker
    threads): then it is asked again."""
    for attempt in range(tries):
        done = subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], capture_output=True, text=True)
        if done.returncode == 0:
            return
        time.sleep(0.1 * (attempt + 1))
    raise RuntimeError(f"taskset could not pin {pid} to CPU {cpus}: {done.stderr.strip()}")


def cpu_seconds(pid):
    """(user, system) CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def per_request_us(result, seconds_key):
    """CPU seconds of one wrk result (`cpu_s`, `sys_s`) per request, in µs."""
    return 1e6 * result[seconds_key] / max(result["requests"], 1)


def paired_load(servers, seconds, connections):
    """Loads every server at once, each with its own wrk on LOAD_CPU; returns
    per-server wrk results plus the CPU seconds each server used."""
    results = [None] * len(servers)
    errors = []

    def load(i, srv):
        try:
            system = srv.system
            results[i] = wrk(
                srv.url,
                system.tool,
                connections,
                seconds,
                threads=1,
                cpus=LOAD_CPU,
                revision=system.revision,
                script=system.script or LUA,
                script_args=system.script_args or None,
            )
        except Exception as e:
            errors.append(f"{srv.system.name}: {e}")

    before = [cpu_seconds(s.proc.pid) for s in servers]
    threads = [threading.Thread(target=load, args=(i, s)) for i, s in enumerate(servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    for r, srv, (user0, sys0) in zip(results, servers, before, strict=True):
        user1, sys1 = cpu_seconds(srv.proc.pid)
        r["user_s"], r["sys_s"] = user1 - user0, sys1 - sys0
        r["cpu_s"] = r["user_s"] + r["sys_s"]
    return results


def pair(python, floor, system, args, floor_path=None):
    """Rounds of `floor` (the reference: the floor, or with `floor_path` the
    same system from the baseline's django-mcp) and `system` loaded at once."""
    with Server(python, floor, pythonpath=floor_path) as a, Server(python, system) as b:
        for srv in (a, b):
            check_add(srv.url, srv.system.tool, srv.system.revision)
            pin(srv.proc.pid, SERVER_CPU)
        paired_load([a, b], 2, args.connections)  # warm-up: lazy imports, caches; discarded
        rounds = []
        for n in range(1, args.rounds + 1):
            fl, sy = paired_load([a, b], args.duration, args.connections)
            ratio = sy["rps"] / fl["rps"]
            rounds.append(
                {
                    "round": n,
                    "floor_rps": fl["rps"],
                    "rps": sy["rps"],
                    "ratio": ratio,
                    "floor_us_cpu": per_request_us(fl, "cpu_s"),
                    "us_cpu": per_request_us(sy, "cpu_s"),
                    "floor_us_sys": per_request_us(fl, "sys_s"),
                    "us_sys": per_request_us(sy, "sys_s"),
                    "errors": fl["errors"] + sy["errors"],
                    "p99_ms": sy["p99_ms"],
                    "floor_p99_ms": fl["p99_ms"],
                }
            )
            print(
                f"   round {n}: {'baseline' if floor_path else 'floor'} {fl['rps']:7,.0f} req/s, {system.name} {sy['rps']:7,.0f} req/s, "
                f"ratio {ratio:.3f}" + (f", errors {rounds[-1]['errors']}" if rounds[-1]["errors"] else ""),
                flush=True,
            )
        return rounds


def summary(name, rounds):
    ratios = [r["ratio"] for r in rounds]
    return {
        "system": name,
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "cpu_ratio": statistics.median(r["floor_us_cpu"] / r["us_cpu"] for r in rounds),
        "us_cpu": statistics.median(r["us_cpu"] for r in rounds),
        "floor_us_cpu": statistics.median(r["floor_us_cpu"] for r in rounds),
        "us_sys": statistics.median(r["us_sys"] for r in rounds),
        "floor_us_sys": statistics.median(r["floor_us_sys"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
        "rounds": rounds,
    }


def main():
    args = parse_args()
    require_wrk()
    if not shutil.which("taskset"):
        sys.exit("taskset not found: it comes with util-linux (apt-get install -y util-linux)")
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("paired.py needs two CPUs: one for the servers, one for the load generators")
    if importable(args.python, "uvicorn"):
        sys.exit(f"{args.python} has no uvicorn: pip install -r bench/requirements.txt")
    floor = next(s for s in SYSTEMS if s.name == "floor")
    base_path = None
    wanted = args.only or (
        "django-json-async,django-json-sync" if args.baseline else "floor,django-json-async,django-json-sync"
    )
    if args.baseline:
        # Only the django-mcp systems differ between two django-mcps.
        systems = [s for n in wanted.split(",") for s in select(SYSTEMS, n) if s.name.startswith("django")]
        if not systems:
            sys.exit(f"--baseline compares django-mcp systems, and --only {wanted} names none")
        try:
            base_path = baselines.prepare(args.baseline)
            # Where the two servers of the first pair will import django_mcp from.
            theirs = baselines.imported_from(args.python, server_env(systems[0], base_path))
            ours = baselines.imported_from(args.python, server_env(systems[0]))
        except (ValueError, OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"--baseline: {e}")
        print(
            f"baseline: django_mcp from {theirs}\nmeasured: django_mcp from {ours}"
            + ("  (the same: this measures the method's own error)" if theirs == ours else ""),
            flush=True,
        )
    else:
        # "floor" here means: the floor paired with a second copy of itself.
        systems = [
            replace(floor, name="floor (2nd copy)") if n == "floor" else s
            for n in wanted.split(",")
            for s in select(SYSTEMS, n)
        ]
    reference = "baseline" if base_path else "floor"
    print(
        f"{args.rounds} paired loads of {args.duration} s per system"
        + (f" for each of {args.restarts} server starts" if args.restarts > 1 else "")
        + f" at {args.connections} connections; "
        f"servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}",
        flush=True,
    )
    rows, failed = [], {}
    for system in systems:
        print(f"== {reference} + {system.name}", flush=True)
        try:
            # The reference is sent the same request as the system it is paired with.
            other = system if base_path else replace(floor, revision=system.revision)
            rounds = []
            for start in range(1, args.restarts + 1):
                if args.restarts > 1:
                    print(f"   servers started afresh ({start} of {args.restarts})", flush=True)
                rounds += pair(args.python, other, system, args, floor_path=base_path)
            rows.append(summary(system.name, rounds))
        except (Skip, RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as e:
            failed[system.name] = str(e)
            print(f"   not measured: {e}", flush=True)

    w = max([18] + [len(r["system"]) for r in rows])
    head = "x base" if base_path else "x floor"
    print(
        f"\n{'system':<{w}} {head:>7} {'min':>6} {'max':>6} {'CPU us/req':>10} {'kernel':>6} "
        f"{head[2:]:>7} {'kernel':>6} {'x CPU':>6} {'errors':>6}"
    )
    for r in rows:
        print(
            f"{r['system']:<{w}} {r['median']:>7.2f} {r['min']:>6.2f} {r['max']:>6.2f} "
            f"{r['us_cpu']:>10.1f} {r['us_sys']:>6.1f} {r['floor_us_cpu']:>7.1f} {r['floor_us_sys']:>6.1f} "
            f"{r['cpu_ratio']:>6.2f} {r['errors']:>6}"
        )
    ref = f"the baseline's ({args.baseline})" if base_path else "the floor's"
    print(f"{head}: median over the rounds of (system req/s / {ref} req/s), both loaded at once on one core")
    print(f"CPU us/req: user + system time per request (kernel: the system part), the system's then {ref}")
    print(f"x CPU:   median of ({ref} CPU time per request / the system's), from /proc; it does not rely on")
    print("         the kernel sharing the core fairly, which a server with worker threads can upset")
    if args.json:
        meta = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": args.duration,
            "rounds": args.rounds,
            "restarts": args.restarts,
            "connections": args.connections,
            "reference": reference,
            "baseline": args.baseline,
            "baseline_path": base_path and str(base_path),
        }
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": rows, "failed": failed}, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
