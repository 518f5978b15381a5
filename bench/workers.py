"""Requests per second with 1, 2 and 4 uvicorn worker processes on this
machine, for the floor and for django-mcp's stateless tools/call (which
touches no session store, so it scales like the floor or the machine is the
limit). The ratio of 4 workers to 1 for django-mcp beside the same ratio for
the floor says how much of the machine's parallelism django-mcp keeps.

    python bench/workers.py [--duration 5] [--connections 64]

Needs wrk, and as many free cores as workers for a meaningful ratio: on a
loaded or 2-core machine the ratio measures the machine, not django-mcp.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from load import require_wrk, wrk
from server import Server, Skip
from systems import SYSTEMS

COUNTS = (1, 2, 4)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    require_wrk()
    systems = [s for s in SYSTEMS if s.name in ("floor", "django-json-async")]
    print(f"{os.cpu_count()} cores; {args.connections} connections, {args.duration} s per load")
    print(f"{'system':<20}" + "".join(f"{n:>2} worker(s) rps  " for n in COUNTS) + "  4:1")
    for system in systems:
        rates = []
        for count in COUNTS:
            try:
                with Server(args.python, system, workers=count) as server:
                    result = wrk(server.url, system.tool, args.connections, args.duration, revision=system.revision)
            except Skip as e:
                print(f"{system.name}: skipped ({e})")
                break
            rates.append(result["rps"])
        if len(rates) == len(COUNTS):
            print(f"{system.name:<20}" + "".join(f"{rate:>18.0f}" for rate in rates) + f"  {rates[-1] / rates[0]:.2f}")


if __name__ == "__main__":
    main()
