"""Revision 2026-07-28 served natively next to the handshake revisions:
discover, the per-request envelope and its headers, multi-round-trip input,
log opt-in, subscriptions/listen."""

import asyncio
import uuid

import httpx
import mcp_types as types
import pytest
from conftest import HEADERS
from mcp import Client

VERSION = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": VERSION, "io.modelcontextprotocol/clientCapabilities": {}}


def modern_post(server, method, params=None, *, name=None, headers=None, id=1):
    body = {
        "jsonrpc": "2.0",
        "id": id,
        "method": method,
        "params": {**(params or {}), "_meta": {**META, **((params or {}).get("_meta") or {})}},
    }
    h = {
        **HEADERS,
        "MCP-Protocol-Version": VERSION,
        "Mcp-Method": method,
        **({"Mcp-Name": name} if name else {}),
        **(headers or {}),
    }
    return httpx.post(server.url + "/mcp/http", json=body, headers=h, timeout=30)


def final(response):
    from conftest import rpc_messages

    return [m for m in rpc_messages(response) if "id" in m][-1]


def test_discover(server):
    r = modern_post(server, "server/discover")
    result = final(r)["result"]
    assert r.status_code == 200
    assert VERSION in result["supportedVersions"] and "2025-11-25" in result["supportedVersions"]
    assert result["resultType"] == "complete"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"] == {
        "name": "testproject",
        "title": "Test Project Server",
        "version": "9.8.7",
    }
    assert result["capabilities"]["tools"] == {"listChanged": True}
    assert result["ttlMs"] == 0 and result["cacheScope"] == "private"


def test_lists_carry_stamps_and_cache_hints(server):
    result = final(modern_post(server, "tools/list"))["result"]
    assert result["resultType"] == "complete" and result["cacheScope"] == "private" and "ttlMs" in result
    assert any(t["name"] == "add" for t in result["tools"])


def test_call_results_are_stamped(server):
    result = final(modern_post(server, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}, name="add"))[
        "result"
    ]
    assert result["resultType"] == "complete"
    assert result["structuredContent"] == {"result": 3}
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "testproject"


@pytest.mark.parametrize(
    "headers, code",
    [
        ({"Mcp-Method": "tools/list"}, -32020),
        ({"Mcp-Name": "fail"}, -32020),
        ({"Mcp-Name": None}, -32020),
    ],
)
def test_headers_must_match_the_body(server, headers, code):
    h = {**HEADERS, "MCP-Protocol-Version": VERSION, "Mcp-Method": "tools/call", "Mcp-Name": "add", **headers}
    h = {k: v for k, v in h.items() if v is not None}
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "add", "arguments": {"a": 1, "b": 1}, "_meta": META},
    }
    r = httpx.post(server.url + "/mcp/http", json=body, headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == code


def test_missing_envelope_is_invalid_params(server):
    h = {**HEADERS, "MCP-Protocol-Version": VERSION, "Mcp-Method": "tools/list"}
    r = httpx.post(
        server.url + "/mcp/http", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}, headers=h
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == -32602
    assert "_meta" in r.json()["error"]["message"]


def test_unknown_version_is_32022_with_the_supported_list(server):
    h = {**HEADERS, "MCP-Protocol-Version": "2099-01-01", "Mcp-Method": "tools/list"}
    r = httpx.post(server.url + "/mcp/http", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=h)
    assert r.status_code == 400
    error = r.json()["error"]
    assert (
        error["code"] == -32022 and VERSION in error["data"]["supported"] and error["data"]["requested"] == "2099-01-01"
    )


def test_removed_methods_are_404(server):
    for method in ("ping", "initialize", "logging/setLevel"):
        r = modern_post(server, method)
        assert r.status_code == 404 and r.json()["error"]["code"] == -32601, method


def test_unknown_resource_is_invalid_params(server):
    r = modern_post(server, "resources/read", {"uri": "nothing://here"}, name="nothing://here")
    assert r.status_code == 400 and r.json()["error"]["code"] == -32602


def test_notifications_are_acknowledged(server):
    h = {**HEADERS, "MCP-Protocol-Version": VERSION}
    r = httpx.post(
        server.url + "/mcp/http",
        json={"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
        headers=h,
    )
    assert r.status_code == 202


def test_logs_only_with_opt_in(sse_server):
    without = modern_post(sse_server, "tools/call", {"name": "log_levels", "arguments": {}}, name="log_levels")
    from conftest import rpc_messages

    assert [m for m in rpc_messages(without) if m.get("method") == "notifications/message"] == []
    opted = modern_post(
        sse_server,
        "tools/call",
        {"name": "log_levels", "arguments": {}, "_meta": {"io.modelcontextprotocol/logLevel": "warning"}},
        name="log_levels",
    )
    levels = [m["params"]["level"] for m in rpc_messages(opted) if m.get("method") == "notifications/message"]
    assert levels == ["warning", "error"]


def test_input_required_rounds_with_sealed_state(server):
    url_name = "two_questions"
    caps = {"elicitation": {}, "sampling": {}}
    params = {"name": url_name, "arguments": {}, "_meta": {"io.modelcontextprotocol/clientCapabilities": caps}}
    first = final(modern_post(server, "tools/call", params, name=url_name))["result"]
    assert first["resultType"] == "input_required"
    ((key, request),) = first["inputRequests"].items()
    assert request["method"] == "elicitation/create" and request["params"]["message"] == "First?"
    state = first["requestState"]

    # A tampered state is refused.
    tampered = final(modern_post(server, "tools/call", {**params, "requestState": state[:-2] + "xx"}, name=url_name))
    assert tampered["error"]["code"] == -32602 and "altered" in tampered["error"]["message"]
    # The state is bound to its request: another tool cannot replay it.
    other = final(
        modern_post(
            server,
            "tools/call",
            {"name": "ask_preferences", "arguments": {}, "requestState": state, "_meta": params["_meta"]},
            name="ask_preferences",
        )
    )
    assert other["error"]["code"] == -32602 and "another request" in other["error"]["message"]

    second = final(
        modern_post(
            server,
            "tools/call",
            {
                **params,
                "requestState": state,
                "inputResponses": {key: {"action": "accept", "content": {"color": "red"}}},
            },
            name=url_name,
        )
    )["result"]
    ((key2, request2),) = second["inputRequests"].items()
    assert key2 != key and request2["params"]["message"] == "Second?"
    third = final(
        modern_post(
            server,
            "tools/call",
            {
                **params,
                "requestState": second["requestState"],
                "inputResponses": {key2: {"action": "accept", "content": {"ok": True}}},
            },
            name=url_name,
        )
    )["result"]
    ((key3, request3),) = third["inputRequests"].items()
    assert request3["method"] == "sampling/createMessage"
    done = final(
        modern_post(
            server,
            "tools/call",
            {
                **params,
                "requestState": third["requestState"],
                "inputResponses": {
                    key3: {"role": "assistant", "content": {"type": "text", "text": "hi"}, "model": "m"}
                },
            },
            name=url_name,
        )
    )["result"]
    assert done["resultType"] == "complete" and done["content"][0]["text"] == "red/True/hi"


def test_json_answers_are_whole_bodies_with_their_status(json_server):
    ok = modern_post(json_server, "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}}, name="add")
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
    assert ok.headers["content-length"] == str(len(ok.content)) and "transfer-encoding" not in ok.headers
    assert ok.json()["result"]["structuredContent"] == {"result": 5}
    # Refused by the Python layer after planning: the error's status, not 200.
    bad = modern_post(
        json_server,
        "tools/call",
        {"name": "add", "arguments": {"a": 2, "b": 3}, "requestState": "not-a-state"},
        name="add",
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == -32602
    assert bad.headers["content-length"] == str(len(bad.content))


def test_missing_client_capability(server):
    # The sse server would answer on an event stream: the refusal still gets its own status.
    r = modern_post(server, "tools/call", {"name": "ask_preferences", "arguments": {}}, name="ask_preferences", id=41)
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    error = r.json()
    assert error["id"] == 41 and error["error"]["code"] == -32021
    assert error["error"]["data"] == {"requiredCapabilities": {"elicitation": {}}}


def test_unknown_version_answers_with_the_request_id(server):
    h = {**HEADERS, "MCP-Protocol-Version": "2099-01-01", "Mcp-Method": "tools/list"}
    body = {"jsonrpc": "2.0", "id": "list-7", "method": "tools/list", "params": {"_meta": META}}
    r = httpx.post(server.url + "/mcp/http", json=body, headers=h)
    assert r.status_code == 400 and r.json()["id"] == "list-7" and r.json()["error"]["code"] == -32022
    # No readable request id: null.
    r = httpx.post(server.url + "/mcp/http", content=b"{not json", headers=h)
    assert r.status_code == 400 and r.json()["id"] is None and r.json()["error"]["code"] == -32022


TRIP_CAPS = {"elicitation": {}, "sampling": {}, "roots": {}}
TRIP_ANSWERS = {
    "traveller": {"action": "accept", "content": {"name": "Ada"}},
    "destination": {"role": "assistant", "content": {"type": "text", "text": "Lyon"}, "model": "m"},
    "roots": {"roots": [{"uri": "file:///home/ada"}]},
}


def test_input_requests_asked_together_share_one_round(server):
    params = {
        "name": "trip_details",
        "arguments": {},
        "_meta": {"io.modelcontextprotocol/clientCapabilities": TRIP_CAPS},
    }
    first = final(modern_post(server, "tools/call", params, name="trip_details"))["result"]
    assert first["resultType"] == "input_required"
    requests = first["inputRequests"]
    assert list(requests) == ["traveller", "destination", "roots"]
    assert [r["method"] for r in requests.values()] == ["elicitation/create", "sampling/createMessage", "roots/list"]
    assert requests["destination"]["params"]["maxTokens"] == 10

    # One answer given: the next round asks only for the other two.
    partial = {
        **params,
        "requestState": first["requestState"],
        "inputResponses": {"traveller": TRIP_ANSWERS["traveller"]},
    }
    second = final(modern_post(server, "tools/call", partial, name="trip_details"))["result"]
    assert list(second["inputRequests"]) == ["destination", "roots"]

    rest = {k: v for k, v in TRIP_ANSWERS.items() if k != "traveller"}
    done = final(
        modern_post(
            server,
            "tools/call",
            {**params, "requestState": second["requestState"], "inputResponses": rest},
            name="trip_details",
        )
    )["result"]
    assert done["resultType"] == "complete" and done["content"][0]["text"] == "Ada to Lyon (1 roots)"


def test_an_answer_that_is_not_an_object_is_asked_again(server):
    params = {
        "name": "trip_details",
        "arguments": {},
        "inputResponses": {**TRIP_ANSWERS, "traveller": 12345},
        "_meta": {"io.modelcontextprotocol/clientCapabilities": TRIP_CAPS},
    }
    again = final(modern_post(server, "tools/call", params, name="trip_details"))["result"]
    assert again["resultType"] == "input_required" and list(again["inputRequests"]) == ["traveller"]


@pytest.mark.parametrize("mode", [VERSION, "legacy"])
def test_sdk_client_answers_requests_asked_together(sse_server, mode):
    """2026-07-28: one input_required round; handshake era: three requests on the response stream."""
    asked = []

    async def on_elicit(context, params):
        asked.append("elicit")
        return types.ElicitResult(action="accept", content={"name": "Grace"})

    async def on_sample(context, params):
        asked.append("sample")
        return types.CreateMessageResult(
            role="assistant", content=types.TextContent(type="text", text="Oslo"), model="m"
        )

    async def on_roots(context):
        asked.append("roots")
        return types.ListRootsResult(roots=[types.Root(uri="file:///a"), types.Root(uri="file:///b")])

    async def go():
        async with Client(
            sse_server.url + "/mcp/http",
            mode=mode,
            elicitation_callback=on_elicit,
            sampling_callback=on_sample,
            list_roots_callback=on_roots,
        ) as client:
            return await client.call_tool("trip_details", {})

    result = asyncio.run(asyncio.wait_for(go(), 30))
    assert result.content[0].text == "Grace to Oslo (2 roots)"
    assert sorted(asked) == ["elicit", "roots", "sample"]


def test_a_list_mixes_text_and_images(server):
    result = final(
        modern_post(server, "tools/call", {"name": "captioned_image", "arguments": {}}, name="captioned_image")
    )
    content = result["result"]["content"]
    assert content[0] == {"type": "text", "text": "A red dot:"}
    assert content[1]["type"] == "image" and content[1]["mimeType"] == "image/png"
    assert "structuredContent" not in result["result"]


def test_sdk_client_completes_multi_round_trips(server):
    async def on_elicit(context, params):
        answers = {"First?": {"color": "blue"}, "Second?": {"ok": False}}
        return types.ElicitResult(action="accept", content=answers[params.message])

    async def on_sample(context, params):
        return types.CreateMessageResult(role="assistant", content=types.TextContent(type="text", text="yo"), model="m")

    async def go():
        async with Client(
            server.url + "/mcp/http", mode=VERSION, elicitation_callback=on_elicit, sampling_callback=on_sample
        ) as client:
            return await client.call_tool("two_questions", {})

    result = asyncio.run(asyncio.wait_for(go(), 30))
    assert result.content[0].text == "blue/False/yo"


def test_listen_delivers_list_changes_and_resource_updates(sse_server):
    async def go():
        async with (
            Client(sse_server.url + "/mcp/http", mode=VERSION) as client,
            client.listen(tools_list_changed=True, resource_subscriptions=["test://static-text"]) as sub,
        ):
            assert sub.honored.tools_list_changed is True
            await client.call_tool("add_tool_at_runtime", {"name": f"dyn_{uuid.uuid4().hex[:8]}"})
            first = await asyncio.wait_for(sub.__anext__(), 10)
            await client.call_tool("touch_resource", {"uri": "test://static-text"})
            second = await asyncio.wait_for(sub.__anext__(), 10)
            return first, second

    first, second = asyncio.run(asyncio.wait_for(go(), 30))
    assert type(first).__name__ == "ToolsListChanged"
    assert type(second).__name__ == "ResourceUpdated" and second.uri == "test://static-text"


def test_closing_the_stream_cancels_the_call(sse_server):
    gate = uuid.uuid4().hex
    body = {
        "jsonrpc": "2.0",
        "id": 5,
        "method": "tools/call",
        "params": {"name": "cancellable", "arguments": {"gate": gate}, "_meta": META},
    }
    h = {**HEADERS, "MCP-Protocol-Version": VERSION, "Mcp-Method": "tools/call", "Mcp-Name": "cancellable"}
    # The tool blocks and sends nothing; once the keepalive opens the stream, hang up.
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", sse_server.url + "/mcp/http", json=body, headers=h) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith(": keepalive"):
                break
    for _ in range(100):
        check = final(
            modern_post(
                sse_server,
                "tools/call",
                {"name": "is_waiting_cancelled", "arguments": {"gate": gate}},
                name="is_waiting_cancelled",
            )
        )
        if check["result"]["content"][0]["text"] == "true":
            break
        import time

        time.sleep(0.05)
    else:
        raise AssertionError("closing the stream did not cancel the call")


@pytest.mark.parametrize(
    "arguments, headers, accepted",
    [
        ({"region": "eu-west"}, {"Mcp-Param-Region": "eu-west"}, True),
        ({"region": "eu-west", "replicas": 3}, {"Mcp-Param-Region": "eu-west", "mcp-param-replicas": "3"}, True),
        ({"region": "Zürich"}, {"Mcp-Param-Region": "=?base64?WsO8cmljaA==?="}, True),
        # Without the whole =?base64?...?= wrapper a value is literal.
        ({"region": "=?base64?ZXU="}, {"Mcp-Param-Region": "=?base64?ZXU="}, True),
        ({"region": "eu-west"}, {"Mcp-Param-Region": "us-east"}, False),
        ({"region": "eu-west"}, {}, False),
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVsbG8?="}, False),  # bad padding
        ({"region": "Hello"}, {"Mcp-Param-Region": "=?base64?SGVs!!!bG8=?="}, False),
        ({"region": "eu", "replicas": 3}, {"Mcp-Param-Region": "eu", "Mcp-Param-Replicas": "4"}, False),
        ({"region": "eu"}, {"Mcp-Param-Region": "eu", "Mcp-Param-Replicas": "4"}, False),
    ],
)
def test_mirrored_parameters_must_match_their_headers(server, arguments, headers, accepted):
    r = modern_post(
        server, "tools/call", {"name": "regional", "arguments": arguments}, name="regional", headers=headers
    )
    if accepted:
        assert r.status_code == 200 and final(r)["result"]["content"][0]["text"].startswith(arguments["region"])
    else:
        assert r.status_code == 400 and r.json()["error"]["code"] == -32020, r.text


def test_mirrored_parameters_are_advertised_and_checked_at_registration(json_server):
    from django_mcp import RegistrationError
    from django_mcp.server import MCPApp

    tools = final(modern_post(json_server, "tools/list"))["result"]["tools"]
    schema = next(t for t in tools if t["name"] == "regional")["inputSchema"]
    assert schema["properties"]["region"]["x-mcp-header"] == "Region"
    app = MCPApp()
    for bad in ("", "Has Space", "a:b"):
        with pytest.raises(RegistrationError, match="x-mcp-header"):
            app.add_tool(
                lambda x: x,
                name="t",
                input_schema={"type": "object", "properties": {"x": {"type": "string", "x-mcp-header": bad}}},
            )
    with pytest.raises(RegistrationError, match="both"):
        schema = {
            "type": "object",
            "properties": {"a": {"type": "string", "x-mcp-header": "K"}, "b": {"type": "string", "x-mcp-header": "k"}},
        }
        app.add_tool(lambda a, b: a, name="t", input_schema=schema)
    with pytest.raises(RegistrationError, match="string, number or boolean"):
        schema = {"type": "object", "properties": {"a": {"type": "object", "x-mcp-header": "A"}}}
        app.add_tool(lambda a: a, name="t", input_schema=schema)
