"""The example project, driven the way the README tells users to: curl, then the SDK client."""

import asyncio
import json
import shutil
import subprocess

import pytest
from conftest import parse_sse
from mcp import Client

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

CURL_HEADERS = ["-H", "Content-Type: application/json", "-H", "Accept: application/json, text/event-stream"]


def curl(*args: str) -> str:
    return subprocess.run(
        ["curl", "-sS", "--fail-with-body", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_readme_curl_requests(example_server):
    url = example_server.url
    assert json.loads(curl(f"{url}/mcp/health"))["status"] == "ok"

    listed = parse_sse(
        curl(
            "-X", "POST", f"{url}/mcp/http", *CURL_HEADERS, "-d", '{"jsonrpc": "2.0", "method": "tools/list", "id": 1}'
        )
    )
    names = {t["name"] for t in listed[0]["result"]["tools"]}
    assert {"add", "get_user_info_from_path", "a_very_long_task", "increment_counter_tool"} <= names

    body = (
        '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 2}}, "id": 2}'
    )
    called = parse_sse(curl("-X", "POST", f"{url}/mcp/http", *CURL_HEADERS, "-d", body))
    assert called[-1] == {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {"content": [{"type": "text", "text": "3"}], "isError": False},
    }


def test_user_uuid_path_parameter(example_server):
    body = '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "get_user_info_from_path", "arguments": {}}, "id": 3}'
    messages = parse_sse(curl("-X", "POST", f"{example_server.url}/mcp/3f2c-user/http", *CURL_HEADERS, "-d", body))
    assert messages[0]["params"] == {"level": "info", "data": "Retrieved user_uuid: 3f2c-user"}
    assert messages[-1]["result"]["content"][0]["text"] == "Retrieved user_uuid: 3f2c-user"


def test_example_with_the_sdk_client(example_server):
    progress = []

    async def on_progress(value, total, message):
        progress.append(value)

    async def go():
        async with Client(example_server.url + "/mcp/u-1/http", mode="auto") as client:
            created = await client.call_tool("create_counter", {"name": "visits"})
            bumped = await client.call_tool("list_counters", {})
            counter_id = 1
            incremented = await client.call_tool("increment_counter_tool", {"counter_id": counter_id})
            long = await client.call_tool(
                "a_very_long_task", {"input_data": "x", "steps": 3, "delay": 0.05}, progress_callback=on_progress
            )
            greeting = await client.read_resource("greeting://Ada")
            divided = await client.call_tool("divide", {"a": 1, "b": 0})
            prompt = await client.get_prompt("review_code", {"code": "print(1)"})
            return created, bumped, incremented, long, greeting, divided, prompt

    created, listed, incremented, long, greeting, divided, prompt = asyncio.run(asyncio.wait_for(go(), 60))
    assert created.structured_content == {"name": "visits", "value": 0}
    assert {"name": "visits", "value": 0} in listed.structured_content["result"]
    assert incremented.structured_content == {"result": {"name": "visits", "value": 1}}
    assert long.content[0].text == "Success: x" and progress == [0.0, pytest.approx(100 / 3), pytest.approx(200 / 3)]
    assert greeting.contents[0].text == "Hello, Ada!"
    assert divided.is_error and "division by zero" in divided.content[0].text
    assert "print(1)" in prompt.messages[0].content.text


def test_my_profile_binds_the_path_to_the_token_user(example_server):
    """The example's README flow: make a user and a token, call my_profile at your own path only."""
    import os
    import sys

    from conftest import ROOT

    env = {**os.environ, "EXAMPLE_DB": example_server.db}
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create_user('grace', 'grace@example.org')",
        ],
        cwd=ROOT / "example",
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*manage, "mcp_token", "create", "grace"],
        cwd=ROOT / "example",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    call = '{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "my_profile", "arguments": {}}, "id": 1}'
    auth = ["-H", f"Authorization: Bearer {token}", "-H", "MCP-Protocol-Version: 2025-11-25"]
    own = parse_sse(curl("-X", "POST", f"{example_server.url}/mcp/grace/http", *CURL_HEADERS, *auth, "-d", call))
    assert own[-1]["result"]["structuredContent"] == {"username": "grace", "email": "grace@example.org", "staff": False}
    other = parse_sse(curl("-X", "POST", f"{example_server.url}/mcp/alan/http", *CURL_HEADERS, *auth, "-d", call))
    assert "Forbidden" in other[-1]["error"]["message"]
    anonymous = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            f"{example_server.url}/mcp/grace/http",
            *CURL_HEADERS,
            "-d",
            call,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert anonymous.stdout == "401"
