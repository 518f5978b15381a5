"""Sessions in Redis, shared by two uvicorn processes with no affinity: a real
redis-server on 127.0.0.1 (an ephemeral port) and real server processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import httpx
import pytest
from conftest import HEADERS, _test_project, free_port, parse_sse
from test_sessions import INIT, initialize, post


class Redis:
    def __init__(self, tmp, port: int) -> None:
        self.tmp, self.port = tmp, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is missing: install Debian's redis-server (.ci/run does)")
        args = [
            exe,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.tmp),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("redis"), free_port())
    server.start()
    yield server
    server.stop()


def node(tmp_path_factory, redis: Redis, name: str, **env: str):
    return _test_project(tmp_path_factory, name, {"MCP_TEST_REDIS_URL": redis.url, **env})


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, redis):
    a, b = node(tmp_path_factory, redis, "node-a"), node(tmp_path_factory, redis, "node-b")
    yield a, b
    a.stop()
    b.stop()


def result(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return parse_sse(response.text)[-1]


def test_requests_alternating_between_nodes_keep_the_session(nodes):
    a, b = nodes
    session_id = initialize(a.url + "/stateful/http")
    for i in range(6):
        url = (b if i % 2 == 0 else a).url + "/stateful/http"
        answer = result(post(url, session_id, "tools/call", {"name": "add", "arguments": {"a": i, "b": 100}}, id=i + 1))
        assert answer["result"]["structuredContent"] == {"result": i + 100}
    # Deleted on one node, gone on the other.
    assert httpx.delete(b.url + "/stateful/http", headers={"Mcp-Session-Id": session_id}).status_code == 200
    assert post(a.url + "/stateful/http", session_id, "ping").status_code == 404


def test_a_stream_held_by_one_node_receives_what_another_node_answers(nodes):
    a, b = nodes
    with (
        httpx.Client(timeout=15) as client,
        client.stream("GET", a.url + "/stateful/sse", headers={"Accept": "text/event-stream"}) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines) == "event: endpoint"
        endpoint = next(lines)[len("data: ") :]
        received: list[dict] = []

        def read() -> None:
            for line in lines:
                if line.startswith("data: "):
                    received.append(json.loads(line[len("data: ") :]))
                    if len(received) == 2:
                        return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        # Every POST goes to node B; the answers arrive on node A's stream.
        assert (
            httpx.post(
                b.url + endpoint, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}
            ).status_code
            == 202
        )
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 40, "b": 2}},
        }
        assert httpx.post(b.url + endpoint, json=call).status_code == 202
        reader.join(10)
    assert [m["id"] for m in received] == [1, 2]
    assert received[1]["result"]["structuredContent"] == {"result": 42}


def test_sessions_survive_a_restart_of_every_node(tmp_path_factory, redis):
    a, b = node(tmp_path_factory, redis, "before-a"), node(tmp_path_factory, redis, "before-b")
    try:
        session_id = initialize(a.url + "/stateful/http")
        assert result(post(b.url + "/stateful/http", session_id, "ping"))["result"] == {}
    finally:
        a.stop()
        b.stop()
    a, b = node(tmp_path_factory, redis, "after-a"), node(tmp_path_factory, redis, "after-b")
    try:
        for server in (a, b):
            answer = result(
                post(
                    server.url + "/stateful/http",
                    session_id,
                    "tools/call",
                    {"name": "add", "arguments": {"a": 1, "b": 1}},
                )
            )
            assert answer["result"]["structuredContent"] == {"result": 2}
    finally:
        a.stop()
        b.stop()


def test_resume_on_another_node_after_a_node_is_killed_mid_stream(tmp_path_factory, redis):
    a, b = node(tmp_path_factory, redis, "doomed-a"), node(tmp_path_factory, redis, "survivor-b")
    try:
        session_id = initialize(a.url + "/stateful/http")
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "slow_steps", "arguments": {"steps": 5, "delay": 0.2}, "_meta": {"progressToken": "s"}},
        }
        last_seen = None
        with (
            httpx.Client(timeout=15) as client,
            client.stream(
                "POST", a.url + "/stateful/http", json=call, headers={**HEADERS, "Mcp-Session-Id": session_id}
            ) as stream,
        ):
            event_id = None
            for line in stream.iter_lines():
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: {"):
                    assert json.loads(line[6:])["params"]["progress"] == 1
                    last_seen = event_id
                    break
            # The client saw step 1 only; node A goes on storing steps 2 to 5, then dies.
            time.sleep(1.5)
            os.kill(a.process.pid, signal.SIGKILL)
            a.process.wait(10)
        assert last_seen is not None
        progress = []
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": last_seen}
        with (
            httpx.Client(timeout=15) as client,
            client.stream("GET", b.url + "/stateful/http", headers=headers) as stream,
        ):
            for line in stream.iter_lines():
                if line.startswith("data: {"):
                    progress.append(json.loads(line[6:])["params"]["progress"])
                    if len(progress) == 4:
                        break
        assert progress == [2, 3, 4, 5]
    finally:
        a.stop()
        b.stop()


def test_sessions_expire_in_redis(tmp_path_factory, redis):
    server = node(tmp_path_factory, redis, "short-lived", MCP_TEST_SESSION_TTL="1")
    try:
        session_id = initialize(server.url + "/stateful/http")
        assert post(server.url + "/stateful/http", session_id, "ping").status_code == 200
        time.sleep(2.5)
        assert post(server.url + "/stateful/http", session_id, "ping").status_code == 404
    finally:
        server.stop()


def test_redis_going_away_gives_503_and_service_recovers(tmp_path_factory):
    redis = Redis(tmp_path_factory.mktemp("flaky-redis"), free_port())
    redis.start()
    server = node(tmp_path_factory, redis, "flaky")
    try:
        url = server.url + "/stateful/http"
        session_id = initialize(url)
        redis.stop()
        down = post(url, session_id, "ping")
        assert down.status_code == 503
        assert "session store cannot be reached" in down.json()["error"]["message"]
        assert down.headers["retry-after"] == "1"
        fresh = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}, headers=HEADERS
        )
        assert fresh.status_code == 503
        # Stateless clients never touch the store and go on being served meanwhile.
        assert (
            httpx.post(
                server.url + "/mcp/http", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=HEADERS
            ).status_code
            == 200
        )
        redis.start()
        session_id = initialize(url)
        assert result(post(url, session_id, "ping"))["result"] == {}
        assert "MCP session store unavailable" in server.log and "Traceback" not in server.log
    finally:
        server.stop()
        redis.stop()


def test_a_newline_in_a_path_parameter_keeps_the_session(nodes):
    """``<name>`` takes any character but ``/``: a session opened at a path
    holding a newline (``%0A``) is stored and served like any other."""
    a, b = nodes
    url = "/named/one%0Atwo/http"
    session_id = initialize(a.url + url)
    for server in (a, b, a):
        answer = result(post(server.url + url, session_id, "tools/call", {"name": "path_info", "arguments": {}}))
        assert answer["result"]["structuredContent"] == {"name": ["str", "one\ntwo"]}
    # Still bound to that path: the same session elsewhere is refused.
    assert post(a.url + "/named/one/http", session_id, "ping").status_code == 403
    assert "Traceback" not in a.log + b.log


def test_a_paused_redis_gives_503_within_the_store_timeout(tmp_path_factory):
    """A Redis that stops answering (SIGSTOP: connections stay open, nothing
    comes back) is unavailable after MCP_SESSION_STORE_TIMEOUT: requests get
    503 with Retry-After, open streams end, and service resumes with it."""
    redis = Redis(tmp_path_factory.mktemp("paused-redis"), free_port())
    redis.start()
    server = node(tmp_path_factory, redis, "paused", MCP_TEST_SETTINGS=json.dumps({"MCP_SESSION_STORE_TIMEOUT": 1}))
    ended = threading.Event()
    try:
        url = server.url + "/stateful/http"
        session_id = initialize(url)
        assert result(post(url, session_id, "ping"))["result"] == {}

        def hold_stream() -> None:
            headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id}
            with httpx.Client(timeout=30) as client, client.stream("GET", url, headers=headers) as stream:
                for _ in stream.iter_lines():
                    pass
            ended.set()

        holder = threading.Thread(target=hold_stream, daemon=True)
        holder.start()
        time.sleep(1)  # the stream is open, waiting on Redis for events
        assert redis.process is not None
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            down = httpx.post(
                url,
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={**HEADERS, "Mcp-Session-Id": session_id},
                timeout=10,
            )
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"] == "1"
            assert time.monotonic() - started < 5
            assert ended.wait(10), "the open stream was left hanging on the paused Redis"
            assert "did not answer within 1 seconds (MCP_SESSION_STORE_TIMEOUT)" in server.log
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        deadline = time.monotonic() + 15
        while post(url, session_id, "ping").status_code != 200:
            assert time.monotonic() < deadline, "no recovery after Redis resumed"
            time.sleep(0.2)
        assert "Traceback" not in server.log
    finally:
        server.stop()
        redis.stop()


def test_a_call_lost_with_its_process_ends_the_resumed_stream_with_an_error(tmp_path_factory, redis):
    """kill -9 of the process running a call: a client resuming its stream on
    another process gets a JSON-RPC error for that request within
    MCP_HTTP_LOST_CALL_TIMEOUT, not keepalives for ever."""
    settings = json.dumps({"MCP_HTTP_LOST_CALL_TIMEOUT": 2})
    a = node(tmp_path_factory, redis, "lost-a", MCP_TEST_SETTINGS=settings)
    b = node(tmp_path_factory, redis, "lost-b", MCP_TEST_SETTINGS=settings)
    try:
        session_id = initialize(a.url + "/stateful/http")
        call = {
            "jsonrpc": "2.0",
            "id": "never",
            "method": "tools/call",
            "params": {"name": "cancellable", "arguments": {"gate": "never-released"}},
        }
        with (
            httpx.Client(timeout=15) as client,
            client.stream(
                "POST", a.url + "/stateful/http", json=call, headers={**HEADERS, "Mcp-Session-Id": session_id}
            ) as stream,
        ):
            first_id = next(line[4:] for line in stream.iter_lines() if line.startswith("id: "))
            time.sleep(0.5)  # the call runs
            os.kill(a.process.pid, signal.SIGKILL)
            a.process.wait(10)
        headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": first_id}
        deadline = time.monotonic() + 10
        text = ""
        with httpx.Client(timeout=15) as client, client.stream("GET", b.url + "/stateful/http", headers=headers) as r:
            for line in r.iter_lines():  # ends on its own once the error is sent
                text += line + "\n"
                assert time.monotonic() < deadline, "only keepalives: the lost call never ended"
        (answer,) = parse_sse(text)
        assert answer["id"] == "never" and answer["error"]["code"] == -32603
        assert "lost" in answer["error"]["message"]
        # A second client resuming it gets the same answer at once.
        assert parse_sse(httpx.get(b.url + "/stateful/http", headers=headers, timeout=5).text) == [answer]
    finally:
        a.stop()
        b.stop()


def test_a_store_failure_mid_call_answers_the_connected_client(tmp_path_factory):
    """Redis goes away while a call runs: its result cannot be stored, and the
    client still connected gets a JSON-RPC error for it, not a silent end."""
    redis = Redis(tmp_path_factory.mktemp("failing-redis"), free_port())
    redis.start()
    server = node(tmp_path_factory, redis, "failing")
    try:
        session_id = initialize(server.url + "/stateful/http")
        gate = f"mid-call-{time.monotonic_ns()}"
        call = {
            "jsonrpc": "2.0",
            "id": 9,
            "method": "tools/call",
            "params": {"name": "cancellable", "arguments": {"gate": gate}},
        }
        headers = {**HEADERS, "Mcp-Session-Id": session_id}
        with (
            httpx.Client(timeout=15) as client,
            client.stream("POST", server.url + "/stateful/http", json=call, headers=headers) as stream,
        ):
            lines = stream.iter_lines()
            assert next(line for line in lines if line.startswith("id: "))
            redis.stop()
            release = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "release", "arguments": {"gate": gate}},
            }
            assert httpx.post(server.url + "/mcp/http", json=release, headers=HEADERS).status_code == 200
            (answer,) = parse_sse("\n".join(lines))
        assert answer["id"] == 9 and answer["error"]["code"] == -32603
        assert "session store became unreachable" in answer["error"]["message"]
    finally:
        server.stop()
        redis.stop()


def _stored_bytes(redis: Redis, session_id: str) -> int:
    """The bytes of messages Redis keeps for the session's streams."""
    import redis as redis_client

    client = redis_client.Redis.from_url(redis.url)
    try:
        return sum(
            len(fields[b"m"])
            for key in client.scan_iter(match=f"*e:{session_id}:*")
            for _, fields in client.xrange(key)
        )
    finally:
        client.close()


def test_events_kept_in_redis_are_bounded_in_bytes_per_session(tmp_path_factory, redis):
    from test_hardening import _resume, _stateful_call

    settings = {"MCP_HTTP_EVENT_STORE_SESSION_BYTES": 300_000}
    a, b = (
        node(tmp_path_factory, redis, name, MCP_TEST_SETTINGS=json.dumps(settings)) for name in ("bytes-a", "bytes-b")
    )
    try:
        url_a, url_b = a.url + "/stateful/http", b.url + "/stateful/http"
        big = "x" * 40_000
        session = initialize(url_a)
        # Ten results of ~40 KB on two processes: ~400 KB for one session, over its bound.
        calls = [_stateful_call(url_a if i % 2 else url_b, session, big, i) for i in range(1, 11)]
        assert all(messages[-1]["id"] == i for i, (_, messages) in enumerate(calls, 1))
        assert 200_000 < _stored_bytes(redis, session) <= 300_000
        # The oldest results went, their streams still end; the newest is kept.
        assert _resume(url_b, session, calls[0][0]) == []
        assert big in json.dumps(_resume(url_a, session, calls[-1][0]))
        # Ending the session leaves nothing of it in Redis.
        assert httpx.delete(url_b, headers={"Mcp-Session-Id": session}).status_code in (200, 204)
        assert _stored_bytes(redis, session) == 0
        assert "Traceback" not in a.log + b.log
    finally:
        a.stop()
        b.stop()
