#!/usr/bin/env python3
"""What the audit log and rate limits cost a tools/call, measured as pairs
loaded at once on one core (the method of paired.py), on the Django project
of bench/auth.py (bench/apps/auth_bench, SQLite):

- the audit log and rate limits (per caller and global) both on, against both off;
- each alone, against both off.

    python bench/operations.py [--rounds N] [--duration S] [--connections C] [--json out.json]
                               [--redis redis://127.0.0.1:6379/0]

Rate limits count in the process's own cache unless --redis names a Redis
server to count in (as several processes would). The audit log is written to
SQLite, in the server's own process (its inserts are the server's CPU time),
unless --postgres names a database. Needs wrk, taskset and two CPUs.
"""

import argparse
import subprocess
import sys
import tempfile

from auth import PROJECT, database_env, pair, prepare, summary, write_json
from load import require_wrk
from paired import LOAD_CPU, SERVER_CPU
from server import Skip, importable
from systems import System


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3, help="paired loads per pair (default 3); the median is reported")
    p.add_argument("--duration", type=int, default=4, help="seconds per paired load (default 4)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections per server (default 32)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the servers")
    p.add_argument("--redis", metavar="URL", help="count the rate limits in this Redis instead of in the process")
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="an empty PostgreSQL database (postgresql://user@host:port/name) for the audit log instead of SQLite",
    )
    p.add_argument("--only", help="comma-separated pairs to run: both, audit, throttle (default: all)")
    return p.parse_args()


def system(name, env, audit=False, throttle=False, redis=None):
    switches = {"BENCH_AUDIT": "1" if audit else "0", "BENCH_THROTTLE": "1" if throttle else "0"}
    if redis:
        switches["BENCH_REDIS"] = redis
    return System(name, **PROJECT, tool="add", env={**database_env(env), **switches}, script_args=("add", "2025-06-18"))


def main():
    args = parse_args()
    require_wrk()
    if importable(args.python, "uvicorn"):
        sys.exit(f"{args.python} has no uvicorn: pip install -r bench/requirements.txt")
    with tempfile.TemporaryDirectory(prefix="django-mcp-operations-bench-") as directory:
        env, _ = prepare(args.python, directory, args.postgres)
        off = system("both off", env)
        pairs = {
            "both": system("audit + rate limits", env, audit=True, throttle=True, redis=args.redis),
            "audit": system("audit log", env, audit=True),
            "throttle": system("rate limits", env, throttle=True, redis=args.redis),
        }
        wanted = args.only.split(",") if args.only else list(pairs)
        print(
            f"{args.rounds} paired loads of {args.duration} s per pair at {args.connections} connections; "
            f"servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}",
            flush=True,
        )
        rows, failed = [], {}
        for key in wanted:
            measured = pairs[key]
            print(f"== {off.name} + {measured.name}", flush=True)
            try:
                rounds = pair(args.python, off, measured, args)
            except (Skip, RuntimeError, OSError, subprocess.CalledProcessError) as e:
                failed[measured.name] = str(e)
                print(f"   not measured: {e}", flush=True)
                continue
            rows.append(summary(measured.name, rounds))
    print(f"\n{'system':<22} {'ratio':>6} {'x CPU':>6} {'cost':>6} {'errors':>6}")
    for r in rows:
        print(f"{r['system']:<22} {r['ratio']:>6.2f} {r['cpu_ratio']:>6.2f} {1 - r['ratio']:>6.1%} {r['errors']:>6}")
    print("ratio: median of (req/s with it on / req/s with both off), both servers loaded at once on one core")
    print("x CPU: median of (CPU time per request with both off / with it on); cost: 1 - ratio")
    if args.json:
        write_json(args, rows, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
