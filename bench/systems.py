"""The systems under test: how to start each one and what to ask it."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class System:
    name: str
    app: str  # uvicorn import string, resolved inside bench/apps
    needs: str  # module whose import failure means "skip, not installed"
    path: str = "/mcp"
    tool: str = "add"  # name in the tools/call body
    env: dict = field(default_factory=dict)
    #: The protocol revision of the request (see mcp_http.request_headers).
    revision: str = "2025-06-18"
    #: Measured when no --only list is given.
    default: bool = True
    #: Another wrk script and its arguments instead of tools_call.lua's (tool, revision).
    script: str | None = None
    script_args: tuple = ()


DJANGO = dict(app="django_bench.asgi:application", needs="django_mcp", path="/mcp/http")

SYSTEMS = [
    System("floor", "floor:app", needs="uvicorn"),
    System("sdk", "sdk_app:app", needs="mcp.server.mcpserver"),
    System("fastmcp", "fastmcp_app:app", needs="fastmcp"),
    System("django-json-async", **DJANGO, env={"BENCH_MCP_JSON": "1"}),
    System("django-json-sync", **DJANGO, tool="add_sync", env={"BENCH_MCP_JSON": "1"}),
    System("django-sse-async", **DJANGO, env={"BENCH_MCP_JSON": "0"}),
    System("django-sse-sync", **DJANGO, tool="add_sync", env={"BENCH_MCP_JSON": "0"}),
    # The current revision (its envelope in _meta, mirrored by the Mcp-Method
    # and Mcp-Name headers), on request with --only; "floor-2026" is the floor
    # sent the same request, their baseline.
    System("floor-2026", "floor:app", needs="uvicorn", revision="2026-07-28", default=False),
    System("django-json-async-2026", **DJANGO, env={"BENCH_MCP_JSON": "1"}, revision="2026-07-28", default=False),
    System("django-sse-async-2026", **DJANGO, env={"BENCH_MCP_JSON": "0"}, revision="2026-07-28", default=False),
    # django-json-async with MCP_OPENTELEMETRY off, on request with --only: beside
    # django-json-async (opentelemetry-api installed, no provider set), the cost of the check.
    System("django-json-async-no-otel", **DJANGO, env={"BENCH_MCP_JSON": "1", "BENCH_MCP_OTEL": "0"}, default=False),
]

# Stateful variants for sessions.py (RSS per idle session).
STATEFUL = [
    System("sdk", "sdk_app:app", needs="mcp.server.mcpserver", env={"BENCH_STATEFUL": "1"}),
    System("django-mcp", **DJANGO, env={"BENCH_MCP_JSON": "1", "BENCH_STATEFUL": "1"}),
]


def floor_for(name, measured):
    """The baseline of system `name`: for a 2026-07-28 system the floor sent
    that same request, when `measured` (names) holds it, else the floor."""
    return "floor-2026" if name.endswith("-2026") and "floor-2026" in measured else "floor"


def select(systems, only):
    """Filter by a comma-separated --only list; unknown names are an error."""
    if not only:
        return [s for s in systems if s.default]
    wanted = only.split(",")
    known = {s.name for s in systems}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise SystemExit(f"unknown system(s) {unknown}; choose from {sorted(known)}")
    return [s for s in systems if s.name in wanted]
