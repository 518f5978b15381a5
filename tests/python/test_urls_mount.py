"""`include("django_mcp.urls")`: MCP through Django's views, under a real WSGI
server (`manage.py runserver`) and under ASGI, with real requests and the
official Python SDK client."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import HEADERS, TESTS, free_port
from mcp import Client


@pytest.fixture(scope="module")
def wsgi_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wsgi")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "TEST_DB": str(tmp / "db.sqlite3"),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"], cwd=TESTS, env=env, check=True)
    port = free_port()
    log = tmp / "runserver.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=TESTS,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}", log
    process.terminate()
    process.wait(10)


def call(url: str, name: str, arguments: dict, headers: dict | None = None) -> httpx.Response:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    headers = {**HEADERS, "MCP-Protocol-Version": "2025-11-25", **(headers or {})}
    return httpx.post(url, json=message, headers=headers, timeout=30)


def test_tools_through_django_views_under_wsgi(wsgi_server):
    base, log = wsgi_server
    url = base + "/viaurls/alice/http"
    r = call(url, "path_info", {})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json()["result"]["structuredContent"] == {"user_uuid": ["str", "alice"]}
    assert call(url, "sync_orm", {"text": "wsgi"}).json()["result"]["structuredContent"]["count"] >= 1
    assert call(url, "async_orm", {"text": "wsgi"}).json()["result"]["structuredContent"]["result"] >= 2
    failed = call(url, "fail", {"message": "via views"}).json()["result"]
    assert failed["isError"] is True and "via views" in failed["content"][0]["text"]
    assert httpx.get(base + "/viaurls/alice/health").json()["status"] == "ok"
    assert "Traceback" not in log.read_text().split("via views")[0]


def test_http_rules_hold_through_views(wsgi_server):
    base, _ = wsgi_server
    url = base + "/viaurls/alice/http"
    stream_only = call(url, "add", {"a": 1, "b": 2}, {"Accept": "text/event-stream"})
    assert stream_only.status_code == 406 and "application/json only" in stream_only.json()["error"]["message"]
    garbage = httpx.post(url, content=b"{nope", headers=HEADERS)
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == -32700
    assert httpx.post(url, content=b"{}", headers={**HEADERS, "Content-Type": "text/plain"}).status_code == 415
    assert httpx.get(url, headers=HEADERS).status_code == 405
    notification = httpx.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=HEADERS)
    assert notification.status_code == 202
    # A path that is not a slug does not match, as Django's converters decide.
    assert httpx.post(base + "/viaurls/not.a.slug/http", json={}, headers=HEADERS).text.startswith("django saw")


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_sdk_client_through_views(wsgi_server, mode):
    base, _ = wsgi_server

    async def go():
        async with Client(base + "/viaurls/bob/http", mode=mode) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            return tools, await client.call_tool("add", {"a": 20, "b": 22})

    tools, result = asyncio.run(asyncio.wait_for(go(), 60))
    assert "add" in tools and result.structured_content == {"result": 42}


def test_views_under_asgi_too(sse_server):
    r = call(sse_server.url + "/viaurls/carol/http", "path_info", {})
    assert r.status_code == 200 and r.json()["result"]["structuredContent"] == {"user_uuid": ["str", "carol"]}
