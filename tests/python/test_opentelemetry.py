"""OpenTelemetry through a real server: the test project with the SDK set up
(testproject/otel_asgi.py keeps the finished spans and metrics in memory and
shows them as JSON), called over HTTP with W3C Trace Context in the headers
and in ``params._meta``."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx
import pytest
from conftest import HEADERS, _test_project, rpc

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
META_TRACE = "0af7651916cd43dd8448eb211c80319c"
META_SPAN = "b7ad6b7169203331"


@pytest.fixture(scope="module")
def otel(tmp_path_factory):
    server = _test_project(tmp_path_factory, "otel", {}, app="testproject.otel_asgi:application")
    yield server
    server.stop()


def spans(server, trace_id: str, count: int) -> list[dict]:
    """The finished spans of ``trace_id``, once there are ``count`` of them."""
    deadline = time.monotonic() + 10
    while True:
        found = [s for s in httpx.get(server.url + "/otel/spans").json() if s["trace_id"] == trace_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def call(server, name: str, arguments: dict, *, headers: dict | None = None, meta: dict | None = None) -> dict:
    params = {"name": name, "arguments": arguments}
    if meta is not None:
        params["_meta"] = meta
    return rpc(
        server.url + "/mcp/http",
        "tools/call",
        params,
        id=7,
        headers={"MCP-Protocol-Version": "2025-11-25", **(headers or {})},
    )


def test_a_tool_call_is_a_span_in_the_callers_trace(otel):
    answer = call(otel, "add", {"a": 2, "b": 3}, headers={"traceparent": f"00-{TRACE}-{CLIENT_SPAN}-01"})
    assert answer["result"]["structuredContent"] == {"result": 5}
    found = spans(otel, TRACE, 2)
    by_name = {s["name"]: s for s in found}
    assert set(by_name) == {"POST /mcp/http", "tools/call add"}, found
    request, operation = by_name["POST /mcp/http"], by_name["tools/call add"]
    # The request span continues the client's span; the tool's span is its child.
    assert request["parent_id"] == CLIENT_SPAN and request["kind"] == "SERVER"
    assert operation["parent_id"] == request["span_id"] and operation["kind"] == "SERVER"
    assert request["attributes"]["http.response.status_code"] == 200
    attributes = operation["attributes"]
    assert attributes["mcp.method.name"] == "tools/call"
    assert attributes["gen_ai.tool.name"] == "add"
    assert attributes["gen_ai.operation.name"] == "execute_tool"
    assert attributes["jsonrpc.request.id"] == "7"
    assert attributes["mcp.protocol.version"] == "2025-11-25"
    assert attributes["network.transport"] == "tcp" and attributes["network.protocol.name"] == "http"
    assert attributes["server.address"] == "127.0.0.1" and isinstance(attributes["server.port"], int)
    assert attributes["client.address"] == "127.0.0.1"
    assert "error.type" not in attributes and operation["status"] == "UNSET"


def test_the_request_span_is_named_after_the_route_not_the_path(otel):
    trace = "5" * 32
    rpc(
        otel.url + "/slug/ann/http",
        "tools/call",
        {"name": "add", "arguments": {"a": 1, "b": 2}},
        headers={"MCP-Protocol-Version": "2025-11-25", "traceparent": f"00-{trace}-{CLIENT_SPAN}-01"},
    )
    request = [s for s in spans(otel, trace, 2) if s["attributes"].get("http.route")]
    assert [s["name"] for s in request] == ["POST /slug/<slug:user_uuid>/http"]
    assert request[0]["attributes"]["url.path"] == "/slug/ann/http"


def test_the_trace_context_of_meta_is_the_parent_and_the_request_a_link(otel):
    call(
        otel,
        "add",
        {"a": 1, "b": 1},
        headers={"traceparent": f"00-{TRACE[:-4]}aaaa-{CLIENT_SPAN}-01"},
        meta={"traceparent": f"00-{META_TRACE}-{META_SPAN}-01", "tracestate": "rojo=00f067aa0ba902b7"},
    )
    (operation,) = spans(otel, META_TRACE, 1)
    assert operation["name"] == "tools/call add"
    assert operation["parent_id"] == META_SPAN
    (request,) = [s for s in spans(otel, TRACE[:-4] + "aaaa", 1) if s["name"] == "POST /mcp/http"]
    assert operation["links"] == [request["span_id"]]


def test_a_failing_tool_is_an_error_span(otel):
    trace = "1" * 32
    answer = call(otel, "fail", {"message": "boom"}, meta={"traceparent": f"00-{trace}-{CLIENT_SPAN}-01"})
    assert answer["result"]["isError"] is True
    (operation,) = spans(otel, trace, 1)
    assert operation["name"] == "tools/call fail"
    assert operation["status"] == "ERROR"
    assert operation["attributes"]["error.type"] == "tool_error"


def test_a_json_rpc_error_names_its_code(otel):
    trace = "2" * 32
    # A resource whose function raises: the read's answer is a JSON-RPC error.
    answer = rpc(
        otel.url + "/mcp/http",
        "resources/read",
        {"uri": "broken://thing", "_meta": {"traceparent": f"00-{trace}-{CLIENT_SPAN}-01"}},
        headers={"MCP-Protocol-Version": "2025-11-25"},
    )
    assert answer["error"]["code"] == -32603
    (operation,) = spans(otel, trace, 1)
    assert operation["name"] == "resources/read"  # the URI is an attribute, not part of the name
    assert operation["attributes"]["mcp.resource.uri"] == "broken://thing"
    assert operation["attributes"]["error.type"] == "-32603"
    assert operation["attributes"]["rpc.response.status_code"] == "-32603"
    assert operation["status"] == "ERROR" and "broken://thing" in operation["description"]


def test_prompts_and_sessions(otel):
    trace = "3" * 32
    url = otel.url + "/stateful/http"
    init = httpx.post(
        url,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
        headers=HEADERS,
    )
    session = init.headers["mcp-session-id"]
    headers = {**HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
    r = httpx.post(
        url,
        json={
            "jsonrpc": "2.0",
            "id": "p-1",
            "method": "prompts/get",
            "params": {
                "name": "greet",
                "arguments": {"name": "Ann"},
                "_meta": {"traceparent": f"00-{trace}-{CLIENT_SPAN}-01"},
            },
        },
        headers=headers,
    )
    assert r.status_code == 200
    (operation,) = spans(otel, trace, 1)
    assert operation["name"] == "prompts/get greet"
    assert operation["attributes"]["gen_ai.prompt.name"] == "greet"
    assert operation["attributes"]["mcp.session.id"] == session
    assert operation["attributes"]["jsonrpc.request.id"] == "p-1"
    assert operation["attributes"]["mcp.protocol.version"] == "2025-06-18"


def test_operation_durations_are_measured(otel):
    call(otel, "add", {"a": 4, "b": 4})
    call(otel, "fail", {"message": "again"})
    points = [p for p in httpx.get(otel.url + "/otel/metrics").json() if p["name"] == "mcp.server.operation.duration"]
    assert points and all(p["unit"] == "s" for p in points)
    assert points[0]["bounds"][:3] == [0.01, 0.02, 0.05]
    add = [p for p in points if p["attributes"].get("gen_ai.tool.name") == "add"]
    failed = [p for p in points if p["attributes"].get("gen_ai.tool.name") == "fail"]
    assert add and add[0]["attributes"]["mcp.method.name"] == "tools/call" and add[0]["count"] >= 1
    assert failed and failed[0]["attributes"]["error.type"] == "tool_error"
    # Per-request values stay on spans: a metric series per request id would never end.
    assert all("jsonrpc.request.id" not in p["attributes"] for p in points)


def test_a_provider_set_after_the_first_requests_is_found(tmp_path_factory):
    """Until a provider is set, no stage of OpenTelemetry's is on the request
    path; the event loop finds one set later within a second or so."""
    server = _test_project(
        tmp_path_factory, "otel-later", {"OTEL_PROVIDERS_LATER": "1"}, app="testproject.otel_asgi:application"
    )
    try:
        before, after = "5" * 32, "6" * 32
        assert call(server, "add", {"a": 1, "b": 2}, headers={"traceparent": f"00-{before}-{CLIENT_SPAN}-01"})
        assert httpx.post(server.url + "/otel/start").status_code == 204
        deadline = time.monotonic() + 10
        while not spans(server, after, 0) and time.monotonic() < deadline:
            call(server, "add", {"a": 1, "b": 2}, headers={"traceparent": f"00-{after}-{CLIENT_SPAN}-01"})
            time.sleep(0.2)
        names = {s["name"] for s in spans(server, after, 2)}
        assert {"POST /mcp/http", "tools/call add"} <= names
        assert spans(server, before, 0) == []  # made before any provider: not traced
    finally:
        server.stop()


def test_switched_off_by_its_setting(tmp_path_factory):
    server = _test_project(
        tmp_path_factory,
        "otel-off",
        {"MCP_TEST_SETTINGS": '{"MCP_OPENTELEMETRY": false}'},
        app="testproject.otel_asgi:application",
    )
    try:
        trace = "4" * 32
        call(server, "add", {"a": 1, "b": 2}, headers={"traceparent": f"00-{trace}-{CLIENT_SPAN}-01"})
        assert httpx.get(server.url + "/otel/spans").json() == []
    finally:
        server.stop()


CLIENT = """
import asyncio, json, sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from mcp import Client

spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)


async def main():
    with trace.get_tracer("agent").start_as_current_span("agent step"):
        async with Client(sys.argv[1], mode="legacy") as client:
            await client.call_tool("add", {"a": 1, "b": 2})


asyncio.run(main())
print(json.dumps([
    {"name": s.name, "kind": s.kind.name, "trace_id": format(s.context.trace_id, "032x"),
     "span_id": format(s.context.span_id, "016x")}
    for s in spans.get_finished_spans()
]))
"""


def test_the_official_sdk_clients_span_is_the_parent(otel):
    """The mcp SDK's client, traced, puts its span in _meta; the server's span is its child."""
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, otel.url + "/mcp/http"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    client_spans = json.loads(done.stdout.strip().splitlines()[-1])
    (client_call,) = [s for s in client_spans if s["kind"] == "CLIENT" and s["name"].endswith("tools/call add")]
    server_spans = spans(otel, client_call["trace_id"], 2)
    (operation,) = [s for s in server_spans if s["name"] == "tools/call add"]
    assert operation["kind"] == "SERVER" and operation["parent_id"] == client_call["span_id"]
