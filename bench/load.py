"""Drive one server with wrk and return its numbers."""

import json
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).resolve().parent / "tools_call.lua"


def require_wrk():
    if not shutil.which("wrk"):
        raise SystemExit(
            "wrk not found: install it with `apt-get install -y wrk` (Debian/Ubuntu; run `apt-get update` first)"
        )


def wrk(url, tool, connections, seconds, threads=None, cpus=None, revision="2025-06-18", script=LUA, script_args=None):
    """Run wrk for `seconds` (whole seconds: wrk takes no fractions) at
    `connections`; return a result dict. `cpus` (e.g. "1") pins wrk with taskset.
    `script` and `script_args` replace tools_call.lua and its arguments (tool, revision)."""
    if threads is None:
        threads = 1 if connections == 1 else 2  # a thread per core; a lone connection needs one
    cmd = (["taskset", "-c", cpus] if cpus else []) + [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        *(script_args if script_args is not None else [tool, revision]),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    line = next((out for out in proc.stdout.splitlines() if out.startswith("BENCH ")), None)
    if line is None:
        head = " | ".join((proc.stderr + proc.stdout).strip().splitlines()[:3])
        raise RuntimeError(f"wrk exited {proc.returncode} without a result: {head}")
    r = json.loads(line[len("BENCH ") :])
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return {
        "connections": connections,
        "requests": r["requests"],
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "max_ms": r["max_us"] / 1000,
        "http_errors": r["status"],  # status >= 400: wrk's "Non-2xx or 3xx responses"
        "socket_errors": socket_errors,
        "errors": r["status"] + socket_errors,
    }
