-- wrk script: POST one JSON-RPC tools/call add(1, 2) per request.
-- Usage: wrk ... -s tools_call.lua URL -- TOOL_NAME [REVISION ["Header: value" ...]]   (default "add", 2025-06-18)
-- Headers match bench/mcp_http.py so the pre-load check asks the same thing.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
-- As real clients send it (httpx, fetch); the answers are too small to compress.
wrk.headers["Accept-Encoding"] = "gzip, deflate"

function init(args)
  -- wrk builds the request after init(), so headers and body can depend on args.
  local tool = args[1] or "add"
  local revision = args[2] or "2025-06-18"
  -- Further arguments are extra headers, each "Name: value" (bench/auth.py's credentials).
  for i = 3, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  wrk.headers["MCP-Protocol-Version"] = revision
  local meta = ""
  if revision >= "2026-07-28" then
    -- No initialize: the envelope travels in _meta, mirrored by two headers.
    wrk.headers["Mcp-Method"] = "tools/call"
    wrk.headers["Mcp-Name"] = tool
    meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"' .. revision
      .. '","io.modelcontextprotocol/clientCapabilities":{}}'
  end
  wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
    .. tool .. '","arguments":{"a":1,"b":2}' .. meta .. '}}'
end

-- One machine-readable line for run.py (latencies in microseconds).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
