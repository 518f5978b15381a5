#!/usr/bin/env python3
"""KiB of server RSS per idle MCP session (stateful streamable HTTP).

    python bench/sessions.py [-n 1000] [--only sdk,django-mcp] [--json out.json]
                             [--python PATH]

Opens N sessions with `initialize` (each answered with an Mcp-Session-Id),
closes every connection, and reports (RSS after - RSS before) / N. A server
that answers without a session id is stateless: skipped, not measured.
run.py runs this too, after the loads.
"""

import argparse
import json
import sys
import time

import targets
from mcp_http import initialize, post
from server import Server, Skip
from systems import STATEFUL, select

WARMUP_SESSIONS = 50  # first sessions pay for lazy imports and pools: not per-session cost
SETTLE_S = 0.5


def open_session(url):
    status, headers, reply = post(url, initialize())
    if not 200 <= status < 300 or "result" not in (reply or {}):
        raise RuntimeError(f"initialize failed: HTTP {status}, reply {str(reply)[:300]}")
    return headers.get("mcp-session-id")


def measure(python, system, n):
    with Server(python, system) as srv:
        if open_session(srv.url) is None:
            raise Skip("server answered no Mcp-Session-Id (no stateful mode)")
        for _ in range(WARMUP_SESSIONS):
            open_session(srv.url)
        time.sleep(SETTLE_S)
        before = srv.rss_kib()
        ids = {open_session(srv.url) for _ in range(n)}
        if None in ids or len(ids) != n:
            raise RuntimeError(f"expected {n} distinct session ids, got {len(ids - {None})}")
        time.sleep(SETTLE_S)
        after = srv.rss_kib()
    return {
        "system": system.name,
        "sessions": n,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_session": (after - before) / n,
    }


def measure_all(python, n, only=None):
    """Each stateful system's KiB per idle session: (rows, {system: why not measured})."""
    rows, skipped = [], {}
    for system in select(STATEFUL, only):
        try:
            rows.append(measure(python, system, n))
        except (Skip, RuntimeError, OSError) as e:
            # Any failure is reported, not fatal: the other system is still measured.
            skipped[system.name] = str(e)
    return rows, skipped


def target_results(rows):
    """The per-session target, in run.py's form, when django-mcp was measured."""
    return [
        targets.result("django-mcp", "kib_per_session", "<=", targets.KIB_PER_SESSION, r["kib_per_session"])
        for r in rows
        if r["system"] == "django-mcp"
    ]


def print_table(rows):
    print(f"{'system':<12} {'sessions':>8} {'RSS before':>10} {'RSS after':>10} {'KiB/session':>11}")
    for r in rows:
        print(
            f"{r['system']:<12} {r['sessions']:>8} {r['rss_before_kib']:>7} KiB "
            f"{r['rss_after_kib']:>6} KiB {r['kib_per_session']:>11.2f}"
        )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-n", type=int, default=1000, help="sessions to open (default 1000)")
    p.add_argument("--only", help="comma-separated: " + ",".join(s.name for s in STATEFUL))
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs the servers")
    args = p.parse_args()

    rows, skipped = measure_all(args.python, args.n, args.only)
    print_table(rows)
    for t in target_results(rows):
        print(targets.line(t))
    for name, why in skipped.items():
        print(f"not measured: {name}: {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": rows, "skipped": skipped}, f, indent=2)


if __name__ == "__main__":
    main()
