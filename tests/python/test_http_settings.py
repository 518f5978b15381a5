"""The MCP_HTTP_* settings for CORS, compression, metrics and the health path,
each proven on a real server."""

import json
import re

import httpx
import pytest
from conftest import HEADERS, _test_project, rpc, rpc_messages


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory):
    server = _test_project(tmp_path_factory, "ops", {"MCP_TEST_OPS": "1", "MCP_HTTP_JSON_RESPONSE": "1"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory):
    server = _test_project(tmp_path_factory, "plain", {"MCP_TEST_NO_COMPRESSION": "1", "MCP_HTTP_JSON_RESPONSE": "1"})
    yield server
    server.stop()


TOOLS_LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}


def test_cors_preflight_allows_configured_origins_only(ops_server):
    url = ops_server.url + "/mcp/http"
    ok = httpx.options(url, headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "POST" in ok.headers["access-control-allow-methods"]
    allowed = ok.headers["access-control-allow-headers"].lower()
    assert "mcp-protocol-version" in allowed and "authorization" in allowed and "mcp-session-id" in allowed
    refused = httpx.options(
        url, headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"}
    )
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


def test_cors_headers_on_responses(ops_server):
    r = httpx.post(
        ops_server.url + "/mcp/http", json=TOOLS_LIST, headers={**HEADERS, "Origin": "https://app.example.org"}
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "Mcp-Session-Id" in r.headers["access-control-expose-headers"]
    # Not a CORS origin, and not an allowed host either: refused by the DNS-rebinding check.
    r = httpx.post(
        ops_server.url + "/mcp/http", json=TOOLS_LIST, headers={**HEADERS, "Origin": "https://evil.example.net"}
    )
    assert r.status_code == 403


def test_cors_is_off_by_default(server):
    r = httpx.options(
        server.url + "/mcp/http", headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers


def test_large_json_is_gzipped_when_accepted(json_server):
    url = json_server.url + "/mcp/http"
    with httpx.Client() as client:
        r = client.post(url, json=TOOLS_LIST, headers={**HEADERS, "Accept-Encoding": "gzip"})
        raw = r.read()
    assert r.headers["content-encoding"] == "gzip" and "Accept-Encoding" in r.headers["vary"]
    assert r.json()["result"]["tools"]
    # httpx decoded it; the wire size is the content-length.
    assert int(r.headers["content-length"]) < len(raw)
    small = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers={**HEADERS, "Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in small.headers
    plain = httpx.post(url, json=TOOLS_LIST, headers={**HEADERS, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_large_tool_results_are_compressed_in_both_response_modes(server):
    text = "compressible " * 400
    body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "scalar_str", "arguments": {"text": text}},
    }
    r = httpx.post(
        server.url + "/mcp/http",
        json=body,
        headers={**HEADERS, "Accept-Encoding": "gzip", "MCP-Protocol-Version": "2025-06-18"},
    )
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < len(text)
    (message,) = [m for m in rpc_messages(r) if m.get("id") == 3]
    assert message["result"]["structuredContent"] == {"result": text}


@pytest.mark.parametrize(
    "accept, coding",
    [
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip;q=0.5, br;q=0.9", "br"),
        ("gzip, br, zstd", "zstd"),
        ("gzip, br;q=0", "gzip"),
        ("*", "zstd"),
    ],
)
def test_br_and_zstd_when_installed_and_asked(json_server, accept, coding):
    import brotli
    import zstandard

    r = httpx.post(json_server.url + "/mcp/http", json=TOOLS_LIST, headers={**HEADERS, "Accept-Encoding": accept})
    assert r.headers["content-encoding"] == coding
    decode = {
        "br": brotli.decompress,
        "zstd": lambda b: zstandard.ZstdDecompressor().decompress(b, max_output_size=1 << 24),
        "gzip": __import__("gzip").decompress,
    }
    # httpx may or may not decode br/zstd itself; decode the wire bytes here.
    raw = r.content if r.content[:1] == b"{" else decode[coding](r.content)
    assert json.loads(raw)["result"]["tools"]


def test_compression_can_be_turned_off(plain_server):
    r = httpx.post(plain_server.url + "/mcp/http", json=TOOLS_LIST, headers={**HEADERS, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers and r.json()["result"]["tools"]


def test_metrics_in_prometheus_format(ops_server):
    url = ops_server.url + "/mcp/http"
    rpc(url, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
    rpc(url, "tools/call", {"name": "fail", "arguments": {"message": "x"}})
    httpx.post(url, content=b"{", headers=HEADERS)
    text = httpx.get(ops_server.url + "/mcp/prometheus").text
    assert re.search(r'mcp_calls_total\{kind="tool",name="add",outcome="ok"\} [1-9]', text)
    assert re.search(r'mcp_calls_total\{kind="tool",name="fail",outcome="error"\} [1-9]', text)
    assert re.search(r'mcp_http_requests_total\{method="POST",status="400"\} [1-9]', text)
    assert 'mcp_http_request_duration_seconds_bucket{le="+Inf"}' in text
    assert "mcp_http_requests_in_flight 0" in text


def test_metrics_are_off_by_default(server):
    assert httpx.get(server.url + "/mcp/metrics").text.startswith("django saw")


def test_health_path_setting(ops_server):
    assert httpx.get(ops_server.url + "/mcp/alive").json()["status"] == "ok"
    assert httpx.get(ops_server.url + "/mcp/health").text.startswith("django saw")


def test_metrics_count_sessions(ops_server):
    from test_sessions import initialize

    before = httpx.get(ops_server.url + "/stateful/prometheus").text
    assert "mcp_sessions_active 0" in before and "mcp_sessions_opened_total 0" in before
    session_id = initialize(ops_server.url + "/stateful/http")
    initialize(ops_server.url + "/stateful/http")
    text = httpx.get(ops_server.url + "/stateful/prometheus").text
    assert "mcp_sessions_opened_total 2" in text and "mcp_sessions_active 2" in text
    httpx.delete(ops_server.url + "/stateful/http", headers={"Mcp-Session-Id": session_id})
    assert "mcp_sessions_active 1" in httpx.get(ops_server.url + "/stateful/prometheus").text


def test_health_check_can_be_turned_off(tmp_path_factory):
    server = _test_project(
        tmp_path_factory, "nohealth", {"MCP_TEST_SETTINGS": json.dumps({"MCP_HTTP_HEALTH_CHECK_ENABLED": False})}
    )
    try:
        # The path is Django's again.
        assert httpx.get(server.url + "/mcp/health").text == "django saw /mcp/health"
        assert (
            httpx.post(
                server.url + "/mcp/http", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=HEADERS
            ).status_code
            == 200
        )
    finally:
        server.stop()


def _switch_interval_after_a_sync_call(url: str) -> float:
    assert rpc(url, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})["result"]["content"][0]["text"] == "3"
    return float(rpc(url, "tools/call", {"name": "switch_interval", "arguments": {}})["result"]["content"][0]["text"])


def test_sync_calls_lower_the_switch_interval(server):
    """Once sync functions run in worker threads, a busy event loop hands the
    GIL over within MCP_SYNC_SWITCH_INTERVAL (0.5 ms) rather than Python's 5 ms."""
    assert _switch_interval_after_a_sync_call(server.url + "/mcp/http") == 0.0005


def test_the_switch_interval_can_be_left_alone(tmp_path_factory):
    server = _test_project(
        tmp_path_factory, "switch", {"MCP_TEST_SETTINGS": json.dumps({"MCP_SYNC_SWITCH_INTERVAL": None})}
    )
    try:
        assert _switch_interval_after_a_sync_call(server.url + "/mcp/http") == 0.005
    finally:
        server.stop()


def _frozen(url: str) -> int:
    return int(rpc(url, "tools/call", {"name": "gc_frozen", "arguments": {}})["result"]["content"][0]["text"])


def test_the_started_heap_is_frozen_out_of_the_collector(server):
    """MCP_GC_FREEZE: what the started process holds (Django, the apps, the
    catalog) is left out of the garbage collector's passes."""
    assert _frozen(server.url + "/mcp/http") > 10_000


def test_the_collector_can_be_left_alone(tmp_path_factory):
    server = _test_project(tmp_path_factory, "nofreeze", {"MCP_TEST_SETTINGS": json.dumps({"MCP_GC_FREEZE": False})})
    try:
        assert _frozen(server.url + "/mcp/http") == 0
    finally:
        server.stop()
