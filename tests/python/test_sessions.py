"""Stateful Streamable HTTP and the HTTP+SSE transport, with the in-process
session store, against a real uvicorn server and the official Python SDK."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from conftest import HEADERS, _test_project, parse_sse
from mcp import Client, ClientSession
from mcp.client.sse import sse_client

INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def initialize(url: str) -> str:
    r = httpx.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}, headers=HEADERS)
    assert r.status_code == 200, r.text
    session_id = r.headers["mcp-session-id"]
    notified = httpx.post(
        url,
        json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        headers={**HEADERS, "Mcp-Session-Id": session_id},
    )
    assert notified.status_code == 202
    return session_id


def post(url: str, session_id: str | None, method: str, params: dict | None = None, id: int = 1) -> httpx.Response:
    headers = {**HEADERS, **({"Mcp-Session-Id": session_id} if session_id else {})}
    return httpx.post(
        url, json={"jsonrpc": "2.0", "id": id, "method": method, "params": params or {}}, headers=headers, timeout=30
    )


def test_sessions_are_issued_required_and_deleted(sse_server):
    url = sse_server.url + "/stateful/http"
    session_id = initialize(url)
    assert 16 <= len(session_id) <= 128 and session_id.isascii()

    listed = post(url, session_id, "tools/list")
    assert listed.status_code == 200 and "add" in {t["name"] for t in parse_sse(listed.text)[-1]["result"]["tools"]}

    missing = post(url, None, "tools/list")
    assert missing.status_code == 400 and "Mcp-Session-Id header is required" in missing.json()["error"]["message"]
    unknown = post(url, "not-a-session", "tools/list")
    assert unknown.status_code == 404 and "Session not found" in unknown.json()["error"]["message"]
    malformed = post(url, "has space", "tools/list")
    assert malformed.status_code == 400

    deleted = httpx.delete(url, headers={"Mcp-Session-Id": session_id})
    assert deleted.status_code == 200
    after = post(url, session_id, "tools/list")
    assert after.status_code == 404
    assert httpx.delete(url, headers={"Mcp-Session-Id": session_id}).status_code == 404
    assert httpx.put(url, headers={"Mcp-Session-Id": session_id}).status_code == 405


def test_2026_clients_are_served_without_a_session_on_the_same_endpoint(sse_server):
    async def go():
        async with Client(sse_server.url + "/stateful/http", mode="2026-07-28") as client:
            return await client.call_tool("add", {"a": 2, "b": 3})

    assert run(go()).structured_content == {"result": 5}


def test_a_session_is_bound_to_the_path_it_was_opened_at(sse_server):
    alice = sse_server.url + "/bound/alice/http"
    session_id = initialize(alice)
    ok = post(alice, session_id, "tools/call", {"name": "path_info", "arguments": {}})
    assert parse_sse(ok.text)[-1]["result"]["structuredContent"] == {"user_uuid": ["str", "alice"]}
    other = post(sse_server.url + "/bound/bob/http", session_id, "tools/call", {"name": "path_info", "arguments": {}})
    assert other.status_code == 403
    assert "opened at /bound/alice" in other.json()["error"]["message"]


def test_sdk_client_keeps_a_session_and_receives_progress(sse_server):
    progress = []

    async def go():
        async with Client(sse_server.url + "/stateful/http", mode="legacy") as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            gate = f"sdk-{time.monotonic_ns()}"

            async def on_progress(value, total, message):
                progress.append((value, message))
                if value == 1:
                    await client.call_tool("release", {"gate": gate})

            result = await client.call_tool("wait_for_release", {"gate": gate}, progress_callback=on_progress)
            return client.protocol_version, tools, result

    version, tools, result = run(go())
    assert version == "2025-11-25" and "add" in tools
    assert result.is_error is False
    assert [p[0] for p in progress] == [1, 2]
    assert "MCP session" in sse_server.log and "opened (protocol 2025-11-25)" in sse_server.log


def test_post_streams_resume_with_last_event_id(sse_server):
    """The tool closes its response stream; the rest is fetched by GET with Last-Event-ID."""
    url = sse_server.url + "/stateful/http"
    session_id = initialize(url)
    gate = f"resume-{time.monotonic_ns()}"
    first = post(
        url,
        session_id,
        "tools/call",
        {"name": "detach_then_finish", "arguments": {"gate": gate}, "_meta": {"progressToken": "p"}},
    )
    assert first.status_code == 200
    events = [block for block in first.text.split("\n\n") if block.strip()]
    # A priming event (id, retry, no data), then the progress sent before the stream closed.
    assert events[0].startswith("id: ") and "retry: 1000" in events[0]
    ids = [line[4:] for block in events for line in block.split("\n") if line.startswith("id: ")]
    messages = parse_sse(first.text)
    assert [m["params"]["progress"] for m in messages] == [1]

    # The call goes on: release it while nobody listens, then resume.
    released = post(url, session_id, "tools/call", {"name": "release", "arguments": {"gate": gate}}, id=2)
    assert released.status_code == 200
    with httpx.stream(
        "GET",
        url,
        headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": ids[-1]},
        timeout=10,
    ) as r:
        assert r.status_code == 200
        body = r.read().decode()
    resumed = parse_sse(body)
    assert resumed[0]["params"]["progress"] == 2
    assert resumed[-1]["id"] == 1 and resumed[-1]["result"]["content"][0]["text"] == f"finished {gate}"

    # Resuming from the priming event replays the whole stream.
    with httpx.stream(
        "GET",
        url,
        headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": ids[0]},
        timeout=10,
    ) as r:
        replay = parse_sse(r.read().decode())
    assert [m.get("params", {}).get("progress") for m in replay[:2]] == [1, 2] and replay[-1]["id"] == 1

    bad = httpx.get(
        url, headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": "forged"}
    )
    assert bad.status_code == 400 and "Last-Event-ID" in bad.json()["error"]["message"]


def test_sdk_client_resumes_a_closed_stream_by_itself(sse_server):
    async def go():
        async with Client(sse_server.url + "/stateful/http", mode="legacy") as client:
            gate = f"sdk-resume-{time.monotonic_ns()}"

            async def release_later():
                await asyncio.sleep(0.5)
                async with Client(sse_server.url + "/mcp/http", mode="legacy") as other:
                    await other.call_tool("release", {"gate": gate})

            releaser = asyncio.ensure_future(release_later())
            result = await client.call_tool("detach_then_finish", {"gate": gate})
            await releaser
            return gate, result

    gate, result = run(go())
    assert result.content[0].text == f"finished {gate}"


def test_get_opens_the_session_stream(sse_server):
    url = sse_server.url + "/stateful/http"
    session_id = initialize(url)
    assert httpx.get(url, headers={"Accept": "application/json", "Mcp-Session-Id": session_id}).status_code == 406
    assert httpx.get(url, headers={"Accept": "text/event-stream"}).status_code == 400
    with httpx.stream(
        "GET", url, headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id}, timeout=5
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        first = next(r.iter_text())
    assert first.startswith("id: 0.") and "retry:" in first


def test_sessions_expire(tmp_path_factory):
    server = _test_project(tmp_path_factory, "expiry", {"MCP_TEST_SESSION_TTL": "1"})
    try:
        url = server.url + "/stateful/http"
        session_id = initialize(url)
        assert post(url, session_id, "ping").status_code == 200
        time.sleep(0.6)
        assert post(url, session_id, "ping").status_code == 200  # each request pushes the expiry back
        time.sleep(0.6)
        assert post(url, session_id, "ping").status_code == 200
        time.sleep(1.6)
        expired = post(url, session_id, "ping")
        assert expired.status_code == 404
        # The sweeper also drops sessions nobody asks about again.
        initialize(url)
        deadline = time.monotonic() + 5
        while "Expired 1 MCP session" not in server.log and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Expired 1 MCP session" in server.log
    finally:
        server.stop()


# The HTTP+SSE transport (2024-11-05).


def test_sse_transport_with_the_sdk_client(sse_server):
    progress = []

    async def go():
        async with (
            sse_client(sse_server.url + "/bound/carol/sse") as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            tools = {t.name for t in (await session.list_tools()).tools}

            async def on_progress(value, total, message):
                progress.append(value)

            added = await session.call_tool("add", {"a": 4, "b": 5})
            info = await session.call_tool("path_info", {})
            gate = f"sse-{time.monotonic_ns()}"
            waiter = asyncio.ensure_future(
                session.call_tool("wait_for_release", {"gate": gate}, progress_callback=on_progress)
            )
            await asyncio.sleep(0.3)
            await session.call_tool("release", {"gate": gate})
            waited = await waiter
            return init, tools, added, info, waited

    init, tools, added, info, waited = run(go())
    assert init.server_info.name == "testproject"
    assert "add" in tools
    assert added.structured_content == {"result": 9}
    assert info.structured_content == {"user_uuid": ["str", "carol"]}
    assert waited.is_error is False and progress == [1, 2]
    time.sleep(0.3)
    tail = sse_server.log[sse_server.log.rfind("MCP SSE session") - 200 :]
    assert "SSE session" in tail and "closed" in tail
    assert "Traceback" not in sse_server.log.split("MCP SSE session")[-1]


def _sse_endpoint(url: str):
    """Opens the stream; returns the client, the response, its line iterator and the endpoint."""
    client = httpx.Client(timeout=10)
    stream = client.send(client.build_request("GET", url, headers={"Accept": "text/event-stream"}), stream=True)
    assert stream.status_code == 200
    lines = stream.iter_lines()
    assert next(lines) == "event: endpoint"
    endpoint = next(lines)[len("data: ") :]
    return client, stream, lines, endpoint


def test_sse_endpoint_event_and_message_rules(sse_server):
    client, stream, lines, endpoint = _sse_endpoint(sse_server.url + "/bound/dave/sse")
    try:
        assert endpoint.startswith("/bound/dave/messages/?session_id=")
        session_id = endpoint.split("=", 1)[1]
        accepted = httpx.post(
            sse_server.url + endpoint, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": INIT}
        )
        assert accepted.status_code == 202, accepted.text
        block = [line for line in (next(lines) for _ in range(3)) if line][:2]
        assert (
            block[0] == "event: message"
            and json.loads(block[1][len("data: ") :])["result"]["protocolVersion"] == "2025-06-18"
        )

        other_path = httpx.post(
            sse_server.url + f"/bound/eve/messages/?session_id={session_id}",
            json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
        )
        assert other_path.status_code == 403 and "opened at /bound/dave" in other_path.json()["error"]["message"]
        assert (
            httpx.post(
                sse_server.url + "/bound/dave/messages/", json={"jsonrpc": "2.0", "id": 3, "method": "ping"}
            ).status_code
            == 400
        )
        assert (
            httpx.post(
                sse_server.url + "/bound/dave/messages/?session_id=unknown",
                json={"jsonrpc": "2.0", "id": 4, "method": "ping"},
            ).status_code
            == 404
        )
        garbage = httpx.post(sse_server.url + endpoint, content=b"{nope", headers={"Content-Type": "application/json"})
        assert garbage.status_code == 400 and garbage.json()["error"]["code"] == -32700
    finally:
        stream.close()
        client.close()


def test_sse_endpoint_honours_root_path(tmp_path_factory):
    server = _test_project(tmp_path_factory, "rootpath", {}, extra=("--root-path", "/prefix"))
    try:
        client, stream, _lines, endpoint = _sse_endpoint(server.url + "/bound/frank/sse")
        stream.close()
        client.close()
        assert endpoint.startswith("/prefix/bound/frank/messages/?session_id=")
    finally:
        server.stop()


@pytest.mark.parametrize("transport", [["http_stateless", "http"], "websocket", []])
def test_transport_type_is_checked(transport):
    from django_mcp import mount_mcp_server

    async def django_app(scope, receive, send):
        raise AssertionError("not reached")

    with pytest.raises(ValueError, match="transport_type"):
        mount_mcp_server(django_http_app=django_app, mcp_base_path="/x", transport_type=transport)


def test_system_checks_name_session_store_mistakes(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import TESTS

    script = (
        "import django; from django.conf import settings; "
        "from django.core.management import call_command; django.setup(); call_command('check')"
    )

    def check(**env: str) -> subprocess.CompletedProcess:
        full = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            "TEST_DB": str(tmp_path / "db.sqlite3"),
            **env,
        }
        return subprocess.run([sys.executable, "-c", script], cwd=TESTS, env=full, capture_output=True, text=True)

    missing = check(MCP_TEST_SESSION_CHECK="missing-alias")
    assert "django_mcp.E010" in missing.stderr and "CACHES has no 'sessions' cache" in missing.stderr
    local = check(MCP_TEST_SESSION_CHECK="locmem")
    assert "django_mcp.W010" in local.stderr and "LocMemCache" in local.stderr
    bad_mount = check(MCP_TEST_BAD_MOUNT="1")
    assert "django_mcp.E003" in bad_mount.stderr and 'unknown path converter "bogus"' in bad_mount.stderr


def test_session_streams_carry_resource_updates_and_list_changes(sse_server):
    import threading

    url = sse_server.url + "/stateful/http"
    opened = httpx.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}, headers=HEADERS)
    capabilities = parse_sse(opened.text)[-1]["result"]["capabilities"]
    assert capabilities["resources"]["subscribe"] is True and capabilities["tools"]["listChanged"] is True
    session_id = opened.headers["mcp-session-id"]
    assert (
        parse_sse(post(url, session_id, "resources/subscribe", {"uri": "test://static-text"}).text)[-1]["result"] == {}
    )
    missing = post(url, session_id, "resources/subscribe", {"uri": "nothing://here"})
    assert parse_sse(missing.text)[-1]["error"]["code"] == -32002

    received: list[dict] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET", url, headers={"Accept": "text/event-stream", "Mcp-Session-Id": session_id}, timeout=10
        ) as r:
            for line in r.iter_lines():
                ready.set()
                if line.startswith("data: {"):
                    received.append(json.loads(line[6:]))
                    if len(received) == 2:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(5)
    time.sleep(0.2)
    for uri in ("greeting://nobody", "test://static-text"):  # only the second is subscribed
        post(url, session_id, "tools/call", {"name": "touch_resource", "arguments": {"uri": uri}})
    post(
        url,
        session_id,
        "tools/call",
        {"name": "add_tool_at_runtime", "arguments": {"name": f"dynamic_{time.monotonic_ns()}"}},
    )
    listener.join(10)
    assert [m["method"] for m in received] == ["notifications/resources/updated", "notifications/tools/list_changed"], (
        received
    )
    assert received[0]["params"] == {"uri": "test://static-text"}  # greeting://nobody was not subscribed


def test_a_quiet_session_stream_gets_keepalives_then_its_result(sse_server):
    # MCP_HTTP_SSE_KEEPALIVE is 0.5 s in the test project.
    url = sse_server.url + "/stateful/http"
    session_id = initialize(url)
    r = post(url, session_id, "tools/call", {"name": "sleepy", "arguments": {"seconds": 1.3}})
    assert r.status_code == 200 and r.headers["content-type"] == "text/event-stream"
    assert r.text.count(": keepalive") >= 2
    assert parse_sse(r.text)[-1]["result"]["isError"] is False
    # A quick call's stream ends before any keepalive is due.
    quick = post(url, session_id, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}, id=2)
    assert ": keepalive" not in quick.text and parse_sse(quick.text)[-1]["result"]["content"][0]["text"] == "3"
