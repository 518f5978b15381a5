"""Requests per second with 1, 2 and 4 worker processes on this machine,
under uvicorn and under granian, for the floor and for django-mcp's stateless
tools/call (which touches no session store, so it scales like the floor or
the machine is the limit). The ratio of 4 workers to 1 for django-mcp beside
the same ratio for the floor under the same server says how much of the
machine's parallelism django-mcp keeps.

    python bench/workers.py [--duration 5] [--connections 64] [--counts 1,2,4] [--servers uvicorn,granian]

Needs wrk, and as many free cores as workers for a meaningful ratio: on a
loaded or 2-core machine the ratio measures the machine, not django-mcp.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from load import require_wrk, wrk
from server import STARTED, Server, Skip
from systems import SYSTEMS

FLOOR, DJANGO = "floor", "django-json-async"


def numbers(text):
    return [int(n) for n in text.split(",")]


def names(text):
    chosen = text.split(",")
    unknown = [name for name in chosen if name not in STARTED]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown server(s) {unknown}; choose from {sorted(STARTED)}")
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per row and worker count")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--counts", type=numbers, default=[1, 2, 4], help="worker counts, comma-separated")
    parser.add_argument("--servers", type=names, default=["uvicorn", "granian"], help="comma-separated")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    require_wrk()
    counts = args.counts
    systems = [s for s in SYSTEMS if s.name in (FLOOR, DJANGO)]
    ratio = f"{counts[-1]}:{counts[0]}"
    print(f"{os.cpu_count()} cores; {args.connections} connections, {args.duration} s per load")
    print(f"{'system':<20}{'server':<10}" + "".join(f"{n:>2} worker(s) rps  " for n in counts) + f"{ratio:>6}")
    ratios = {}
    for manager in args.servers:
        for system in systems:
            rates = []
            for count in counts:
                try:
                    with Server(args.python, system, workers=count, manager=manager) as server:
                        result = wrk(server.url, system.tool, args.connections, args.duration, revision=system.revision)
                except Skip as e:
                    print(f"{system.name:<20}{manager:<10}skipped ({e})")
                    break
                rates.append(result["rps"])
            if len(rates) == len(counts):
                ratios[manager, system.name] = rates[-1] / rates[0]
                row = "".join(f"{rate:>18.0f}" for rate in rates)
                print(f"{system.name:<20}{manager:<10}{row}{ratios[manager, system.name]:>6.2f}")
    print()
    for manager in args.servers:
        if (manager, FLOOR) in ratios and (manager, DJANGO) in ratios:
            mcp, floor = ratios[manager, DJANGO], ratios[manager, FLOOR]
            print(
                f"{manager}: {ratio} workers, django-mcp {mcp:.2f}, floor {floor:.2f} ({mcp / floor:.0%} of the floor's)"
            )


if __name__ == "__main__":
    main()
