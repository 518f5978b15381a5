-- wrk script: a plain GET with extra headers (bench/auth.py's DRF view).
-- Usage: wrk ... -s get.lua URL -- ["Header: value" ...]

function init(args)
  wrk.method = "GET"
  wrk.headers["Accept"] = "application/json"
  for i = 1, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
end

-- The same machine-readable line as tools_call.lua (latencies in microseconds).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
