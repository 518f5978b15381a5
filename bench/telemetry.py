#!/usr/bin/env python3
"""What OpenTelemetry costs a tools/call, in-process: the bench project's
stateless endpoint (no server, no socket, so the difference is not drowned in
the HTTP stack) answers the same JSON tools/call with MCP_OPENTELEMETRY off
and with it on while no provider is set, in alternating rounds on one core;
then, last (a provider is set once per process), with the SDK's
TracerProvider recording every span into a processor that drops it.

    python bench/telemetry.py [--calls N] [--rounds R]

Prints microseconds per call (median of the rounds) and the ratio. It needs
opentelemetry-api (and opentelemetry-sdk for the last row).
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_bench.settings")
os.environ.setdefault("BENCH_MCP_JSON", "1")

import django

django.setup()

import django_bench.tools  # noqa: E402, F401 - registers the benchmark tools
from django.test import override_settings  # noqa: E402

from django_mcp import mcp_app  # noqa: E402
from django_mcp.transport.io import Request  # noqa: E402
from django_mcp.transport.pipeline import compose  # noqa: E402
from django_mcp.transport.services import Services  # noqa: E402
from django_mcp.transport.stateless import Stateless  # noqa: E402

BODY = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 2}}}
).encode()
HEADERS = [
    (b"host", b"127.0.0.1"),
    (b"content-type", b"application/json"),
    (b"accept", b"application/json, text/event-stream"),
    (b"mcp-protocol-version", b"2025-06-18"),
]
SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/mcp/http",
    "root_path": "",
    "headers": HEADERS,
    "http_version": "1.1",
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


def endpoint(telemetry_on: bool):
    """The composed pipeline and stateless transport, as the mount builds them."""
    with override_settings(MCP_OPENTELEMETRY=telemetry_on):
        services = Services(mcp_app)
        return compose(Stateless(services).serve, services)


async def round_of(handler, calls: int) -> float:
    """Microseconds per call over ``calls`` tools/call requests."""

    async def receive():
        return {"type": "http.request", "body": BODY, "more_body": False}

    answers = []

    async def send(message):
        if message["type"] == "http.response.body":
            answers.append(message["body"])

    started = time.perf_counter()
    for _ in range(calls):
        await handler(Request(dict(SCOPE), receive, send, "/mcp/http", "/http", {}))
    elapsed = time.perf_counter() - started
    assert b'"result":3' in answers[-1] or b'"text":"3"' in answers[-1], answers[-1][:200]
    return elapsed / calls * 1e6


async def main(calls: int, rounds: int) -> None:
    off, bare = endpoint(False), endpoint(True)
    await round_of(off, calls // 4)  # warm-up: imports, caches, the engine
    await round_of(bare, calls // 4)
    times: dict[str, list[float]] = {"off": [], "on, no provider": []}
    for _ in range(rounds):
        times["off"].append(await round_of(off, calls))
        times["on, no provider"].append(await round_of(bare, calls))
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    except ImportError:
        pass
    else:
        provider = TracerProvider()
        provider.add_span_processor(SpanProcessor())  # spans recorded, then dropped: the SDK's own cost
        trace.set_tracer_provider(provider)
        await asyncio.sleep(1.1)  # the endpoint looks for a provider at most once a second
        await round_of(bare, calls // 4)
        times["on, SDK provider"] = [await round_of(bare, calls) for _ in range(rounds)]
    base = statistics.median(times["off"])
    print(f"tools/call in-process, {rounds} rounds of {calls} calls (median µs per call)")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:<18} {median:8.1f} µs   x{median / base:.3f}   (rounds: {', '.join(f'{v:.1f}' for v in values)})"
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=3000)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    asyncio.run(main(args.calls, args.rounds))
