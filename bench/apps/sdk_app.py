"""System "sdk": the official `mcp` 2.x SDK (MCPServer, ex-FastMCP).

Stateless + JSON responses is the SDK's cheapest streamable-HTTP mode, so it
is the fair comparison for django-mcp's JSON mode. BENCH_STATEFUL=1 gives the
stateful app that sessions.py measures.
"""

import os

from mcp.server.mcpserver import MCPServer

# WARNING like uvicorn's --log-level: the default INFO logs every stateless
# request ("Terminating session") through rich, which would dominate the cost.
server = MCPServer("bench", log_level="WARNING")


@server.tool()
def add(a: int, b: int) -> int:
    return a + b


app = server.streamable_http_app(
    streamable_http_path="/mcp",
    json_response=True,
    stateless_http=os.environ.get("BENCH_STATEFUL") != "1",
)
