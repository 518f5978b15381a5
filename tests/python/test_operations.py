"""The audit log and rate limits on real servers: two uvicorn processes that
share one database and count calls in one real redis-server, called by raw
HTTP and by the official Python SDK client."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import HEADERS, _test_project, django_python, free_port, rpc_messages
from test_redis_sessions import Redis
from test_sessions import initialize

TABLE = "django_mcp_audit_callrecord"


@pytest.fixture(scope="module")
def redis(tmp_path_factory):
    server = Redis(tmp_path_factory.mktemp("ops-redis"), free_port())
    server.start()
    yield server
    server.stop()


class Nodes:
    def __init__(self, a, b, env: dict[str, str]) -> None:
        self.a, self.b, self.env = a, b, env
        self.db = env["TEST_DB"]

    def rows(self, where: str, *params, count: int = 1, timeout: float = 15) -> list[dict]:
        """The audit rows matching ``where``, once there are ``count`` of them (they are written in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            with sqlite3.connect(self.db, timeout=10) as db:
                db.row_factory = sqlite3.Row
                found = [
                    dict(r) for r in db.execute(f"SELECT * FROM {TABLE} WHERE {where} ORDER BY called_at, id", params)
                ]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def python(self, code: str) -> str:
        return django_python(code, self.env)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory, redis):
    tmp = tmp_path_factory.mktemp("ops-db")
    env = {
        "DJANGO_SETTINGS_MODULE": "testproject.ops_settings",
        "MCP_TEST_REDIS_URL": redis.url,
        "TEST_DB": str(tmp / "db.sqlite3"),
    }
    a = _test_project(tmp_path_factory, "ops-a", env)
    b = _test_project(tmp_path_factory, "ops-b", env)
    yield Nodes(a, b, {**os.environ, **env})
    a.stop()
    b.stop()


@pytest.fixture(scope="module")
def tokens(nodes) -> dict[str, str]:
    """API tokens of two users: ann and bob."""
    printed = nodes.python(
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from django_mcp.tokens.models import APIToken\n"
        "tokens = {}\n"
        "for name in ('ann', 'bob'):\n"
        "    user = User.objects.create_user(name, password='pw')\n"
        "    tokens[name] = APIToken.objects.issue(user, 'audit tests', [], None)[1]\n"
        "print(json.dumps(tokens))\n"
    )
    return json.loads(printed.splitlines()[-1])


def call(url: str, name: str, arguments: dict, *, id: int = 1, headers: dict | None = None) -> httpx.Response:
    message = {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    return httpx.post(url + "/mcp/http", json=message, headers={**HEADERS, **(headers or {})}, timeout=30)


def answer(response: httpx.Response) -> dict:
    return [m for m in rpc_messages(response) if "id" in m][-1]


def text(response: httpx.Response) -> str:
    """The text of a tool result's first content block."""
    return answer(response)["result"]["content"][0]["text"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# -- rate limits --------------------------------------------------------------


def test_a_tool_limit_holds_across_both_processes(nodes):
    # MCP_THROTTLE_RATES["tool:limited"] = "4/hour", counted in the Redis both processes share.
    for i, node in enumerate([nodes.a, nodes.b, nodes.a, nodes.b]):
        response = call(node.url, "limited", {"n": i}, id=i)
        assert response.status_code == 200, response.text
        assert text(response) == str(i)
    for node in (nodes.a, nodes.b):
        refused = call(node.url, "limited", {"n": 99}, id=9)
        # The whole answer is the refusal: HTTP 429 with Retry-After, and the JSON-RPC error as JSON.
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/json"
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 3600
        error = refused.json()["error"]
        assert refused.json()["id"] == 9
        assert error["code"] == -32005 and error["data"] == {"retryAfter": wait}
        assert "4/hour per caller for tool limited" in error["message"]
    # Logged, and audited with the refused calls' arguments.
    assert "rate limit exceeded" in nodes.a.log and "rate limit exceeded" in nodes.b.log
    rows = nodes.rows("name = 'limited'", count=6)
    assert [r["outcome"] for r in rows] == ["ok"] * 4 + ["rate_limited"] * 2
    assert json.loads(rows[-1]["arguments"]) == {"n": 99}
    assert "try again in" in rows[-1]["error"]


def test_a_json_answer_on_a_session_is_refused_with_429_too(nodes):
    # The stateful transport answering with JSON (no stream accepted): 429 as well.
    session_id = initialize(nodes.a.url + "/stateful/http")
    headers = {"Content-Type": "application/json", "Accept": "application/json", "Mcp-Session-Id": session_id}
    message = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "limited", "arguments": {"n": 1}}}
    refused = httpx.post(nodes.b.url + "/stateful/http", json=message, headers=headers, timeout=30)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == -32005


def test_the_official_client_sees_429_and_the_error(nodes):
    """@throttle("2/hour") on decorated_limit; the client's own HTTP client
    reports each response's status and Retry-After."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    seen: list[tuple[int, str | None]] = []

    async def note(response) -> None:
        if response.request.method == "POST" and b"decorated_limit" in response.request.content:
            seen.append((response.status_code, response.headers.get("retry-after")))

    async def go(mode: str, node) -> list:
        outcomes = []
        async with (
            httpx2.AsyncClient(event_hooks={"response": [note]}) as http,
            Client(streamable_http_client(node.url + "/mcp/http", http_client=http), mode=mode) as client,
        ):
            for _ in range(2):
                try:
                    result = await client.call_tool("decorated_limit", {})
                    outcomes.append(result.content[0].text)
                except MCPError as e:
                    outcomes.append((e.error.code, e.error.data))
        return outcomes

    legacy = asyncio.run(asyncio.wait_for(go("legacy", nodes.a), 60))
    modern = asyncio.run(asyncio.wait_for(go("2026-07-28", nodes.b), 60))
    assert legacy == ["done", "done"]
    assert [o[0] for o in modern] == [-32005, -32005]
    wait = modern[0][1]["retryAfter"]
    assert seen[:2] == [(200, None), (200, None)]
    assert seen[2:] == [(429, str(wait)), (429, str(wait))]


def test_the_user_limit_counts_each_caller_apart(nodes, tokens):
    # MCP_THROTTLE_RATES["user"] = "60/hour": ann's calls, on both processes together.
    ann = bearer(tokens["ann"])
    for i in range(60):
        response = call((nodes.a, nodes.b)[i % 2].url, "add", {"a": i, "b": 1}, id=i, headers=ann)
        assert response.status_code == 200 and "result" in answer(response), response.text
    refused = call(nodes.a.url, "add", {"a": 1, "b": 1}, headers=ann)
    assert refused.status_code == 429
    assert "60/hour per caller" in refused.json()["error"]["message"]
    # Another caller has a count of its own.
    assert text(call(nodes.b.url, "add", {"a": 1, "b": 1})) == "2"
    rows = nodes.rows("username = 'ann' AND outcome = 'rate_limited'")
    assert rows and rows[0]["auth_method"] == "token" and tokens["ann"][4:12] == rows[0]["token"]


# -- the audit log ------------------------------------------------------------


def test_every_outcome_is_audited(nodes, tokens):
    url = nodes.a.url
    assert text(call(url, "add", {"a": 40, "b": 2}, id=1001)) == "42"
    assert answer(call(url, "fail", {"message": "audit me"}, id=1002))["result"]["isError"] is True
    # Refused before it runs (no user: 401), and by its permission check (bob lacks auth.view_user).
    assert call(url, "user_count", {}, id=1003).status_code == 401
    forbidden = answer(call(url, "user_count", {}, id=1004, headers=bearer(tokens["bob"])))
    assert forbidden["error"]["message"].startswith("Forbidden")
    # MCP_HTTP_REQUEST_TIMEOUT = 1 second.
    assert "timed out" in answer(call(url, "sleepy", {"seconds": 3}, id=1005))["result"]["content"][0]["text"]
    _cancel_a_call(url)

    rows = {r["name"]: r for r in nodes.rows("request_id BETWEEN '1001' AND '1007'", count=6)}
    assert rows["add"]["outcome"] == "ok" and json.loads(rows["add"]["arguments"]) == {"a": 40, "b": 2}
    assert rows["add"]["kind"] == "tool" and rows["add"]["path"] == "/mcp/http"
    assert rows["add"]["client_address"] == "127.0.0.1" and rows["add"]["username"] == ""
    assert rows["add"]["user_agent"].startswith("python-httpx")
    assert rows["fail"]["outcome"] == "error" and "audit me" in rows["fail"]["error"]
    refused = nodes.rows("name = 'user_count'", count=2)
    assert [r["outcome"] for r in refused] == ["refused", "refused"]
    assert refused[0]["error"].startswith("HTTP 401") and refused[0]["username"] == ""
    assert refused[1]["username"] == "bob" and refused[1]["error"].startswith("Forbidden")
    assert rows["sleepy"]["outcome"] == "timed_out" and rows["sleepy"]["duration_ms"] >= 1000
    assert rows["cancellable"]["outcome"] == "cancelled"


def _cancel_a_call(url: str) -> None:
    """cancellable, on a session, stopped by notifications/cancelled."""
    endpoint = url + "/stateful/http"
    session_id = initialize(endpoint)
    headers = {**HEADERS, "Mcp-Session-Id": session_id}
    message = {"jsonrpc": "2.0", "id": 1007, "method": "tools/call", "params": {"name": "cancellable", "arguments": {}}}
    message["params"]["arguments"] = {"gate": f"audit-{time.monotonic()}"}
    worker = threading.Thread(target=lambda: httpx.post(endpoint, json=message, headers=headers, timeout=30))
    worker.start()
    time.sleep(0.5)
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1007}}
    assert httpx.post(endpoint, json=cancel, headers=headers).status_code == 202
    worker.join(30)


def test_the_client_its_revision_and_the_caller_are_recorded(nodes, tokens):
    from mcp import Client
    from mcp_types import Implementation

    async def go():
        async with Client(
            nodes.b.url + "/mcp/http", mode="2026-07-28", client_info=Implementation(name="audit-client", version="4.5")
        ) as client:
            return await client.call_tool("describe_arguments", {"n": 7, "x": 1.5})

    assert asyncio.run(asyncio.wait_for(go(), 60)).is_error is False
    row = nodes.rows("name = 'describe_arguments'")[0]
    assert (row["client_name"], row["client_version"], row["protocol_version"]) == ("audit-client", "4.5", "2026-07-28")

    greeting = httpx.post(
        nodes.a.url + "/mcp/http",
        json={"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "greeting://Ada"}},
        headers={**HEADERS, **bearer(tokens["bob"])},
    )
    assert answer(greeting)["result"]["contents"][0]["text"] == "Hello, Ada!"
    row = nodes.rows("kind = 'resource'")[0]
    assert (row["name"], row["uri"], row["username"]) == ("greeting://{name}", "greeting://Ada", "bob")
    assert json.loads(row["arguments"]) == {"name": "Ada"} and row["user_id"] is not None


def test_secrets_are_redacted(nodes):
    arguments = {"username": "ada", "password": "hunter2", "note": "private", "options": {"x": 1}}
    assert answer(call(nodes.a.url, "sign_in", arguments))["result"]["content"][0]["text"] == "signed in ada"
    nested = {"values": {"db": {"host": "h", "PASSWORD": "p", "apiKey": "k", "keyword": "kept"}, "max_tokens": 5}}
    assert text(call(nodes.b.url, "save_settings", nested)) == "2"
    signed = json.loads(nodes.rows("name = 'sign_in'")[0]["arguments"])
    # A secret's name, @redact("note"), MCP_AUDIT_REDACT["tool:sign_in"] = ["options"].
    assert signed == {"username": "ada", "password": "[redacted]", "note": "[redacted]", "options": "[redacted]"}
    saved = json.loads(nodes.rows("name = 'save_settings'")[0]["arguments"])
    db = {"host": "h", "PASSWORD": "[redacted]", "apiKey": "[redacted]", "keyword": "kept"}
    assert saved == {"values": {"db": db, "max_tokens": 5}}
    raw = Path(nodes.db).read_bytes()
    assert b"hunter2" not in raw and b"private" not in raw


def test_a_failing_database_leaves_the_answers_intact(nodes):
    with sqlite3.connect(nodes.db, timeout=10) as db:
        db.execute(f"ALTER TABLE {TABLE} RENAME TO audit_away")
    try:
        for node in (nodes.a, nodes.b):
            response = call(node.url, "add", {"a": 20, "b": 22}, id=31)
            assert response.status_code == 200
            assert text(response) == "42"
        deadline = time.monotonic() + 15
        while "were not written: the database failed" not in nodes.a.log and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "MCP audit log: 1 call record(s) were not written: the database failed" in nodes.a.log
    finally:
        with sqlite3.connect(nodes.db, timeout=10) as db:
            db.execute(f"ALTER TABLE audit_away RENAME TO {TABLE}")
    # The next calls are recorded again.
    assert text(call(nodes.a.url, "add", {"a": 1, "b": 31}, id=32)) == "32"
    assert nodes.rows("request_id = '32'")


def test_the_admin_lists_filters_and_prunes_the_audit_log(nodes):
    call(nodes.a.url, "add", {"a": 5, "b": 5}, id=41)
    assert nodes.rows("request_id = '41'")
    printed = nodes.python(
        "from datetime import timedelta\n"
        "from django.contrib.auth.models import User\n"
        "from django.core.management import call_command\n"
        "from django.test import Client\n"
        "from django.utils import timezone\n"
        "from django_mcp.audit.models import CallRecord\n"
        "admin = User.objects.create_superuser('root', 'root@example.org', 'pw')\n"
        "client = Client()\n"
        "client.force_login(admin)\n"
        "page = client.get('/admin/django_mcp_audit/callrecord/', {'outcome': 'ok', 'q': 'add'})\n"
        "print(page.status_code, page.content.count(b'field-name'), b'>add<' in page.content)\n"
        "refused = client.get('/admin/django_mcp_audit/callrecord/', {'outcome__exact': 'refused'})\n"
        "print(refused.status_code, b'user_count' in refused.content, b'>add<' in refused.content)\n"
        "row = CallRecord.objects.filter(name='add').first()\n"
        "detail = client.get(f'/admin/django_mcp_audit/callrecord/{row.pk}/change/')\n"
        "print(detail.status_code, b'name=\"_save\"' in detail.content)\n"
        "old = CallRecord.objects.create(called_at=timezone.now() - timedelta(days=100), duration_ms=1,\n"
        "                                kind='tool', name='ancient', outcome='ok')\n"
        "call_command('mcp_audit_prune', '--dry-run')\n"
        "call_command('mcp_audit_prune')\n"
        "print(CallRecord.objects.filter(name='ancient').exists(), CallRecord.objects.filter(name='add').exists())\n"
    )
    lines = printed.splitlines()
    listed, refused, detail = lines[-6].split(), lines[-5].split(), lines[-4].split()
    assert listed[0] == "200" and int(listed[1]) >= 1 and listed[2] == "True"
    assert refused == ["200", "True", "False"]
    assert detail == ["200", "False"]  # read-only: nothing to save
    assert lines[-3] == "1 audit record(s) older than 90 day(s) would be deleted"
    assert lines[-2] == "Deleted 1 audit record(s) older than 90 day(s)"
    assert lines[-1] == "False True"
