"""Minimal stdlib MCP-over-HTTP client: one POST, JSON or SSE answer."""

import http.client
import json
from urllib.parse import urlsplit

# The same headers wrk sends (tools_call.lua); keep the two in sync.
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    # As real clients send it (httpx, fetch); the answers here are too small to compress.
    "Accept-Encoding": "gzip, deflate",
    "MCP-Protocol-Version": "2025-06-18",
}


def request_headers(tool, revision="2025-06-18"):
    """HEADERS for `revision`; from 2026-07-28 on, with the routing headers."""
    headers = {**HEADERS, "MCP-Protocol-Version": revision}
    if revision >= "2026-07-28":
        headers.update({"Mcp-Method": "tools/call", "Mcp-Name": tool})
    return headers


def tools_call(tool, revision="2025-06-18"):
    params = {"name": tool, "arguments": {"a": 1, "b": 2}}
    if revision >= "2026-07-28":  # no initialize: the envelope travels with each request
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": revision,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}


def initialize():
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "django-mcp-bench", "version": "0"},
        },
    }


def post(url, message, timeout=10, headers=None):
    """POST a JSON-RPC message; return (status, headers, parsed reply or None)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", parts.path, json.dumps(message), headers or HEADERS)
        resp = conn.getresponse()
        raw = resp.read().decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    return resp.status, headers, _parse(headers.get("content-type", ""), raw)


def _parse(content_type, raw):
    if "text/event-stream" in content_type:
        # The reply is the last `data:` event of the stream.
        data = [line[5:].strip() for line in raw.splitlines() if line.startswith("data:")]
        raw = data[-1] if data else ""
    try:
        return json.loads(raw)
    except ValueError:
        return None


def check_add(url, tool, revision="2025-06-18"):
    """Raise RuntimeError unless tools/call add(1, 2) answers 3."""
    status, _, reply = post(url, tools_call(tool, revision), headers=request_headers(tool, revision))
    result = (reply or {}).get("result") or {}
    texts = [c.get("text") for c in result.get("content", [])]
    ok = (
        200 <= status < 300
        and not result.get("isError")
        and ((result.get("structuredContent") or {}).get("result") == 3 or "3" in texts)
    )
    if not ok:
        raise RuntimeError(f"tools/call check failed: HTTP {status}, reply {str(reply)[:300]}")
