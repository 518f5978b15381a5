"""Several worker processes with the Redis session store and no affinity:
four uvicorn processes on 127.0.0.1 behind a balancer that sends each HTTP
request to the next one (a client-side round robin, which is what a load
balancer without sticky sessions does), a real redis-server, and real MCP
clients. Answers to the server's requests, cancellations and change
notifications reach the process that needs them wherever they land."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import mcp_types as types
import pytest
import redis as redis_client
from conftest import HEADERS, ROOT, TESTS, _test_project, free_port, parse_sse, rpc, start_server
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from test_redis_sessions import Redis, redis  # noqa: F401  (the redis-server fixture)
from test_sessions import initialize, post

VERSION = "2026-07-28"


class RoundRobin(httpx2.AsyncBaseTransport):
    """Each request to the next worker; counts where the client's answers (a
    POST of a JSON-RPC response) went."""

    def __init__(self, ports: list[int]) -> None:
        self._next = itertools.cycle(ports)
        self._inner = httpx2.AsyncHTTPTransport()
        self.answers: Counter[int] = Counter()
        #: The worker that served the last request of each method.
        self.served: dict[str, int] = {}
        #: Workers taken out of the rotation.
        self.dead: set[int] = set()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self._next)
        while port in self.dead:
            port = next(self._next)
        request.url = request.url.copy_with(port=port)
        if request.method == "POST":
            body = json.loads(request.content)
            if "method" in body:
                self.served[body["method"]] = port
            elif "result" in body:
                self.answers[port] += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.fixture(scope="module")
def workers(tmp_path_factory, redis):  # noqa: F811
    tmp = tmp_path_factory.mktemp("workers")
    env = {
        "TEST_DB": str(tmp / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "MCP_TEST_REDIS_URL": redis.url,
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"],
        cwd=TESTS,
        env={**os.environ, **env},
        check=True,
    )
    servers = [start_server("testproject.asgi:application", TESTS, tmp, env) for _ in range(4)]
    yield servers, env
    for server in servers:
        server.stop()


def _ports(servers) -> list[int]:
    return [int(server.url.rpartition(":")[2]) for server in servers]


def balanced(servers, path: str = "/mcp/http") -> tuple[RoundRobin, object]:
    balancer = RoundRobin(_ports(servers))
    http = httpx2.AsyncClient(transport=balancer, timeout=httpx2.Timeout(30, read=60))
    return balancer, streamable_http_client(servers[0].url + path, http_client=http)


async def _elicit(context, params):
    return types.ElicitResult(action="accept", content={"color": "teal", "count": 2})


async def _sample(context, params):
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text="short"), model="echo-1"
    )


@pytest.mark.parametrize("path", ["/stateful/http", "/mcp/http"], ids=["sessions", "stateless"])
def test_answers_to_the_servers_requests_reach_the_waiting_call_on_any_worker(workers, path):
    servers, _ = workers
    balancer, transport = balanced(servers, path)

    async def go():
        async with Client(transport, mode="legacy", elicitation_callback=_elicit, sampling_callback=_sample) as client:
            calls = [client.call_tool("ask_preferences", {}) for _ in range(50)]
            calls += [client.call_tool("summarize", {"text": "bees"}) for _ in range(20)]
            results = []
            for batch in itertools.batched(calls, 5) if hasattr(itertools, "batched") else _batches(calls, 5):
                results += await asyncio.gather(*batch)
            return results

    results = asyncio.run(asyncio.wait_for(go(), 240))
    texts = [result.content[0].text for result in results]
    assert texts == ["2 x teal"] * 50 + ["echo-1 said short"] * 20
    # The 70 answers were spread over the four workers, most of them away from the waiting call.
    assert sum(balancer.answers.values()) == 70 and len(balancer.answers) == 4, balancer.answers


def _batches(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def test_a_subscriber_on_one_worker_hears_of_updates_raised_by_another_and_by_a_command(workers):
    servers, env = workers
    a, b, c, d = (server.url + "/stateful/http" for server in servers)
    session_id = initialize(a)
    received: list[dict] = []
    heard = threading.Condition()
    opened = threading.Event()

    def listen() -> None:
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "MCP-Protocol-Version": "2025-11-25"}
        with httpx.Client(timeout=30) as client, client.stream("GET", b, headers=headers) as stream:
            opened.set()
            with contextlib.suppress(httpx.HTTPError):  # the server stops at the end of the module
                for line in stream.iter_lines():
                    if line.startswith("data: {"):
                        with heard:
                            received.append(json.loads(line[len("data: ") :]))
                            heard.notify_all()

    def uris_heard() -> set[str]:
        return {m["params"]["uri"] for m in received if m.get("method") == "notifications/resources/updated"}

    threading.Thread(target=listen, daemon=True).start()
    assert opened.wait(10)
    # Subscribed through worker C, while worker B holds the session's stream.
    for uri in ("test://static-text", "greeting://ann"):
        subscribed = post(c, session_id, "resources/subscribe", {"uri": uri})
        assert parse_sse(subscribed.text)[-1]["result"] == {}, subscribed.text
    # Raised by a tool on worker D (again until heard: the stream may still be starting)...
    for _ in range(20):
        touch = {"name": "touch_resource", "arguments": {"uri": "test://static-text"}}
        assert parse_sse(post(d, session_id, "tools/call", touch).text)[-1]["result"]["content"][0]["text"] == "touched"
        with heard:
            if heard.wait_for(lambda: "test://static-text" in uris_heard(), 1):
                break
    # ... and by a process that serves no HTTP.
    _notify_from_a_command(env, "django_mcp.notify_resource_updated('greeting://ann')")
    with heard:
        assert heard.wait_for(lambda: uris_heard() == {"test://static-text", "greeting://ann"}, 15), received
    # Unsubscribed through worker A: no longer told.
    unsubscribed = post(a, session_id, "resources/unsubscribe", {"uri": "greeting://ann"})
    assert parse_sse(unsubscribed.text)[-1]["result"] == {}, unsubscribed.text
    _notify_from_a_command(env, "django_mcp.notify_resource_updated('greeting://ann')")
    touch = {"name": "touch_resource", "arguments": {"uri": "test://static-text"}}
    post(d, session_id, "tools/call", touch)
    with heard:
        assert heard.wait_for(lambda: len(received) >= 3 and received[-1]["params"]["uri"] == "test://static-text", 15)
    assert [m["params"]["uri"] for m in received].count("greeting://ann") == 1


def _notify_from_a_command(env: dict[str, str], code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "django", "shell", "-c", f"import django_mcp; {code}"],
        cwd=TESTS,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_listen_stream_hears_of_changes_made_on_other_workers(workers):
    servers, env = workers
    _, transport = balanced(servers)

    async def go():
        async with (
            Client(transport, mode=VERSION) as client,
            client.listen(resources_list_changed=True, resource_subscriptions=["test://static-text"]) as sub,
        ):
            await client.call_tool("touch_resource", {"uri": "test://static-text"})  # on another worker
            first = await asyncio.wait_for(sub.__anext__(), 10)
            await asyncio.to_thread(_notify_from_a_command, env, "django_mcp.notify_list_changed('resource')")
            second = await asyncio.wait_for(sub.__anext__(), 10)
            return first, second

    first, second = asyncio.run(asyncio.wait_for(go(), 90))
    assert type(first).__name__ == "ResourceUpdated" and first.uri == "test://static-text"
    assert type(second).__name__ == "ResourcesListChanged"


def test_a_cancellation_reaches_the_call_on_another_worker(workers):
    servers, _ = workers
    a, b = (server.url + "/stateful/http" for server in servers[:2])
    session_id = initialize(a)
    headers = {**HEADERS, "Mcp-Session-Id": session_id}
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "slow_steps", "arguments": {"steps": 1}, "_meta": {"progressToken": "p"}},
    }
    with httpx.Client(timeout=30) as client, client.stream("POST", a, json=call, headers=headers) as stream:
        lines = stream.iter_lines()
        next(line for line in lines if line.startswith("data:") and "progress" in line)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}
        assert httpx.post(b, json=cancel, headers=headers).status_code == 202
        rest = [line for line in lines if line.startswith("data: ")]
    # Cancelled: the stream ends without an answer to request 7.
    assert all(json.loads(line[len("data: ") :]).get("id") != 7 for line in rest)
    assert "cancelled by the client" in servers[0].log


#: What each process manager prints once per worker process it started.
STARTED = {"gunicorn": "Started server process", "uvicorn": "Started server process", "granian": "Started worker-"}


def _recipe(manager: str, port: int) -> list[str]:
    """The command line of docs/deployment.md's recipe for ``manager``, run
    on the test project at 127.0.0.1:``port``."""
    page = (ROOT / "docs" / "deployment.md").read_text()
    block = page.split("### Recipes", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    (line,) = [line for line in block.splitlines() if line.startswith(f"{manager} ")]
    line = line.replace("my_project.", "testproject.").replace("0.0.0.0", "127.0.0.1").replace("8000", str(port))
    return shlex.split(line)


@contextlib.contextmanager
def _serving(manager: str, env: dict[str, str], log_path: Path) -> Iterator[int]:
    """Runs a recipe's command (as ``python -m``, so this interpreter's) until
    the block ends; yields its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", *_recipe(manager, port)],
        cwd=TESTS,
        env={**os.environ, **env},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, log_path)
        yield port
    finally:
        process.terminate()
        process.wait(20)


async def _elicitations(url: str, count: int, http: httpx2.AsyncClient, redis) -> tuple[list[str], int]:  # noqa: F811
    """``count`` elicitation round trips of a handshake-era client, one at a
    time; and how many of its answers were passed on to another process (one
    ``PUBLISH`` each)."""
    transport = streamable_http_client(url, http_client=http)
    async with Client(transport, mode="legacy", elicitation_callback=_elicit, sampling_callback=_sample) as client:
        published = _publications(redis)
        texts = [(await client.call_tool("ask_preferences", {})).content[0].text for _ in range(count)]
        return texts, _publications(redis) - published


def _publications(redis) -> int:  # noqa: F811
    """How many ``PUBLISH`` commands the Redis server ran so far."""
    stats = redis_client.Redis.from_url(redis.url).info("commandstats")
    return stats.get("cmdstat_publish", {}).get("calls", 0)


@pytest.mark.parametrize("manager", ["gunicorn", "uvicorn", "granian"])
def test_four_workers_on_one_socket(tmp_path_factory, workers, redis, manager):  # noqa: F811
    """The recipes of docs/deployment.md, their command lines as written there:
    gunicorn with uvicorn workers, uvicorn --workers and granian, each with
    four workers. The workers share one listening socket and the kernel hands
    each new connection to one of them; with a connection per request, the
    answers land on any worker and are passed on to the waiting call's."""
    _, env = workers
    log_path = tmp_path_factory.mktemp(manager) / f"{manager}.log"
    with _serving(manager, env, log_path) as port:
        # The first worker up answers while the others may still be starting
        # on a busy machine: every worker is waited for before the round trips.
        deadline = time.monotonic() + 60
        while log_path.read_text().count(STARTED[manager]) < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert log_path.read_text().count(STARTED[manager]) == 4
        url = f"http://127.0.0.1:{port}/stateful/http"
        call = {"name": "add", "arguments": {"a": 1, "b": 2}}
        assert rpc(f"http://127.0.0.1:{port}/mcp/http", "tools/call", call)["result"]["content"][0]["text"] == "3"
        # The kernel picks the worker of each connection, and one busy worker
        # can win a whole batch: up to five batches of 20 round trips, until
        # an answer lands on another worker than its call's.
        passed_on = 0
        for _ in range(5):
            texts, passed_on = asyncio.run(asyncio.wait_for(_batch(url, redis), 180))
            assert texts == ["2 x teal"] * 20
            if passed_on:
                break
    # Some answers landed on another worker than their call's and were passed on.
    assert passed_on > 0


async def _batch(url: str, redis) -> tuple[list[str], int]:  # noqa: F811
    """20 elicitation round trips, a new connection for each request."""
    limits = httpx2.Limits(max_keepalive_connections=0)
    async with httpx2.AsyncClient(limits=limits, timeout=httpx2.Timeout(30, read=60)) as http:
        return await _elicitations(url, 20, http, redis)


def test_daphne_processes_behind_a_balancer(tmp_path_factory, workers, redis):  # noqa: F811
    """channels' daphne runs one process per command: two of them behind the
    round robin, a handshake-era client's answers passed on between them."""
    _, env = workers
    tmp = tmp_path_factory.mktemp("daphne")
    with _serving("daphne", env, tmp / "a.log") as a, _serving("daphne", env, tmp / "b.log") as b:
        balancer = RoundRobin([a, b])
        http = httpx2.AsyncClient(transport=balancer, timeout=httpx2.Timeout(30, read=60))
        url = f"http://127.0.0.1:{a}/stateful/http"
        texts, passed_on = asyncio.run(asyncio.wait_for(_elicitations(url, 20, http, redis), 180))
        assert texts == ["2 x teal"] * 20
        call = {"name": "add", "arguments": {"a": 1, "b": 2}}
        assert rpc(f"http://127.0.0.1:{b}/mcp/http", "tools/call", call)["result"]["content"][0]["text"] == "3"
    assert sum(balancer.answers.values()) == 20 and passed_on > 0


def _leaves(error: BaseException) -> list[BaseException]:
    """The errors inside an exception group, however deeply nested."""
    inner = getattr(error, "exceptions", None)
    return [leaf for e in inner for leaf in _leaves(e)] if inner else [error]


def _wait_for_port(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")


def test_system_checks_warn_when_processes_cannot_reach_one_another(tmp_path, redis):  # noqa: F811
    def check(**env: str) -> str:
        inherited = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
        full = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "TEST_DB": str(tmp_path / "db.sqlite3"),
            **env,
        }
        done = subprocess.run(
            [sys.executable, "-m", "django", "check"], cwd=TESTS, env=full, capture_output=True, text=True
        )
        return done.stdout + done.stderr

    shared = check(MCP_TEST_SESSION_CHECK="filebased")
    assert "django_mcp.W011" in shared and "FileBasedCache" in shared
    several = check(WEB_CONCURRENCY="4")
    assert "django_mcp.W012" in several and "WEB_CONCURRENCY=4" in several
    assert "django_mcp.W01" not in check(WEB_CONCURRENCY="4", MCP_TEST_REDIS_URL=redis.url)
    assert "django_mcp.W01" not in check()


def test_redis_round_trips_of_a_stateless_and_a_stateful_call(tmp_path_factory):
    """What docs/deployment.md states: a stateless tools/call sends Redis no
    command; a stateful one answered on an event stream four round trips (the
    session's GET, the lease's SET, and one script call, EVALSHA, each for the
    answer and for the end of the stream), once the process's connections are
    made. Commands are seen with MONITOR, which tells those a script runs apart."""
    store = Redis(tmp_path_factory.mktemp("redis-cost"), free_port())
    store.start()
    server = _test_project(tmp_path_factory, "cost", {"MCP_TEST_REDIS_URL": store.url})
    try:
        client = redis_client.Redis.from_url(store.url)
        marker = redis_client.Redis.from_url(store.url)
        marker.ping()  # its connection is made before watching
        call = {"name": "add", "arguments": {"a": 1, "b": 2}}

        def commands_of(send) -> dict[str, int]:
            """The commands the server sent while ``send`` ran, by name."""
            seen: dict[str, int] = {}
            watching = threading.Event()

            def watch() -> None:
                with client.monitor() as monitor:
                    watching.set()
                    for command in monitor.listen():
                        if command["command"] == "ECHO cost-end":
                            return
                        if command["client_type"] != "lua":
                            name = command["command"].split()[0].lower()
                            seen[name] = seen.get(name, 0) + 1

            watcher = threading.Thread(target=watch)
            watcher.start()
            assert watching.wait(10)
            send()
            marker.echo("cost-end")
            watcher.join(10)
            return seen

        stateless = commands_of(lambda: rpc(server.url + "/mcp/http", "tools/call", call))
        assert stateless == {}
        session_id = initialize(server.url + "/stateful/http")
        post(server.url + "/stateful/http", session_id, "tools/call", call)  # the connections are made
        answered: list[dict] = []
        stateful = commands_of(
            lambda: answered.append(
                parse_sse(post(server.url + "/stateful/http", session_id, "tools/call", call).text)[-1]
            )
        )
        assert answered[0]["result"]["structuredContent"] == {"result": 3}
        assert stateful == {"get": 1, "set": 1, "evalsha": 2}
    finally:
        server.stop()
        store.stop()


def test_a_worker_killed_while_its_call_waits_for_an_answer_ends_the_call_with_an_error(tmp_path_factory, redis):  # noqa: F811
    """kill -9 of the worker whose call waits for an elicitation's answer: the
    balancer stops sending it requests, the SDK client resumes the call's
    stream on the other worker, and hears that the call was lost."""
    tmp = tmp_path_factory.mktemp("killed")
    settings = json.dumps({"MCP_HTTP_LOST_CALL_TIMEOUT": 2, "MCP_HTTP_SSE_KEEPALIVE": 1})
    env = {
        "TEST_DB": str(tmp / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "MCP_TEST_REDIS_URL": redis.url,
        "MCP_TEST_SETTINGS": settings,
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"],
        cwd=TESTS,
        env={**os.environ, **env},
        check=True,
    )
    servers = [start_server("testproject.asgi:application", TESTS, tmp, env) for _ in range(2)]
    by_port = dict(zip(_ports(servers), servers, strict=True))
    balancer = RoundRobin(list(by_port))
    http = httpx2.AsyncClient(transport=balancer, timeout=httpx2.Timeout(30, read=60))
    transport = streamable_http_client(servers[0].url + "/stateful/http", http_client=http)

    async def kill_the_caller_then_answer(context, params):
        holder = balancer.served["tools/call"]
        by_port[holder].process.kill()
        by_port[holder].process.wait(10)
        balancer.dead.add(holder)  # its health check fails
        return types.ElicitResult(action="accept", content={"color": "teal", "count": 2})

    async def go():
        async with Client(transport, mode="legacy", elicitation_callback=kill_the_caller_then_answer) as client:
            return await client.call_tool("ask_preferences", {})

    try:
        with pytest.raises(Exception) as raised:  # the SDK's task group wraps the call's error
            asyncio.run(asyncio.wait_for(go(), 60))
        (lost,) = [e for e in _leaves(raised.value) if isinstance(e, MCPError)]
        assert "The call was lost: the process running it stopped" in str(lost)
    finally:
        for server in servers:
            server.stop()


def test_the_typescript_sdk_answers_on_any_worker(workers):
    """The TypeScript SDK v1 (tests/interop) through the same round robin."""
    from test_interop import node

    servers, _ = workers
    done = node("workers.mjs", "50", "20", *(server.url + "/stateful/http" for server in servers), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["texts"] == ["2 x green"] * 50 + ["ts-model said short"] * 20
    # One call at a time: calls and answers alternate, so every answer went to
    # another worker than its call's (two of the four take all the answers).
    assert sum(out["answersTo"].values()) == 70 and len(out["answersTo"]) >= 2, out["answersTo"]
