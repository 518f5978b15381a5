#!/usr/bin/env python3
"""CPU instructions per tools/call, counted by valgrind: a measure the shared
machine's noise cannot move.

    python bench/instructions.py [--only floor,django-json-async,...] [-n N] [--seeds 0,1,2] [--python PATH] [--caches]

Each system's ASGI app is driven in process through uvicorn's own HTTP
protocol (httptools), without sockets: the request bytes go in, the response
bytes come out, exactly what a uvicorn worker does per request minus the
kernel. valgrind (callgrind) counts the instructions of a run of N and of 3N
requests; the difference over 2N is the cost of one request, start-up and
imports excluded. The floor pays uvicorn's share too, so "x floor" is the
fraction of the floor's cost a system adds up to.

Each count runs with a fixed PYTHONHASHSEED (--seeds, default 0; with several
the median is kept): a random one moves the same code's count by 1-3%.

--caches simulates the caches as well (valgrind's model of 32 KiB, 8-way L1
instruction and data caches with 64-byte lines, and a 1 MiB last level).
"warm" counts the L1 misses per request with requests back to back, with the
engine's (_core) and the interpreter's (libpython) share of the instruction
misses. "cold" empties the caches before each request (a 2 MiB copy) and
counts the 64-byte lines of code and of data one request then reads from
memory: all the code and data it touches, its footprint. Under load a real
server runs the kernel and other processes between requests, so its requests
start with caches somewhere between the two; each line a request needs that
is no longer cached costs cycles that instruction counts do not see
(bench/NOTES.md). Takes 2 to 4 minutes per system.

Needs valgrind (apt-get install -y valgrind) and bench/requirements.txt. Takes
about 30 s per system.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from systems import floor_for

HERE = Path(__file__).resolve().parent

OPS = {"BENCH_APP": "auth_bench", "BENCH_AUTH_CACHE": "3600"}

#: system -> (environment, tool); apps as in systems.py
SYSTEMS = {
    "floor": ({"BENCH_APP": "floor"}, "add"),
    "django-json-async": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "1"}, "add"),
    "django-json-sync": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "1"}, "add_sync"),
    "django-json-async-wait": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "1"}, "add_wait"),
    "django-sse-async": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "0"}, "add"),
    # The current revision: its headers and _meta instead of 2025-06-18's header.
    # The floor is sent the same request, so the ratio leaves out what uvicorn
    # pays for the longer head and body.
    "floor-2026": ({"BENCH_APP": "floor", "BENCH_REVISION": "2026-07-28"}, "add"),
    "django-json-async-2026": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "1", "BENCH_REVISION": "2026-07-28"}, "add"),
    "django-sse-async-2026": ({"BENCH_APP": "django", "BENCH_MCP_JSON": "0", "BENCH_REVISION": "2026-07-28"}, "add"),
    # bench/operations.py's project (bench/apps/auth_bench, a token-authenticated
    # caller, SQLite): the audit log and the rate limits off, each alone, both on.
    # The verified token is remembered for the whole run (under load 5 s cover
    # thousands of calls; valgrind's slowness would make it a few dozen).
    "ops-off": ({**OPS, "BENCH_AUDIT": "0", "BENCH_THROTTLE": "0"}, "add"),
    "ops-audit": ({**OPS, "BENCH_AUDIT": "1", "BENCH_THROTTLE": "0"}, "add"),
    "ops-throttle": ({**OPS, "BENCH_AUDIT": "0", "BENCH_THROTTLE": "1"}, "add"),
    "ops-both": ({**OPS, "BENCH_AUDIT": "1", "BENCH_THROTTLE": "1"}, "add"),
}

DRIVER = r"""
import asyncio, os, sys
sys.path.insert(0, os.path.join(os.environ["BENCH_DIR"], "apps"))
from uvicorn.config import Config
from uvicorn.server import ServerState
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Protocol
    h11 = False
except ImportError:  # without bench/requirements.txt (see STACK_CHECK)
    from uvicorn.protocols.http.h11_impl import H11Protocol as Protocol
    h11 = True

if os.environ["BENCH_APP"] == "floor":
    from floor import app
    path = "/mcp"
elif os.environ["BENCH_APP"] == "auth_bench":
    from auth_bench.asgi import application as app
    path = "/mcp/http"
else:
    from django_bench.asgi import application as app
    path = "/mcp/http"
#: Header lines of the caller's credentials, each ending in CRLF (the ops- systems).
credentials = os.environ.get("BENCH_HEADERS", "")
tool = os.environ["BENCH_TOOL"]
revision = os.environ.get("BENCH_REVISION", "2025-06-18")
if revision == "2025-06-18":
    meta, routing = "", ""
else:  # 2026-07-28: the envelope in _meta, mirrored by headers
    meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"%s","io.modelcontextprotocol/clientCapabilities":{}}' % revision
    routing = f"Mcp-Method: tools/call\r\nMcp-Name: {tool}\r\n"
body = ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":{"a":1,"b":2}%s}}' % (tool, meta)).encode()
request = (
    f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\n"
    f"Accept: application/json, text/event-stream\r\nAccept-Encoding: gzip, deflate\r\n"
    f"MCP-Protocol-Version: {revision}\r\n{routing}{credentials}"
    f"Content-Length: {len(body)}\r\n\r\n"
).encode() + body


class Transport(asyncio.Transport):
    def __init__(self):
        self.writes, self.last, self.answered = 0, b"", None
    def write(self, data):
        self.writes += 1
        self.last = data
        if self.writes % 2 == 0:  # head, then the whole body
            self.answered.set_result(None)
    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 5555) if name in ("peername", "sockname") else default
    def is_closing(self):
        return False
    def pause_reading(self):
        pass
    def resume_reading(self):
        pass
    def close(self):
        pass


class H11Transport(Transport):
    def write(self, data):
        # h11 writes the head, the body, then an empty end of message.
        self.writes += 1
        if data:
            self.last = data
        if self.writes % 3 == 0:
            self.answered.set_result(None)


#: BENCH_COLD: before each request, copy 2 MiB to 2 MiB elsewhere, which
#: pushes everything out of caches smaller than 4 MiB (--caches).
cold = os.environ.get("BENCH_COLD") == "1"
src, dst = (bytearray(2 << 20), bytearray(2 << 20)) if cold else (b"", bytearray())


async def main():
    config = Config(app=app, lifespan="off", access_log=False, log_level="warning")
    config.load()
    transport = H11Transport() if h11 else Transport()
    protocol = Protocol(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(transport)
    loop = asyncio.get_running_loop()
    for _ in range(int(os.environ["BENCH_N"])):
        # Waits without polling, so a call answered from a worker thread
        # costs what it costs in a server: the loop sleeps until woken.
        transport.answered = loop.create_future()
        if cold:
            dst[:] = src
        protocol.data_received(request)
        await transport.answered
        while not protocol.cycle.response_complete:
            await asyncio.sleep(0)
    # the floor's canned body and add(1, 2) both answer 3
    assert b'"text":"3"' in transport.last, transport.last


try:
    import uvloop
except ImportError:
    asyncio.run(main())
else:
    uvloop.run(main())
"""

#: The driver runs what bench/requirements.txt installs (uvicorn[standard]:
#: uvloop and httptools); without them it falls back to asyncio and h11, which
#: count differently, and main() says so.
STACK_CHECK = "import uvloop, httptools"


#: valgrind's cache model for --caches: L1 instruction and data caches of
#: 32 KiB, 8-way, 64-byte lines (common x86-64 cores), a 1 MiB last level.
CACHE_SIM = ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"]
EVENTS = ("Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


def by_object(path):
    """Self cost per loaded object (executable or shared library) in a
    callgrind output file, as {object name: [events...]}."""
    names, totals = {}, {}
    current = None
    skip = False
    with open(path) as f:
        for line in f:
            if skip:  # the inclusive cost of the call just named
                skip = False
                continue
            if line.startswith(("ob=", "cob=")):
                # Compressed names: "(id) name" the first time, "(id)" after,
                # whether first met as an object or as a call's target.
                ref, _, name = line.partition("=")[2].strip().partition(" ")
                if name:
                    names[ref] = name
                if line.startswith("ob="):
                    current = totals.setdefault(Path(names.get(ref, ref)).name, [0] * len(EVENTS))
            elif line.startswith("calls="):
                skip = True
            elif (line[:1].isdigit() or line[:1] in "+-*") and current is not None:
                for i, value in enumerate(line.split()[1:]):
                    current[i] += int(value)
    return totals


#: What the BENCH_COLD copy itself misses per request: its 2 MiB read and its
#: 2 MiB written, one 64-byte line each.
COLD_COPY_LINES = 2 * (2 << 20) // 64


def instructions(python, env, tool, n, seed="0", caches=False):
    """Instructions of a run of n requests; with caches, the events of
    EVENTS for the whole run and per object (by_object) instead."""
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "driver.py"
        script.write_text(DRIVER)
        out = Path(tmp) / "callgrind.out"
        # A fixed hash seed: str hashes (so dict and set layouts, and their
        # collisions) otherwise differ per process, moving counts by 1-3%.
        full_env = {
            **os.environ,
            **env,
            "BENCH_DIR": str(HERE),
            "BENCH_TOOL": tool,
            "BENCH_N": str(n),
            "PYTHONHASHSEED": seed,
        }
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                *(CACHE_SIM if caches else []),
                f"--callgrind-out-file={out}",
                python,
                str(script),
            ],
            env=full_env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            # The driver's own error, without valgrind's lines (==pid== ...).
            own = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("=="))
            raise RuntimeError(own[-2000:] or done.stderr[-2000:])
        found = re.search(r"Collected : (\d+)", done.stderr)
        if not found:
            raise RuntimeError("valgrind printed no instruction count:\n" + done.stderr[-2000:])
        if caches:
            return by_object(out)
        return int(found.group(1))


def cache_misses(python, env, tool, n, seed):
    """Per request, from valgrind's cache model: instructions; L1 instruction
    misses (all, the engine's, the interpreter's) and L1 data misses, one
    request after another; and, with the caches emptied before each request
    (BENCH_COLD), the lines of code (all, the engine's) and of data that one
    request reads from memory, which is all the code and data it touches."""

    def per_request(extra_env):
        short = instructions(python, {**env, **extra_env}, tool, n, seed, caches=True)
        long = instructions(python, {**env, **extra_env}, tool, 3 * n, seed, caches=True)
        every = set(short) | set(long)

        def count(event, objects=every):
            i = EVENTS.index(event)
            return sum(long.get(o, [0] * len(EVENTS))[i] - short.get(o, [0] * len(EVENTS))[i] for o in objects) / (
                2 * n
            )

        return count, {o for o in every if o.startswith("_core.")}, {o for o in every if o.startswith("libpython")}

    warm, engine, interpreter = per_request({})
    cold, cold_engine, _ = per_request({"BENCH_COLD": "1"})
    return {
        "instructions": warm("Ir"),
        "l1i": warm("I1mr"),
        "l1i_engine": warm("I1mr", engine),
        "l1i_interpreter": warm("I1mr", interpreter),
        "l1d": warm("D1mr") + warm("D1mw"),
        "code_lines": cold("ILmr"),
        "code_lines_engine": cold("ILmr", cold_engine),
        "data_lines": cold("DLmr") + cold("DLmw") - COLD_COPY_LINES,
    }


def print_caches(python, systems, n, seed):
    """The --caches table, and each system's figures over its floor's."""
    print(f"Simulated caches (32 KiB 8-way L1s, 64-byte lines; PYTHONHASHSEED={seed}), per request:")
    print("  warm: L1 misses with requests back to back; cold: lines read from memory with the caches emptied first")
    print(
        f"{'system':24} {'instructions':>12} {'L1i misses':>10} {'engine':>7} {'libpython':>9} {'L1d misses':>10}"
        f" {'code lines':>10} {'engine':>7} {'data lines':>10}"
    )
    misses = {}
    for name, (env, tool) in systems.items():
        m = misses[name] = cache_misses(python, env, tool, n, seed)
        print(
            f"{name:24} {m['instructions']:12,.0f} {m['l1i']:10,.0f} {m['l1i_engine']:7,.0f} "
            f"{m['l1i_interpreter']:9,.0f} {m['l1d']:10,.0f} {m['code_lines']:10,.0f} "
            f"{m['code_lines_engine']:7,.0f} {m['data_lines']:10,.0f}",
            flush=True,
        )
    for name, m in misses.items():
        floor = floor_for(name, misses)
        if floor in misses and floor != name:
            f = misses[floor]
            print(
                f"{name:24} / {floor:10} instructions {m['instructions'] / f['instructions']:4.2f}, "
                f"L1i misses {m['l1i'] / f['l1i']:4.2f}, L1d misses {m['l1d'] / f['l1d']:4.2f}, "
                f"code lines {m['code_lines'] / f['code_lines']:4.2f}, data lines {m['data_lines'] / f['data_lines']:4.2f}"
            )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="comma-separated systems: " + ",".join(SYSTEMS))
    p.add_argument("--python", default=sys.executable, help="interpreter with bench/requirements.txt and django-mcp")
    p.add_argument("-n", type=int, default=500, help="requests in the short run (the long one runs 3n)")
    p.add_argument(
        "--seeds", default="0", help="comma-separated PYTHONHASHSEED values; the median count is kept (default 0)"
    )
    p.add_argument(
        "--caches",
        action="store_true",
        help="simulate the caches instead: L1 misses per request and each request's footprint in cache lines (first seed only)",
    )
    args = p.parse_args()
    names = args.only.split(",") if args.only else list(SYSTEMS)
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        p.error(f"unknown system(s): {', '.join(unknown)}")
    if subprocess.run(["which", "valgrind"], capture_output=True).returncode != 0:
        sys.exit("valgrind is not installed: apt-get install -y valgrind")
    if subprocess.run([args.python, "-c", STACK_CHECK], capture_output=True).returncode != 0:
        print(
            "note: uvloop or httptools is missing, so the driver runs asyncio and h11; these counts are not"
            " comparable with docs/performance.md (pip install -r bench/requirements.txt)",
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="django-mcp-instructions-") as directory:
        systems = with_credentials(args.python, {name: SYSTEMS[name] for name in names}, directory)
        if args.caches:
            print_caches(args.python, systems, args.n, args.seeds.split(",")[0])
        else:
            print_counts(args.python, systems, args.n, args.seeds.split(","))


def with_credentials(python, systems, directory):
    """``systems``, those of bench/auth.py's project given its database (made
    in ``directory``: migrated, with a user and an API token) and the token's header."""
    if not any(env["BENCH_APP"] == "auth_bench" for env, _ in systems.values()):
        return systems
    from auth import prepare

    env, credentials = prepare(python, directory)
    ready = {"BENCH_DB": env["BENCH_DB"], "BENCH_HEADERS": "".join(line + "\r\n" for line in credentials["token"])}
    return {
        name: ({**env, **ready} if env["BENCH_APP"] == "auth_bench" else env, tool)
        for name, (env, tool) in systems.items()
    }


def print_counts(python, systems, n, seeds):
    """Instructions per request of each system, and the floor's over each."""
    results = {}
    for name, (env, tool) in systems.items():
        counts = []
        for seed in seeds:
            short = instructions(python, env, tool, n, seed)
            long = instructions(python, env, tool, 3 * n, seed)
            counts.append((long - short) / (2 * n))
        results[name] = statistics.median(counts)
        spread = f"  (seeds: {', '.join(f'{c:,.0f}' for c in counts)})" if len(counts) > 1 else ""
        print(f"{name:24} {results[name]:10,.0f} instructions per request{spread}", flush=True)
    if "floor" in results or "floor-2026" in results:
        print()
        for name, count in results.items():
            floor = floor_for(name, results)
            if floor in results:
                print(
                    f"{name:24} x {floor:10} {results[floor] / count:5.2f}  (the floor's instructions / this system's)"
                )
    if "ops-off" in results:
        print()
        for name, count in results.items():
            if name.startswith("ops-") and name != "ops-off":
                print(
                    f"{name:24} x ops-off    {results['ops-off'] / count:5.2f}  (ops-off's instructions / this system's)"
                )


if __name__ == "__main__":
    main()
