"""The Streamable HTTP rules, checked on the wire against a real server."""

import json

import httpx
import pytest
from conftest import HEADERS, rpc, rpc_messages


def post(server, body, headers=None, path="/mcp/http"):
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(server.url + path, content=content, headers={**HEADERS, **(headers or {})}, timeout=30)


def test_tools_list_names_every_tool_with_schemas(server):
    result = rpc(server.url + "/mcp/http", "tools/list", headers={"MCP-Protocol-Version": "2025-06-18"})["result"]
    tools = {t["name"]: t for t in result["tools"]}
    assert tools["add"]["inputSchema"]["properties"] == {
        "a": {"title": "A", "type": "integer"},
        "b": {"title": "B", "type": "integer"},
    }
    assert tools["add"]["inputSchema"]["required"] == ["a", "b"]
    assert tools["add"]["title"] == "Add"
    assert tools["add"]["annotations"] == {"readOnlyHint": True}
    assert tools["add"]["outputSchema"]["properties"]["result"]["type"] == "integer"
    assert tools["renamed_tool"]["description"] == "A tool registered under another name"
    assert "outputSchema" not in tools["renamed_tool"]
    assert "dx" in tools["move"]["inputSchema"]["properties"]
    assert tools["move"]["inputSchema"]["properties"]["dx"]["description"] == "how far to move along x"
    assert "ctx" not in tools["path_info"]["inputSchema"]["properties"]


def test_older_revisions_do_not_get_newer_fields(server):
    tools = rpc(server.url + "/mcp/http", "tools/list", headers={"MCP-Protocol-Version": "2024-11-05"})["result"][
        "tools"
    ]
    add = next(t for t in tools if t["name"] == "add")
    assert "title" not in add and "outputSchema" not in add and "annotations" not in add


def test_tool_call_result_has_text_and_structured_content(server):
    msg = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "add", "arguments": {"a": 2, "b": 3}},
        id=7,
        headers={"MCP-Protocol-Version": "2025-06-18"},
    )
    assert msg["id"] == 7
    assert msg["result"] == {
        "content": [{"type": "text", "text": "5"}],
        "structuredContent": {"result": 5},
        "isError": False,
    }


def test_plain_return_values_as_text_and_structured_content(server):
    def result(name, arguments, version="2025-06-18"):
        return rpc(
            server.url + "/mcp/http",
            "tools/call",
            {"name": name, "arguments": arguments},
            headers={"MCP-Protocol-Version": version},
        )["result"]

    text = 'é "quoted" \\ back\nline \u0001 😀'
    assert result("scalar_str", {"text": text}) == {
        "content": [{"type": "text", "text": text}],
        "structuredContent": {"result": text},
        "isError": False,
    }
    assert result("scalar_str", {"text": text}, "2025-03-26") == {
        "content": [{"type": "text", "text": text}],
        "isError": False,
    }
    assert result("scalar_bool", {"flag": True}) == {
        "content": [{"type": "text", "text": "true"}],
        "structuredContent": {"result": True},
        "isError": False,
    }
    assert result("scalar_mismatch", {"n": 4}) == {
        "content": [{"type": "text", "text": "4"}],
        "structuredContent": {"result": 4.0},
        "isError": False,
    }
    for kind, shown in [("big", str(2**70)), ("float", "0.00001"), ("true", "true"), ("negative", "-4")]:
        assert result("scalar_unannotated", {"kind": kind}) == {
            "content": [{"type": "text", "text": shown}],
            "isError": False,
        }, kind


def test_structured_content_only_from_2025_06_18(server):
    msg = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "add", "arguments": {"a": 2, "b": 3}},
        headers={"MCP-Protocol-Version": "2025-03-26"},
    )
    assert "structuredContent" not in msg["result"]


def test_pydantic_models_in_and_out(server):
    msg = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "move", "arguments": {"point": {"x": 1}, "dx": 4}},
        headers={"MCP-Protocol-Version": "2025-11-25"},
    )
    assert msg["result"]["structuredContent"] == {"x": 5, "y": 0}
    assert json.loads(msg["result"]["content"][0]["text"]) == {"x": 5, "y": 0}


def test_invalid_arguments_are_an_error_result_naming_the_field(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "add", "arguments": {"a": "x"}})
    assert msg["result"]["isError"] is True
    text = msg["result"]["content"][0]["text"]
    assert "a:" in text and "b:" in text and "Field required" in text


def test_tool_exception_is_an_error_result_without_traceback(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "fail", "arguments": {"message": "kaboom"}})
    assert msg["result"]["isError"] is True
    text = msg["result"]["content"][0]["text"]
    assert "kaboom" in text and "Traceback" not in text
    assert "Traceback" in server.log and "RuntimeError: kaboom" in server.log
    # The server keeps serving.
    assert rpc(server.url + "/mcp/http", "ping")["result"] == {}


def test_image_and_bytes_content(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "tiny_png", "arguments": {}})
    block = msg["result"]["content"][0]
    assert block["type"] == "image" and block["mimeType"] == "image/png" and block["data"].startswith("iVBOR")
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "raw_bytes", "arguments": {}})
    assert msg["result"]["content"][0]["resource"]["blob"] == "AAFiaW5hcnk="


def test_unknown_method_is_method_not_found(server):
    msg = rpc(server.url + "/mcp/http", "no/such/method")
    assert msg["error"]["code"] == -32601
    assert "no/such/method" in msg["error"]["message"]


def test_unknown_tool_is_invalid_params(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "missing"})
    assert msg["error"]["code"] == -32602 and "missing" in msg["error"]["message"]


def test_malformed_json_is_400_parse_error(server):
    r = post(server, b'{"jsonrpc": "2.0", "method": ')
    assert r.status_code == 400
    assert r.json()["error"]["code"] == -32700


def test_invalid_request_is_400(server):
    r = post(server, {"jsonrpc": "1.0", "id": 1, "method": "ping"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == -32600


def test_wrong_content_type_is_415(server):
    r = post(server, b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert "Content-Type" in r.json()["error"]["message"]


def test_unacceptable_accept_is_406(server):
    r = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"Accept": "text/html"})
    assert r.status_code == 406


def test_accept_picks_json_or_stream(server):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    assert post(server, ping, headers={"Accept": "application/json"}).headers["content-type"] == "application/json"
    assert post(server, ping, headers={"Accept": "text/event-stream"}).headers["content-type"] == "text/event-stream"


def test_response_mode_follows_the_setting(sse_server, json_server):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 1}}}
    assert post(sse_server, ping).headers["content-type"] == "text/event-stream"
    assert post(json_server, ping).headers["content-type"] == "application/json"


def test_notifications_only_get_202(server):
    r = post(server, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert r.status_code == 202 and r.content == b""


def test_unsupported_protocol_version_header_is_400(server):
    r = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={"MCP-Protocol-Version": "1999-01-01"})
    assert r.status_code == 400
    assert "1999-01-01" in r.json()["error"]["message"]


def test_batches_only_in_2025_03_26(server):
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 2}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    r = post(server, batch, headers={"MCP-Protocol-Version": "2025-03-26"})
    assert r.status_code == 200
    by_id = {m["id"]: m for m in rpc_messages(r)}
    assert by_id[1]["result"] == {} and by_id[2]["result"]["content"][0]["text"] == "3"
    r = post(server, batch, headers={"MCP-Protocol-Version": "2025-06-18"})
    assert r.status_code == 400 and "batch" in r.json()["error"]["message"]


def test_initialize_negotiates_each_revision(server):
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]:
        result = rpc(
            server.url + "/mcp/http",
            "initialize",
            {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
        )["result"]
        assert result["protocolVersion"] == version
    result = rpc(
        server.url + "/mcp/http",
        "initialize",
        {"protocolVersion": "2030-01-01", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    )["result"]
    assert result["protocolVersion"] == "2025-11-25"
    assert result["serverInfo"] == {"name": "testproject", "title": "Test Project Server", "version": "9.8.7"}
    assert result["instructions"] == "Tools for django-mcp's own tests."
    assert set(result["capabilities"]) >= {"tools", "resources", "prompts", "logging"}


def test_requests_without_initialize_are_served(server):
    assert (
        rpc(server.url + "/mcp/http", "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})["result"][
            "content"
        ][0]["text"]
        == "2"
    )


def test_get_and_delete_are_405_when_stateless(server):
    for method in ("GET", "DELETE"):
        r = httpx.request(method, server.url + "/mcp/http", headers=HEADERS)
        assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_oversized_body_is_413(server):
    r = post(server, {"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"pad": "x" * 70000}})
    assert r.status_code == 413
    assert "MCP_HTTP_MAX_REQUEST_SIZE" in r.json()["error"]["message"]


def test_oversized_body_is_refused_on_its_declared_length(server):
    """A Content-Length over the limit gets 413 before any of the body is sent."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as s:
        head = (
            f"POST /mcp/http HTTP/1.1\r\nHost: {address.hostname}\r\nContent-Type: application/json\r\n"
            "Accept: application/json, text/event-stream\r\nContent-Length: 10000000\r\n\r\n"
        )
        s.sendall(head.encode())  # and no body at all: the answer must not wait for it
        answer = ""
        while "MCP_HTTP_MAX_REQUEST_SIZE" not in answer:
            chunk = s.recv(65536).decode()
            if not chunk:
                break
            answer += chunk
    assert answer.startswith("HTTP/1.1 413")
    assert "MCP_HTTP_MAX_REQUEST_SIZE" in answer


def test_health_check_does_not_list_tools(server):
    r = httpx.get(server.url + "/mcp/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert "add" not in r.text


def test_other_paths_reach_django(server):
    for path in ["/", "/mcp", "/mcp/other", "/slug/not.a.slug/http", "/typed/x/y/z/http"]:
        r = httpx.get(server.url + path)
        assert r.status_code == 200 and r.text == f"django saw {path}", path


def test_prompts(server):
    url = server.url + "/mcp/http"
    prompts = {p["name"]: p for p in rpc(url, "prompts/list")["result"]["prompts"]}
    assert prompts["greet"]["arguments"] == [
        {"name": "name", "description": "who to greet", "required": True},
        {"name": "excited", "required": False},
    ]
    got = rpc(url, "prompts/get", {"name": "greet", "arguments": {"name": "Ada", "excited": "true"}})["result"]
    assert got["messages"] == [{"role": "user", "content": {"type": "text", "text": "Hello Ada!"}}]
    assert got["description"] == "Greets someone"
    got = rpc(url, "prompts/get", {"name": "conversation", "arguments": {"topic": "bees"}})["result"]
    assert [m["role"] for m in got["messages"]] == ["user", "assistant"]
    assert rpc(url, "prompts/get", {"name": "greet", "arguments": {}})["error"]["code"] == -32602
    assert rpc(url, "prompts/get", {"name": "nope"})["error"]["code"] == -32602


def test_resources(server):
    url = server.url + "/mcp/http"
    listed = {r["uri"]: r for r in rpc(url, "resources/list")["result"]["resources"]}
    assert listed["test://static-text"]["mimeType"] == "text/plain"
    templates = {t["uriTemplate"] for t in rpc(url, "resources/templates/list")["result"]["resourceTemplates"]}
    assert {"greeting://{name}", "items://{item_id}/detail"} <= templates
    text = rpc(url, "resources/read", {"uri": "greeting://Ada"})["result"]["contents"]
    assert text == [{"uri": "greeting://Ada", "mimeType": "text/plain", "text": "Hello, Ada!"}]
    blob = rpc(url, "resources/read", {"uri": "test://static-binary"})["result"]["contents"][0]
    assert blob["blob"] == "iVBORw0KGgo=" and blob["mimeType"] == "image/png"
    item = json.loads(rpc(url, "resources/read", {"uri": "items://21/detail"})["result"]["contents"][0]["text"])
    assert item["double"] == 42
    missing = rpc(url, "resources/read", {"uri": "nothing://here"})["error"]
    assert missing["code"] == -32002 and missing["data"] == {"uri": "nothing://here"}
    bad = rpc(url, "resources/read", {"uri": "items://abc/detail"})["error"]
    assert bad["code"] == -32602
    broken = rpc(url, "resources/read", {"uri": "broken://thing"})["error"]
    assert broken["code"] == -32603 and "broken" in broken["message"] and "Traceback" not in broken["message"]


def test_ctx_read_resource(server):
    msg = rpc(
        server.url + "/mcp/http", "tools/call", {"name": "read_own_resource", "arguments": {"uri": "greeting://Bo"}}
    )
    assert msg["result"]["content"][0]["text"] == "text/plain:'Hello, Bo!'"


def test_context_request_id_and_headers(server):
    msg = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "request_info", "arguments": {}},
        id="abc",
        headers={"X-Test": "yes"},
    )
    info = json.loads(msg["result"]["content"][0]["text"])
    assert info["request_id"] == "abc" and info["x_test"] == "yes"


def test_logging_set_level(server):
    assert rpc(server.url + "/mcp/http", "logging/setLevel", {"level": "warning"})["result"] == {}
    assert rpc(server.url + "/mcp/http", "logging/setLevel", {"level": "loud"})["error"]["code"] == -32602


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/slug/abc-DEF_9/http", {"user_uuid": ["str", "abc-DEF_9"]}),
        (
            "/typed/42/0b0e6e4a-2f1d-4c55-9d2a-2b8c6c6f4e01/bob/http",
            {"number": ["int", "42"], "key": ["UUID", "0b0e6e4a-2f1d-4c55-9d2a-2b8c6c6f4e01"], "name": ["str", "bob"]},
        ),
        ("/files/a/b/c.txt/http", {"rest": ["str", "a/b/c.txt"]}),
        ("/mcp/http", {}),
    ],
)
def test_path_params_are_typed_like_django(server, path, expected):
    msg = rpc(
        server.url + path,
        "tools/call",
        {"name": "path_info", "arguments": {}},
        headers={"MCP-Protocol-Version": "2025-06-18"},
    )
    assert msg["result"]["structuredContent"] == expected


def test_sync_tools_use_the_orm_off_the_event_loop(server):
    first = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "sync_orm", "arguments": {"text": "a"}},
        headers={"MCP-Protocol-Version": "2025-06-18"},
    )
    structured = first["result"]["structuredContent"]
    assert structured["thread"] is True and structured["count"] >= 1
    count = rpc(
        server.url + "/mcp/http",
        "tools/call",
        {"name": "async_orm", "arguments": {"text": "b"}},
        headers={"MCP-Protocol-Version": "2025-06-18"},
    )
    assert count["result"]["structuredContent"]["result"] == structured["count"] + 1


def test_sync_calls_end_like_django_requests(server):
    # CONN_MAX_AGE is 0 here: every call's connection is closed when it ends,
    # so no call finds one left open by the previous call in its thread.
    url = server.url + "/mcp/http"
    found = [
        rpc(url, "tools/call", {"name": "connection_left_open", "arguments": {}})["result"]["content"][0]["text"]
        for _ in range(12)
    ]
    assert found == ["false"] * 12


def test_log_mcp_tool_calls_decorator_logs(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "logged", "arguments": {"x": 21}})
    assert msg["result"]["content"][0]["text"] == "42"
    assert "MCP tool logged called with {'x': 21}" in server.log
    assert "MCP tool logged returned 42" in server.log


def test_dns_rebinding_is_refused(server):
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    r = post(server, ping, headers={"Host": "evil.example.com", "Origin": "http://evil.example.com"})
    assert r.status_code == 403 and "evil.example.com" in r.json()["error"]["message"]
    r = post(server, ping, headers={"Origin": "http://evil.example.com"})
    assert r.status_code == 403 and "Origin" in r.json()["error"]["message"]
    port = server.url.rsplit(":", 1)[1]
    assert (
        post(server, ping, headers={"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}).status_code
        == 200
    )


def test_completion(server):
    url = server.url + "/mcp/http"
    got = rpc(
        url,
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "name", "value": "A"}},
    )
    assert got["result"] == {"completion": {"values": ["Ada", "Alan"]}}
    many = rpc(
        url,
        "completion/complete",
        {"ref": {"type": "ref/resource", "uri": "greeting://{name}"}, "argument": {"name": "name", "value": "x"}},
    )["result"]["completion"]
    assert len(many["values"]) == 100 and many["hasMore"] is True and many["total"] == 150
    none = rpc(
        url,
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "conversation"}, "argument": {"name": "topic", "value": ""}},
    )
    assert none["result"] == {"completion": {"values": []}}
    assert (
        rpc(
            url,
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "missing"}, "argument": {"name": "a", "value": ""}},
        )["error"]["code"]
        == -32602
    )


def test_lists_are_paginated(server):
    url = server.url + "/mcp/http"
    names, cursor, pages = [], None, 0
    while True:
        result = rpc(url, "prompts/list", {"cursor": cursor} if cursor else {})["result"]
        names += [p["name"] for p in result["prompts"]]
        pages += 1
        cursor = result.get("nextCursor")
        if cursor is None:
            break
    assert pages == 2 and len(names) == len(set(names)) and {"greet", "bulk_prompt_129"} <= set(names)
    assert rpc(url, "prompts/list", {"cursor": "not-a-cursor"})["error"]["code"] == -32602


def test_resource_subscribe_is_acknowledged(server):
    url = server.url + "/mcp/http"
    assert rpc(url, "resources/subscribe", {"uri": "test://static-text"})["result"] == {}
    assert rpc(url, "resources/unsubscribe", {"uri": "test://static-text"})["result"] == {}
    assert rpc(url, "resources/subscribe", {"uri": "nothing://x"})["error"]["code"] == -32002


def test_unserialisable_result_is_an_error_result_not_a_500(server):
    msg = rpc(server.url + "/mcp/http", "tools/call", {"name": "unserialisable", "arguments": {}})
    assert msg["result"]["isError"] is True and "cannot be sent" in msg["result"]["content"][0]["text"]


def test_sync_tools_see_their_context_and_raise_cleanly(server):
    import concurrent.futures

    url = server.url + "/slug/ctx-9/http"
    headers = {"MCP-Protocol-Version": "2025-06-18"}

    def call(i):
        return rpc(
            url,
            "tools/call",
            {"name": "sync_context_and_error", "arguments": {"fail": i % 5 == 0}},
            id=i,
            headers=headers,
        )

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(40)))
    for i, msg in enumerate(results):
        assert msg["id"] == i
        if i % 5 == 0:
            assert msg["result"]["isError"] is True and "sync failure" in msg["result"]["content"][0]["text"]
        else:
            assert msg["result"]["structuredContent"]["path"] == {"user_uuid": "ctx-9"}
            assert msg["result"]["structuredContent"]["thread"].startswith("django_mcp_sync_")
