"""The performance targets django-mcp is held to (see bench/README.md)."""

# (system, what, op, bound): measured at 32 connections, against the floor and
# the SDK measured in the same run.
THROUGHPUT = [
    ("django-json-async", "rps_vs_floor", ">=", 0.60),
    ("django-json-async", "rps_vs_sdk", ">=", 4.0),
    ("django-json-sync", "rps_vs_floor", ">=", 0.45),
    ("django-json-async", "p99_vs_floor", "<=", 2.0),
    ("django-json-sync", "p99_vs_floor", "<=", 2.0),
]
TARGET_CONNECTIONS = 32

# sessions.py: RSS per idle in-process session.
KIB_PER_SESSION = 2.0

# engine_bench.py (benches/engine.rs): the engine's time per tools/call
# message, parse to serialised response, the user function excluded.
ENGINE_US_PER_MESSAGE = 2.0
ENGINE_MESSAGES = ("tools/call plan+finish (json)", "tools/call plan+finish (sse)")


def result(system, metric, op, bound, value):
    """One target's outcome, as run.py prints it and writes it to --json."""
    return {
        "system": system,
        "metric": metric,
        "op": op,
        "bound": bound,
        "value": value,
        "verdict": verdict(value, op, bound),
    }


def line(t):
    """One outcome as the bench prints it: verdict, target, measured value."""
    got = f"{t['value']:.2f}" if t["value"] is not None else "not measured"
    return f"{t['verdict']:<4} {t['system']:<18} {t['metric']} {t['op']} {t['bound']}  (got {got})"


def verdict(value, op, bound):
    if value is None:
        return "n/a"
    return "PASS" if (value >= bound if op == ">=" else value <= bound) else "MISS"
