from django_mcp import mcp_app


@mcp_app.tool(name="twice")
def second_twice() -> str:
    return "b"


@mcp_app.tool()
def from_mcp_dirs() -> str:
    return "loaded from MCP_DIRS"
