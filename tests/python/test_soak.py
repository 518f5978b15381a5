"""Hundreds of concurrent clients against one real server for a while:
stateless calls, sessions, event streams, cancellations and clients that
vanish mid-stream. Every answer that arrives is the asker's own, nothing is
lost, and once the clients are gone the server's bookkeeping drains and its
memory returns to where it stood after a warm-up.

Bounded for CI (about a minute); MCP_SOAK_SECONDS (the measured run) and
MCP_SOAK_CLIENTS raise it for a longer run."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from conftest import HEADERS, _test_project, parse_sse, rpc
from mcp import Client

pytestmark = pytest.mark.soak

CLIENTS = int(os.environ.get("MCP_SOAK_CLIENTS", "200"))
SECONDS = float(os.environ.get("MCP_SOAK_SECONDS", "20"))
WARM_UP = min(SECONDS, 12.0)
#: Growth of the server's resident memory allowed between the end of the
#: warm-up and the end of the run, once idle: allocator slack, not a leak.
RSS_MARGIN_BYTES = 12 * 1024 * 1024
RSS_MARGIN_RATIO = 0.10
#: Abandoned sessions go within seconds, yet outlive a call that waits its turn on a busy machine.
SESSION_TTL = 10

STATELESS = ["/mcp/http", "/slug/soak-client/http"]
STATEFUL = "/stateful/http"
INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "soak", "version": "1"}}


def _rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) * 1024


def _metric(server, mount: str, name: str) -> int:
    text = httpx.get(f"{server.url}{mount}/prometheus", timeout=10).text
    return int(re.search(rf"^{name} (\d+)", text, re.M).group(1))


class Soak:
    """The clients' shared tally: what each scenario completed, and any answer that was wrong or missing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.done: Counter[str] = Counter()
        self.failures: list[str] = []

    def call(self, id: str, name: str, arguments: dict) -> dict:
        return {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}

    def answer(self, response: httpx.Response, id: str) -> dict:
        """The response to request ``id``; every message in the answer must be about that request."""
        assert response.status_code == 200, (response.status_code, response.text[:500])
        if response.headers["content-type"].startswith("text/event-stream"):
            messages = parse_sse(response.text)
        else:
            messages = [response.json()]
        finals = [m for m in messages if "id" in m]
        assert [m["id"] for m in finals] == [id], messages
        return finals[0]

    async def echo(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        """A call whose answer carries a value no other call has."""
        token = uuid.uuid4().hex
        id = f"echo-{token}"
        response = await client.post(
            self.url + path, json=self.call(id, "scalar_str", {"text": token}), headers=headers
        )
        message = self.answer(response, id)
        assert message["result"]["content"][0]["text"] == token, message

    async def add(self, client: httpx.AsyncClient, path: str, headers: dict[str, str], rng: random.Random) -> None:
        a, b = rng.randrange(10**9), rng.randrange(10**9)
        id = f"add-{uuid.uuid4().hex}"
        response = await client.post(
            self.url + path, json=self.call(id, "add_async", {"a": a, "b": b}), headers=headers
        )
        message = self.answer(response, id)
        assert message["result"]["content"][0]["text"] == str(a + b), message

    async def open_session(self, client: httpx.AsyncClient) -> dict[str, str]:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}
        response = await client.post(self.url + STATEFUL, json=init, headers=HEADERS)
        assert response.status_code == 200, response.text[:500]
        headers = {**HEADERS, "Mcp-Session-Id": response.headers["mcp-session-id"]}
        initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert (await client.post(self.url + STATEFUL, json=initialized, headers=headers)).status_code == 202
        return headers

    async def close_session(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        response = await client.delete(self.url + STATEFUL, headers=headers)
        assert response.status_code in (200, 204), response.text[:500]

    # -- what a client does --------------------------------------------------------------------------------------

    async def stateless(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        accept = rng.choice([HEADERS["Accept"], "application/json"])
        headers = {**HEADERS, "Accept": accept}
        path = rng.choice(STATELESS)
        await (self.echo(client, path, headers) if rng.random() < 0.7 else self.add(client, path, headers, rng))

    async def session(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        headers = await self.open_session(client)
        # Several calls of one session at once: each answer still goes to its own request.
        await asyncio.gather(
            *(self.echo(client, STATEFUL, headers) for _ in range(3)), self.add(client, STATEFUL, headers, rng)
        )
        await self.close_session(client, headers)

    async def listen(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        """The session's standalone stream, read for a moment; the session is deleted or abandoned."""
        headers = await self.open_session(client)
        listen = {"Accept": "text/event-stream", "Mcp-Session-Id": headers["Mcp-Session-Id"]}
        async with client.stream("GET", self.url + STATEFUL, headers=listen) as response:
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
            async for _ in response.aiter_raw():  # the first keepalive
                break
        if rng.random() < 0.5:
            await self.close_session(client, headers)

    async def cancel(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        """A running call cancelled by its session: its stream ends, with no answer."""
        headers = await self.open_session(client)
        id = f"cancel-{uuid.uuid4().hex}"
        call = self.call(id, "slow_steps", {"steps": 3, "delay": 0.3})
        call["params"]["_meta"] = {"progressToken": id}
        async with client.stream("POST", self.url + STATEFUL, json=call, headers=headers) as response:
            assert response.status_code == 200
            received = ""
            chunks = response.aiter_text()
            async for chunk in chunks:
                received += chunk
                if "notifications/progress" in received:
                    break
            cancelled = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": id}}
            assert (await client.post(self.url + STATEFUL, json=cancelled, headers=headers)).status_code == 202
            async for chunk in chunks:  # to the stream's end
                received += chunk
        messages = parse_sse(received)
        answers = [m for m in messages if "id" in m]
        # No answer; or, on a machine so busy that the call's timeout came first, that timeout.
        assert answers == [] or (len(answers) == 1 and "timed out" in json.dumps(answers[0])), messages
        assert all(m["id"] == id for m in answers), messages
        assert all(m["params"]["progressToken"] == id for m in messages if m["method"] == "notifications/progress")
        await self.close_session(client, headers)

    async def vanish(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        """A client gone mid-stream, with or without a session to come back to."""
        stateful = rng.random() < 0.4
        headers = await self.open_session(client) if stateful else HEADERS
        id = f"vanish-{uuid.uuid4().hex}"
        call = self.call(id, "slow_steps", {"steps": 5, "delay": 0.2})
        call["params"]["_meta"] = {"progressToken": id}
        async with client.stream(
            "POST", self.url + (STATEFUL if stateful else rng.choice(STATELESS)), json=call, headers=headers
        ) as response:
            assert response.status_code == 200
            async for chunk in response.aiter_text():
                if "notifications/progress" in chunk:
                    break
        # Leaving the block closes the connection mid-stream.

    async def sdk(self, rng: random.Random) -> None:
        """The official SDK's client: a handshake, calls, and the session ended on exit."""
        path = rng.choice([STATEFUL, *STATELESS])
        async with Client(self.url + path) as sdk_client:
            token = uuid.uuid4().hex
            result = await sdk_client.call_tool("scalar_str", {"text": token})
            assert result.content[0].text == token, result

    SCENARIOS = (
        ("stateless", 45),
        ("session", 20),
        ("listen", 10),
        ("cancel", 10),
        ("vanish", 12),
        ("sdk", 3),
    )

    async def client(self, seed: int, until: float) -> None:
        rng = random.Random(seed)
        names, weights = zip(*self.SCENARIOS, strict=True)
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            while time.monotonic() < until:
                (name,) = rng.choices(names, weights)
                try:
                    if name == "sdk":
                        await asyncio.wait_for(self.sdk(rng), 60)
                    else:
                        await asyncio.wait_for(getattr(self, name)(client, rng), 60)
                except Exception as error:  # a wrong, missing or late answer: what the test is about
                    self.failures.append(f"{name}: {type(error).__name__}: {str(error)[:200]}")
                else:
                    self.done[name] += 1

    async def run(self, seconds: float) -> float:
        started = time.monotonic()
        await asyncio.gather(*(self.client(seed, started + seconds) for seed in range(CLIENTS)))
        return time.monotonic() - started


def _drained(server) -> tuple[int, int, float]:
    """Waits until no request is in flight and no session is left; what was left, and how long it took."""
    started = time.monotonic()
    while True:
        in_flight = sum(_metric(server, mount, "mcp_http_requests_in_flight") for mount in ("/mcp", "/stateful"))
        sessions = _metric(server, "/stateful", "mcp_sessions_active")
        if (in_flight == 0 and sessions == 0) or time.monotonic() - started > 6 * SESSION_TTL + 30:
            return in_flight, sessions, time.monotonic() - started
        time.sleep(0.5)


def test_hundreds_of_clients_lose_nothing_and_leave_nothing(tmp_path_factory):
    env = {"MCP_TEST_OPS": "1", "MCP_TEST_SESSION_TTL": str(SESSION_TTL), "MCP_HTTP_REQUEST_TIMEOUT": "4"}
    # Idle connections kept open past the clients' pauses, as a proxy in front would: with uvicorn's
    # 5 s, a client reusing a connection as the server closes it races it (a client-side error, not a loss).
    server = _test_project(tmp_path_factory, "soak", env, extra=("--timeout-keep-alive", "120"))
    try:
        warm = Soak(server.url)
        asyncio.run(warm.run(WARM_UP))
        assert not warm.failures, Counter(warm.failures).most_common(10)
        assert _drained(server)[:2] == (0, 0)
        rss_warm = _rss(server.process.pid)

        soak = Soak(server.url)
        elapsed = asyncio.run(soak.run(SECONDS))
        rss_busy = _rss(server.process.pid)
        in_flight, sessions, drain_seconds = _drained(server)
        rss_after = _rss(server.process.pid)
        report = {
            "clients": CLIENTS,
            "seconds": round(elapsed, 1),
            "completed": dict(soak.done),
            "failures": len(soak.failures),
            "rss_mb": {
                k: round(v / 2**20, 1) for k, v in (("warm", rss_warm), ("busy", rss_busy), ("after", rss_after))
            },
            "drain_seconds": round(drain_seconds, 1),
        }
        print("soak:", json.dumps(report))

        assert not soak.failures, (report, Counter(soak.failures).most_common(10))
        assert all(soak.done[name] > 0 for name, _ in Soak.SCENARIOS), report
        assert (in_flight, sessions) == (0, 0), report
        assert rss_after <= rss_warm + max(RSS_MARGIN_BYTES, RSS_MARGIN_RATIO * rss_warm), report
        answer = rpc(server.url + "/mcp/http", "tools/call", {"name": "add", "arguments": {"a": 2, "b": 40}})
        assert answer["result"]["content"][0]["text"] == "42"
        assert "Traceback" not in server.log, server.log[-5000:]
    finally:
        server.stop()
