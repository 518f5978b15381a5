"""The official Python SDK client (PyPI `mcp` 2.x) against a real server."""

import asyncio
import uuid

import pytest
from mcp import Client

MODES = ["legacy", "auto", "2026-07-28"]
EXPECTED_VERSION = {"legacy": "2025-11-25", "auto": "2026-07-28", "2026-07-28": "2026-07-28"}


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


@pytest.mark.parametrize("mode", MODES)
def test_list_and_call_tools(server, mode):
    async def go():
        async with Client(server.url + "/mcp/http", mode=mode) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            result = await client.call_tool("add", {"a": 20, "b": 22})
            failed = await client.call_tool("fail", {"message": "nope"})
            return client.server_info, client.protocol_version, tools, result, failed

    info, version, tools, result, failed = run(go())
    assert {"add", "wait_for_release", "sync_orm"} <= tools
    assert version == EXPECTED_VERSION[mode]
    if mode == "2026-07-28":
        # A pinned client skips server/discover; every result carries the server's stamp instead.
        assert info is None
        assert result.meta["io.modelcontextprotocol/serverInfo"]["name"] == "testproject"
    else:
        assert info.name == "testproject" and info.version == "9.8.7" and info.title == "Test Project Server"
    assert result.is_error is False
    assert result.content[0].text == "42" and result.structured_content == {"result": 42}
    assert failed.is_error is True and "nope" in failed.content[0].text


@pytest.mark.parametrize("mode", MODES)
def test_resources_and_prompts(server, mode):
    async def go():
        async with Client(server.url + "/slug/someone/http", mode=mode) as client:
            static = await client.read_resource("test://static-text")
            greeting = await client.read_resource("greeting://Grace")
            templates = await client.list_resource_templates()
            prompt = await client.get_prompt("greet", {"name": "Linus"})
            prompts = await client.list_prompts()
            return static, greeting, templates, prompt, prompts

    static, greeting, templates, prompt, prompts = run(go())
    assert static.contents[0].text == "This is the content of the static text resource."
    assert greeting.contents[0].text == "Hello, Grace!"
    assert "greeting://{name}" in {t.uri_template for t in templates.resource_templates}
    assert prompt.messages[0].content.text == "Hello Linus."
    assert "greet" in {p.name for p in prompts.prompts}


def test_progress_and_log_notifications_reach_the_client(sse_server):
    progress, logs = [], []

    async def on_log(params):
        logs.append(params.data)

    first_progress = asyncio.Event()

    async def on_progress(value, total, message):
        progress.append((value, total, message))
        first_progress.set()

    async def go():
        gate = uuid.uuid4().hex
        async with Client(sse_server.url + "/mcp/http", mode="legacy", logging_callback=on_log) as client:
            call = asyncio.ensure_future(
                client.call_tool("wait_for_release", {"gate": gate}, progress_callback=on_progress)
            )
            await first_progress.wait()
            seen_before_result = list(progress)
            assert not call.done()
            await client.call_tool("release", {"gate": gate})
            result = await call
            return seen_before_result, result, gate

    seen, result, gate = run(go())
    assert seen == [(1.0, 2.0, "waiting")]
    assert progress[-1] == (2.0, 2.0, "released")
    assert f"waiting on {gate}" in logs
    assert result.content[0].text == f"released {gate}"


def test_path_params_and_sdk_context_annotation(server):
    async def go():
        async with Client(
            server.url + "/typed/7/0b0e6e4a-2f1d-4c55-9d2a-2b8c6c6f4e01/eve/http", mode="legacy"
        ) as client:
            typed = await client.call_tool("path_info", {})
            sdk = await client.call_tool("sdk_context", {})
            return typed, sdk

    typed, sdk = run(go())
    assert typed.structured_content["number"] == ["int", "7"]
    assert typed.structured_content["key"][0] == "UUID"
    assert sdk.content[0].text.startswith("got Context with path {'number': 7")


def test_sync_orm_tool_through_the_sdk(server):
    async def go():
        async with Client(server.url + "/mcp/http", mode="legacy") as client:
            return await client.call_tool("sync_orm", {"text": "from sdk"})

    result = run(go())
    assert result.is_error is False and result.structured_content["thread"] is True
