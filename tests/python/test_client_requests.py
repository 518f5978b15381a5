"""Server-to-client requests in the handshake era: elicitation and sampling
travel on the call's event stream and the answer comes back in a new POST."""

import asyncio

import httpx
import mcp_types as types
import pytest
from conftest import HEADERS, rpc
from mcp import Client


async def _accept(context, params):
    assert params.message == "What do you like?"
    assert set(params.requested_schema["properties"]) == {"color", "count"}
    return types.ElicitResult(action="accept", content={"color": "teal", "count": 3})


async def _decline(context, params):
    return types.ElicitResult(action="decline")


async def _sample(context, params):
    assert params.messages[0].content.text == "Summarize: bees"
    assert params.max_tokens == 50
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text="they buzz"), model="test-model"
    )


@pytest.mark.parametrize("callback, expected", [(_accept, "3 x teal"), (_decline, "user chose decline")])
def test_elicitation_round_trip(sse_server, callback, expected):
    async def go():
        async with Client(sse_server.url + "/mcp/http", mode="legacy", elicitation_callback=callback) as client:
            return await client.call_tool("ask_preferences", {})

    result = asyncio.run(asyncio.wait_for(go(), 30))
    assert result.is_error is False and result.content[0].text == expected


def test_sampling_round_trip(sse_server):
    async def go():
        async with Client(sse_server.url + "/mcp/http", mode="legacy", sampling_callback=_sample) as client:
            return await client.call_tool("summarize", {"text": "bees"})

    result = asyncio.run(asyncio.wait_for(go(), 30))
    assert result.content[0].text == "test-model said they buzz"


def test_elicitation_needs_a_stream(json_server):
    msg = rpc(json_server.url + "/mcp/http", "tools/call", {"name": "ask_preferences", "arguments": {}})
    assert msg["result"]["isError"] is True
    assert "event-stream" in msg["result"]["content"][0]["text"]


def test_answers_to_unknown_requests_are_accepted_and_ignored(sse_server):
    r = httpx.post(
        sse_server.url + "/mcp/http",
        json={"jsonrpc": "2.0", "id": "srv-forged", "result": {"action": "accept"}},
        headers=HEADERS,
    )
    assert r.status_code == 202
