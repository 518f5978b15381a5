"""The benchmark tool, registered twice: `add` (async) and `add_sync` (sync).

The sync/async systems differ only in which name the tools/call body names.
"""

from django_mcp import mcp_app


@mcp_app.tool()
def add_sync(a: int, b: int) -> int:
    return a + b


@mcp_app.tool()
async def add(a: int, b: int) -> int:
    return a + b
