"""Listing 20 rows: a ModelToolset's list tool (MCP tools/call) against a DRF
ListAPIView (GET over HTTP), the same model, serializer fields and page size,
in one server process and one sitting.

    PYTHONPATH=$PWD/python .venv/bin/python bench/toolsets.py --duration 3

Both run in the same uvicorn worker (bench/apps/toolsets_bench) on a SQLite
database of 200 rows, anonymously (no authentication on either side). Each is
checked to return the same 20 rows, warmed up for a second, then loaded by wrk
at 1 and 8 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"

TOOL_CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "row_list", "arguments": {}}}
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}

QUIET = ["--workers", "1", "--no-access-log", "--log-level", "warning"]

SEED = """
import datetime, decimal
from django.utils import timezone
from toolsets_bench.models import Row
start = timezone.now()
Row.objects.bulk_create(
    Row(name=f"row {i:03}", amount=decimal.Decimal(i) / 4, created=start - datetime.timedelta(hours=i), done=i % 3 == 0)
    for i in range(200)
)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lua_post(body: str, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def check_same_rows(base: str) -> None:
    request = urllib.request.Request(base + "/mcp/http", json.dumps(TOOL_CALL).encode(), MCP_HEADERS)
    mcp = json.loads(urllib.request.urlopen(request, timeout=10).read())["result"]["structuredContent"]["results"]
    drf = json.loads(urllib.request.urlopen(base + "/api/rows/", timeout=10).read())["results"]
    assert len(mcp) == len(drf) == 20, (len(mcp), len(drf))
    assert [r["name"] for r in mcp] == [r["name"] for r in drf]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds per load (default 3)")
    parser.add_argument("--connections", default="1,8", help="wrk connection counts (default 1,8)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="toolsets-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "toolsets_bench.settings",
        "BENCH_DB": str(tmp / "db.sqlite3"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")])),
    }
    run = dict(cwd=APPS, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"], **run)
    subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + SEED], **run)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "toolsets_bench.asgi:application", "--port", str(port), *QUIET],
        cwd=APPS,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the bench server did not start") from None
                time.sleep(0.1)
        check_same_rows(base)
        script = tmp / "row_list.lua"
        script.write_text(lua_post(json.dumps(TOOL_CALL), MCP_HEADERS))
        targets = {
            "toolset (MCP tools/call)": (base + "/mcp/http", script),
            "DRF ListAPIView (HTTP GET)": (base + "/api/rows/", None),
        }
        rows = []
        for connections in [int(c) for c in args.connections.split(",")]:
            for name, (url, lua) in targets.items():
                wrk(url, 1, connections, lua)  # warm-up
                rows.append({"system": name, "connections": connections, **wrk(url, args.duration, connections, lua)})
    finally:
        server.terminate()
        server.wait(10)

    print(f"{'listing 20 rows':<28} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for r in rows:
        print(
            f"{r['system']:<28} {r['connections']:>5} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6}"
        )
    for connections in sorted({r["connections"] for r in rows}):
        toolset, drf = (r["rps"] for r in rows if r["connections"] == connections)
        print(f"toolset / DRF at {connections} connection(s): {toolset / drf:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
